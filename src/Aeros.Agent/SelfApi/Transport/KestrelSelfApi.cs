using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Aeros.Agent.SelfApi.Transport;

/// <summary>
/// Serves <see cref="SelfApiRoute"/>s on ASP.NET Core (Kestrel, <c>aeros agent</c>): each route becomes an endpoint
/// of the same template and method (a fallback route a <c>MapFallback</c>), whose delegate turns the
/// <see cref="HttpContext"/> into a <see cref="SelfApiRequest"/> and writes the <see cref="SelfApiResponse"/> back.
/// Routing, 405s and middleware (authentication, ...) stay ASP.NET Core's.
/// </summary>
internal static class KestrelSelfApi
{
    /// <summary>Maps <paramref name="routes"/>; returns the endpoints' convention builders (e.g. for authorization).</summary>
    public static IReadOnlyList<IEndpointConventionBuilder> Map(IEndpointRouteBuilder endpoints, IEnumerable<SelfApiRoute> routes)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(routes);
        var list = routes.ToList();
        // A fallback runs through the router, so a known path with another method is a 405 here too, as on the
        // agent's own server (ASP.NET Core would hand it to the fallback, which matches every method).
        var router = new SelfApiRouter(list);
        var built = new List<IEndpointConventionBuilder>();
        foreach (var route in list)
        {
            var handler = SelfApiFilters.Wrap(route.IsFallback ? router.DispatchAsync : route.Handler);
            RequestDelegate run = http => ExecuteAsync(http, handler);
            built.Add(route.IsFallback
                ? endpoints.MapFallback(route.Template, run)
                : endpoints.MapMethods(route.Template, [route.Method], run));
        }
        return built;
    }

    private static async Task ExecuteAsync(HttpContext http, SelfApiHandler handler)
    {
        var request = new SelfApiRequest
        {
            Method = http.Request.Method,
            Path = http.Request.Path.Value ?? "/",
            QueryString = http.Request.QueryString.Value ?? "",
            ContentType = http.Request.ContentType,
            ContentLength = http.Request.ContentLength,
            Body = http.Request.Body,
            Headers = name => http.Request.Headers.TryGetValue(name, out var values) ? values.ToString() : null,
            Services = http.RequestServices,
            Aborted = http.RequestAborted,
            RouteValues = http.Request.RouteValues.Where(v => v.Value is string).ToDictionary(v => v.Key, v => (string)v.Value!, StringComparer.OrdinalIgnoreCase),
        };
        var response = await handler(request);
        if (http.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        http.Response.StatusCode = response.Status;
        if (response.Location is not null)
        {
            http.Response.Headers.Location = response.Location;
        }
        if (response.Allow is not null)
        {
            http.Response.Headers.Allow = response.Allow;
        }
        if (response.WwwAuthenticate is not null)
        {
            http.Response.Headers.WWWAuthenticate = response.WwwAuthenticate;
        }
        if (response.ContentType is not null)
        {
            http.Response.ContentType = response.ContentType;
            http.Response.ContentLength = response.Body.Length;
            await http.Response.Body.WriteAsync(response.Body, http.RequestAborted);
        }
    }
}
