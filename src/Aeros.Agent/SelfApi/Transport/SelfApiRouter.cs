namespace Aeros.Agent.SelfApi.Transport;

/// <summary>
/// Matches requests to <see cref="SelfApiRoute"/>s for the agent's own server the way ASP.NET Core routing does for
/// Kestrel: a path that matches a route but not its method is a 405 (with <c>Allow</c>), fallbacks only take paths no
/// route matches, anything else is a 404 — all as problem details.
/// </summary>
internal sealed class SelfApiRouter
{
    private readonly List<(SelfApiRoute Route, string[] Segments)> _routes;

    public SelfApiRouter(IEnumerable<SelfApiRoute> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        _routes = [.. routes.Select(r => (r, r.Template.Trim('/').Split('/')))];
    }

    /// <summary>Finds the handler of <paramref name="request"/> (setting its route values) and runs it.</summary>
    public ValueTask<SelfApiResponse> DispatchAsync(SelfApiRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var segments = request.Path.Trim('/').Split('/');
        List<string>? allowed = null;
        (SelfApiRoute Route, Dictionary<string, string> Values)? fallback = null;
        foreach (var (route, template) in _routes)
        {
            var values = Match(template, segments);
            if (values is null)
            {
                continue;
            }
            if (route.IsFallback)
            {
                fallback ??= (route, values);
            }
            else if (string.Equals(route.Method, request.Method, StringComparison.OrdinalIgnoreCase))
            {
                request.RouteValues = values;
                return route.Handler(request);
            }
            else
            {
                (allowed ??= []).Add(route.Method);
            }
        }
        if (allowed is not null)
        {
            var allow = string.Join(", ", allowed.Distinct());
            return ValueTask.FromResult(SelfApiResponse.Problem(405, "Method Not Allowed",
                $"{request.Method} is not allowed on {request.Path}; allowed: {allow}.", instance: request.Path, allow: allow));
        }
        if (fallback is { } f)
        {
            request.RouteValues = f.Values;
            return f.Route.Handler(request);
        }
        return ValueTask.FromResult(SelfApiResponse.Problem(404, "Not Found", $"No resource at {request.Path}.", instance: request.Path));
    }

    private static Dictionary<string, string>? Match(string[] template, string[] path)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < template.Length; i++)
        {
            var t = template[i];
            if (t.StartsWith("{**", StringComparison.Ordinal))
            {
                values[t[3..^1]] = string.Join('/', path.Skip(i));
                return values;
            }
            if (i >= path.Length)
            {
                return null;
            }
            if (t.StartsWith('{'))
            {
                if (path[i].Length == 0)
                {
                    return null;
                }
                values[t[1..^1]] = path[i];
            }
            else if (!string.Equals(t, path[i], StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
        }
        return template.Length == path.Length ? values : null;
    }
}
