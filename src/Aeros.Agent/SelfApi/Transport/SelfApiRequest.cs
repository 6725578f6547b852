namespace Aeros.Agent.SelfApi.Transport;

/// <summary>
/// One self-API request as the handlers see it, whichever server carried it: Kestrel (<c>aeros agent</c>, through
/// <see cref="KestrelSelfApi"/>) or the agent's own HTTP/1.1 server (<c>aeros-agent</c>, <see cref="Http1Server"/>).
/// The handlers therefore exist once and never touch <c>HttpContext</c>.
/// </summary>
internal sealed class SelfApiRequest
{
    private Dictionary<string, List<string>>? _query;

    /// <summary>The method, upper case as sent (<c>GET</c>, <c>PUT</c>, ...).</summary>
    public required string Method { get; init; }

    /// <summary>The percent-decoded path, e.g. <c>/self/v1/workloads/web</c>.</summary>
    public required string Path { get; init; }

    /// <summary>The raw query string with its leading <c>?</c>, or empty.</summary>
    public string QueryString { get; init; } = "";

    /// <summary>The <c>Content-Type</c> header, if any.</summary>
    public string? ContentType { get; init; }

    /// <summary>The declared body length, or null (no body, or chunked).</summary>
    public long? ContentLength { get; init; }

    /// <summary>The request body (an empty stream when there is none).</summary>
    public Stream Body { get; init; } = Stream.Null;

    /// <summary>Looks up a request header by name (case-insensitive); several fields are joined with <c>", "</c>.</summary>
    public Func<string, string?> Headers { get; init; } = static _ => null;

    /// <summary>The request header <paramref name="name"/>, or null.</summary>
    public string? Header(string name) => Headers(name);

    /// <summary>The application's services.</summary>
    public required IServiceProvider Services { get; init; }

    /// <summary>Cancelled when the client goes away or the server aborts the request.</summary>
    public CancellationToken Aborted { get; init; }

    /// <summary>Values of the route template's parameters (e.g. <c>name</c> of <c>/self/v1/workloads/{name}</c>).</summary>
    public IReadOnlyDictionary<string, string> RouteValues { get; set; } = new Dictionary<string, string>();

    /// <summary>The route value <paramref name="name"/> (the router guarantees the route's parameters are present).</summary>
    public string Route(string name) => RouteValues[name];

    /// <summary>
    /// The values of query parameter <paramref name="name"/> (form-urlencoded: <c>+</c> is a space, percent-decoded);
    /// false when the query does not hold it.
    /// </summary>
    public bool TryGetQuery(string name, out IReadOnlyList<string> values)
    {
        _query ??= ParseQuery(QueryString);
        if (_query.TryGetValue(name, out var list))
        {
            values = list;
            return true;
        }
        values = [];
        return false;
    }

    internal static Dictionary<string, List<string>> ParseQuery(string query)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        var text = query.StartsWith('?') ? query[1..] : query;
        foreach (var part in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var key = Decode(equals < 0 ? part : part[..equals]);
            var value = equals < 0 ? "" : Decode(part[(equals + 1)..]);
            if (!result.TryGetValue(key, out var list))
            {
                result[key] = list = [];
            }
            list.Add(value);
        }
        return result;
    }

    private static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
}
