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
    private long _elapsedTicks = -1;

    /// <summary>The request's timing, created when none is there yet (one feature look-up; the forwarder keeps it).</summary>
    public static UpstreamTiming For(HttpContext http)
    {
        var timing = http.Features.Get<UpstreamTiming>();
        if (timing is null)
        {
            timing = new UpstreamTiming();
            http.Features.Set(timing);
        }
        return timing;
    }

    /// <summary>The request was sent to the backend now.</summary>
    public void Begin(TimeProvider time)
    {
        _start = time.GetTimestamp();
        _started = true;
    }

    /// <summary>The backend's response head arrived now.</summary>
    public void End(TimeProvider time)
    {
        if (_started)
        {
            _elapsedTicks = time.GetElapsedTime(_start).Ticks;
        }
    }

    /// <summary>The upstream time of this request, or null when no backend was called.</summary>
    public TimeSpan? Elapsed => _elapsedTicks >= 0 ? TimeSpan.FromTicks(_elapsedTicks) : null;

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
            timing._elapsedTicks = time.GetElapsedTime(timing._start).Ticks;
        }
    }
}
