using Aeros.Gateway.Pipeline;
using Aeros.Gateway.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Aeros.Gateway.Forwarding;

/// <summary>
/// The hot backend routes served by one terminal middleware in front of endpoint routing (ADR 0017): it matches the
/// route table itself (<c>/ngsi-ld/</c>, <c>/hlo/</c>, <c>/llo/</c>, <c>/federation/</c> followed by anything, ordinal),
/// runs the same <see cref="GatewayGuard"/> checks and forwards with <see cref="RawForwarder"/> to a destination YARP's
/// health checks keep available, picked round-robin. No endpoint routing, no YARP route pipeline, no proxy feature per
/// request. What it does not match goes on unchanged to routing: other casings or spellings of a prefix, the IAM (whose
/// OIDC endpoints are anonymous), IE self-APIs, <c>/openapi.json</c>, CONNECT and upgrades, and backends with an https
/// destination — there YARP's pipeline applies as before, so the fast path only ever takes a subset of what routing
/// would send to the same route, with the same checks.
/// </summary>
internal sealed class GatewayFastPath
{
    private readonly GatewayGuard _guard;
    private readonly RawForwarder _forwarder;
    private readonly IProxyStateLookup _proxyState;
    private readonly FastRoute[] _routes;

    /// <summary>One backend route: its prefix with the trailing slash, the metadata the checks use, its cluster.</summary>
    private sealed class FastRoute(string prefix, string api, TimeSpan timeout)
    {
        public readonly string Prefix = prefix;
        public readonly string Api = api;
        public readonly GatewayRouteMetadata Metadata = new(api);
        public readonly TimeSpan Timeout = timeout;
        public RequestDelegate Forward = null!;
        public ClusterState? Cluster;
        public uint Next;
    }

    public GatewayFastPath(IOptions<GatewayOptions> options, GatewayGuard guard, RawForwarder forwarder, IProxyStateLookup proxyState)
    {
        _guard = guard;
        _forwarder = forwarder;
        _proxyState = proxyState;
        var o = options.Value;
        var routes = new List<FastRoute>();
        if (o.FastPath && GatewayForwarders.IsRaw(o.Forwarder))
        {
            foreach (var (api, backend) in o.Backends())
            {
                // The IAM keeps routing: its six OIDC protocol paths are anonymous routes there, and it is not hot.
                // A backend without destinations (YARP answers 503) or with an https one (YARP forwards it) too.
                if (api == GatewayApis.Iam || backend.Destinations.Count == 0
                    || backend.Destinations.Any(d => UpstreamEndpoint.TryCreate(d.ToString()) is null))
                {
                    continue;
                }
                var route = new FastRoute(GatewayRoutes.Prefixes[api] + "/", api, backend.Timeout);
                route.Forward = http => ForwardAsync(http, route);
                routes.Add(route);
            }
        }
        _routes = [.. routes];
    }

    /// <summary>The APIs the fast path serves (for the start-up log and tests).</summary>
    public IReadOnlyList<string> Apis => [.. _routes.Select(r => r.Api)];

    /// <summary>The middleware: a matching request is checked and forwarded here; anything else goes to <paramref name="next"/>.</summary>
    public Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        var path = http.Request.Path.Value;
        if (path is not null)
        {
            foreach (var route in _routes)
            {
                if (path.StartsWith(route.Prefix, StringComparison.Ordinal) && RawForwarder.CanForward(http))
                {
                    return _guard.InvokeAsync(http, route.Metadata, route.Forward);
                }
            }
        }
        return next(http);
    }

    private async Task ForwardAsync(HttpContext http, FastRoute route)
    {
        // YARP owns the cluster (config, active health checks); its state object lives as long as the configuration.
        var cluster = route.Cluster;
        if (cluster is null && _proxyState.TryGetCluster(route.Api, out cluster))
        {
            route.Cluster = cluster;
        }
        var destinations = cluster?.DestinationsState.AvailableDestinations;
        if (destinations is null || destinations.Count == 0)
        {
            await ForwardingErrors.WriteAsync(http, route.Api, ForwarderError.NoAvailableDestinations);
            return;
        }
        var destination = destinations.Count == 1
            ? destinations[0]
            : destinations[(int)(Interlocked.Increment(ref route.Next) % (uint)destinations.Count)];
        if (destination.Model is not { } model || _forwarder.PoolFor(model.Config.Address) is not { } pool)
        {
            // Checked at start for the configured destinations; a destination added later that is not plain http.
            await ForwardingErrors.WriteAsync(http, route.Api, ForwarderError.NoAvailableDestinations);
            return;
        }
        var result = await _forwarder.ForwardAsync(http, pool, route.Timeout, route.Api);
        await RawForwarderStep.WriteResultAsync(http, result, route.Api);
    }
}
