namespace Aeros.Security;

/// <summary>
/// The services a component's access token may be sent to, as origins (scheme, host and port; path, query and user
/// info do not count). A <see cref="BearerTokenHandler"/> with recipients attaches its token only to requests whose URL
/// has one of these origins; every other request goes out without it, so a URL taken from data (a context source
/// registration, a Domain entity) cannot collect the component's token.
/// </summary>
public sealed class TokenRecipients
{
    private readonly HashSet<string> _origins;

    /// <summary>Recipients with the origins of <paramref name="urls"/> (absolute http(s) URLs; others are ignored).</summary>
    public TokenRecipients(IEnumerable<Uri> urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        _origins = new HashSet<string>(urls.Select(OriginOf).OfType<string>(), StringComparer.Ordinal);
    }

    /// <summary>The origins, e.g. <c>http://127.0.0.1:9090</c>.</summary>
    public IReadOnlyCollection<string> Origins => _origins;

    /// <summary>Whether a request to <paramref name="url"/> may carry the token.</summary>
    public bool Includes(Uri? url) => url is not null && OriginOf(url) is { } origin && _origins.Contains(origin);

    /// <summary>
    /// The origin of an absolute http(s) URL in one canonical form (lower-case scheme and host, explicit port), or null
    /// for anything else.
    /// </summary>
    public static string? OriginOf(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
        {
            return null;
        }
        // Uri already lower-cases scheme and host and fills in the default port.
        return url.Scheme + "://" + url.IdnHost + ":" + url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
