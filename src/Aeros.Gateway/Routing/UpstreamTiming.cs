using Microsoft.AspNetCore.Http;

namespace Aeros.Gateway.Routing;

/// <summary>Measures the backend's part of a request (request sent → response headers) for <see cref="GatewayHeaders.UpstreamLatency"/>.</summary>
internal static class UpstreamTiming
{
    private static readonly object StartKey = new();
    private static readonly object ElapsedKey = new();

    public static void Started(HttpContext http, TimeProvider time) => http.Items[StartKey] = time.GetTimestamp();

    public static void Answered(HttpContext http, TimeProvider time)
    {
        if (http.Items.TryGetValue(StartKey, out var start) && start is long stamp)
        {
            http.Items[ElapsedKey] = time.GetElapsedTime(stamp).TotalMilliseconds;
        }
    }

    /// <summary>The upstream milliseconds, or null when no backend was called.</summary>
    public static double? Elapsed(HttpContext http) =>
        http.Items.TryGetValue(ElapsedKey, out var value) && value is double ms ? ms : null;
}
