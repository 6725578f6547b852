using Microsoft.AspNetCore.Http;

namespace Aeros.Gateway.Routing;

/// <summary>
/// Measures the backend's part of a request (request sent → response headers) for
/// <see cref="GatewayHeaders.UpstreamLatency"/>. Kept as a request feature rather than in <c>HttpContext.Items</c>: no
/// dictionary and no boxed numbers per request; the gateway middleware's own per-request state is this feature.
/// </summary>
internal class UpstreamTiming
{
    private long _start;
    private bool _started;
    private double _elapsedMs = -1;

    public static void Started(HttpContext http, TimeProvider time)
    {
        var timing = http.Features.Get<UpstreamTiming>();
        if (timing is null)
        {
            timing = new UpstreamTiming();
            http.Features.Set(timing);
        }
        timing._start = time.GetTimestamp();
        timing._started = true;
    }

    public static void Answered(HttpContext http, TimeProvider time)
    {
        if (http.Features.Get<UpstreamTiming>() is { _started: true } timing)
        {
            timing._elapsedMs = time.GetElapsedTime(timing._start).TotalMilliseconds;
        }
    }

    /// <summary>The upstream milliseconds, or null when no backend was called.</summary>
    public static double? Elapsed(HttpContext http) =>
        http.Features.Get<UpstreamTiming>() is { _elapsedMs: >= 0 } timing ? timing._elapsedMs : null;
}
