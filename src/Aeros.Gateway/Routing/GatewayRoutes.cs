using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;

namespace Aeros.Gateway.Routing;

/// <summary>The YARP route table built from <see cref="GatewayOptions"/>: one route and cluster per backend API.</summary>
internal static class GatewayRoutes
{
    /// <summary>Route metadata key holding the API name.</summary>
    public const string ApiKey = "Aeros.Api";

    /// <summary>Route metadata key marking an anonymous (OIDC protocol) route.</summary>
    public const string AnonymousKey = "Aeros.Anonymous";

    /// <summary>The path prefix of each backend API.</summary>
    public static readonly IReadOnlyDictionary<string, string> Prefixes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [GatewayApis.Broker] = "/ngsi-ld",
        [GatewayApis.Hlo] = "/hlo",
        [GatewayApis.Llo] = "/llo",
        [GatewayApis.Federation] = "/federation",
        [GatewayApis.Iam] = "/iam",
    };

    private static readonly Dictionary<string, string> DefaultHealthPaths = new(StringComparer.Ordinal)
    {
        [GatewayApis.Broker] = "/ngsi-ld/v1/types",
        [GatewayApis.Hlo] = "/hlo/v1/status",
        [GatewayApis.Iam] = "/iam/.well-known/openid-configuration",
    };

    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) Build(GatewayOptions options)
    {
        var routes = new List<RouteConfig>();
        var clusters = new List<ClusterConfig>();
        foreach (var (api, backend) in options.Backends())
        {
            routes.Add(new RouteConfig
            {
                RouteId = api,
                ClusterId = api,
                Match = new RouteMatch { Path = Prefixes[api] + "/{**rest}" },
                Metadata = new Dictionary<string, string> { [ApiKey] = api },
            });
            if (api == GatewayApis.Iam)
            {
                for (var i = 0; i < GatewayRouteMetadata.AnonymousPaths.Count; i++)
                {
                    routes.Add(new RouteConfig
                    {
                        RouteId = $"iam-oidc-{i}",
                        ClusterId = api,
                        Order = -1,
                        Match = new RouteMatch { Path = GatewayRouteMetadata.AnonymousPaths[i] },
                        Metadata = new Dictionary<string, string> { [ApiKey] = api, [AnonymousKey] = "true" },
                    });
                }
            }
            var destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal);
            for (var i = 0; i < backend.Destinations.Count; i++)
            {
                destinations[$"{api}-{i}"] = new DestinationConfig { Address = backend.Destinations[i].ToString() };
            }
            clusters.Add(new ClusterConfig
            {
                ClusterId = api,
                Destinations = destinations,
                LoadBalancingPolicy = LoadBalancingPolicies.RoundRobin,
                HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = backend.Timeout },
                HealthCheck = backend.Destinations.Count < 2 ? null : new HealthCheckConfig
                {
                    // Only replicas need probing: with one destination there is nowhere else to send the request.
                    AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyOrPanic,
                    Active = new ActiveHealthCheckConfig
                    {
                        Enabled = true,
                        Interval = backend.HealthCheckInterval,
                        Timeout = TimeSpan.FromSeconds(Math.Min(5, Math.Max(0.1, backend.HealthCheckInterval.TotalSeconds))),
                        Policy = HealthCheckConstants.ActivePolicy.ConsecutiveFailures,
                        Path = backend.HealthCheckPath ?? DefaultHealthPaths.GetValueOrDefault(api, "/"),
                    },
                },
            });
        }
        return (routes, clusters);
    }
}
