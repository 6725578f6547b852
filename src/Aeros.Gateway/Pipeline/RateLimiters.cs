using System.Collections.Concurrent;
using System.Collections.Frozen;
using Microsoft.Extensions.Options;

namespace Aeros.Gateway.Pipeline;

/// <summary>
/// Per-client token buckets (429 when empty): each client has its own bucket, so one client's flood never
/// throttles another. Bounded: past <see cref="GatewayLimitsOptions.MaxTrackedClients"/> the full (idle) buckets are
/// forgotten.
/// </summary>
internal sealed class ClientRateLimiter(IOptions<GatewayOptions> options, TimeProvider time)
{
    private readonly GatewayLimitsOptions _limits = options.Value.Limits;
    private readonly ConcurrentDictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);
    private int _sweeping;

    public bool TryAcquire(string client, out TimeSpan retryAfter)
    {
        if (!_buckets.TryGetValue(client, out var bucket))
        {
            if (_buckets.Count >= _limits.MaxTrackedClients)
            {
                Sweep();
            }
            bucket = _buckets.GetOrAdd(client, _ => new TokenBucket(_limits.ClientRequestsPerSecond, _limits.ClientBurst, time));
        }
        return bucket.TryTake(out retryAfter);
    }

    private void Sweep()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }
        try
        {
            foreach (var (key, bucket) in _buckets)
            {
                if (bucket.IsFull)
                {
                    _buckets.TryRemove(key, out _);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }
}

/// <summary>Per-route (API) protection of the backends: a shared request rate and a cap on requests in flight (503 beyond).</summary>
internal sealed class RouteLimiter
{
    private readonly FrozenDictionary<string, (TokenBucket Rate, int MaxInFlight)> _routes;
    private readonly ConcurrentDictionary<string, StrongBox> _inFlight = new(StringComparer.Ordinal);

    private sealed class StrongBox
    {
        public int Value;
    }

    public RouteLimiter(IOptions<GatewayOptions> options, TimeProvider time)
    {
        var o = options.Value;
        var routes = new Dictionary<string, (TokenBucket, int)>(StringComparer.Ordinal);
        foreach (var (api, backend) in o.Backends())
        {
            routes[api] = Make(backend.RequestsPerSecond, backend.MaxConcurrentRequests);
        }
        routes[GatewayApis.Ie] = Make(null, null);
        routes[GatewayApis.OpenApi] = Make(null, null);
        _routes = routes.ToFrozenDictionary(StringComparer.Ordinal);
        foreach (var api in _routes.Keys)
        {
            _inFlight[api] = new StrongBox();
        }

        (TokenBucket, int) Make(double? rate, int? concurrent)
        {
            var r = rate ?? o.Limits.RouteRequestsPerSecond;
            // A burst of one second's worth (at least 1) absorbs jitter without letting a route run far above its rate.
            return (new TokenBucket(r, Math.Max(1, (int)Math.Ceiling(r)), time), concurrent ?? o.Limits.RouteMaxConcurrentRequests);
        }
    }

    /// <summary>Enters <paramref name="api"/>; on success the caller must <see cref="Exit"/>.</summary>
    public bool TryEnter(string api, out TimeSpan retryAfter, out string reason)
    {
        reason = "";
        if (!_routes.TryGetValue(api, out var route))
        {
            retryAfter = TimeSpan.Zero;
            return true;
        }
        var counter = _inFlight[api];
        if (Interlocked.Increment(ref counter.Value) > route.MaxInFlight)
        {
            Interlocked.Decrement(ref counter.Value);
            retryAfter = TimeSpan.FromSeconds(1);
            reason = $"The '{api}' API has {route.MaxInFlight} requests in flight already.";
            return false;
        }
        if (!route.Rate.TryTake(out retryAfter))
        {
            Interlocked.Decrement(ref counter.Value);
            reason = $"The '{api}' API is above its request rate.";
            return false;
        }
        return true;
    }

    public void Exit(string api)
    {
        if (_inFlight.TryGetValue(api, out var counter))
        {
            Interlocked.Decrement(ref counter.Value);
        }
    }
}
