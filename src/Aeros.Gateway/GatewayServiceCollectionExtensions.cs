using Aeros.Gateway.Forwarding;
using Aeros.Gateway.OpenApi;
using Aeros.Gateway.Pipeline;
using Aeros.Gateway.Routing;
using Aeros.Security.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;

namespace Aeros.Gateway;

/// <summary>Registers and maps the domain's secure API gateway (docs/security.md).</summary>
public static class GatewayServiceCollectionExtensions
{
    /// <summary>The <see cref="HttpClient"/> that fetches discovery documents and JWKS.</summary>
    public const string JwksHttpClientName = "Aeros.Gateway.Jwks";

    /// <summary>The <see cref="HttpClient"/> of the gateway's own backend calls (IE look-ups, OpenAPI documents).</summary>
    public const string BackendHttpClientName = "Aeros.Gateway.Backend";

    /// <summary>
    /// Adds the gateway: validated <see cref="GatewayOptions"/> (every error listed at start), the token validator
    /// with its JWKS caches, the policy (<see cref="GatewayOptions.PolicyFile"/> or the embedded default), the
    /// limiters, the response cache, YARP with one route and cluster per configured backend, and the raw HTTP/1.1
    /// forwarder that YARP's route pipeline hands backend requests to (<see cref="GatewayOptions.Forwarder"/>). Kestrel's own header
    /// limit is raised above <see cref="GatewayLimitsOptions.MaxRequestHeadersBytes"/> so that the gateway answers
    /// 431 with problem details itself; the host's request logging (which includes query strings) is turned off — and
    /// with it the host's per-request Activity and log scope when no tracer listens — and YARP's down to warnings; and
    /// Kestrel's <c>Server</c> header is off. These settings apply to the whole host.
    /// </summary>
    public static IServiceCollection AddAerosGateway(this IServiceCollection services, Action<GatewayOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<GatewayOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(JwksHttpClientName, (sp, client) =>
            client.Timeout = sp.GetRequiredService<IOptions<GatewayOptions>>().Value.Jwks.FetchTimeout);
        services.AddHttpClient(BackendHttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.TryAddSingleton<GatewayPolicyHolder>();
        services.TryAddSingleton(sp =>
        {
            var gateway = sp.GetRequiredService<IOptions<GatewayOptions>>().Value;
            return new JwtValidator(
                new TokenValidationOptions { Audience = gateway.Audience, ClockSkew = gateway.ClockSkew, Issuers = [.. gateway.Issuers], Jwks = gateway.Jwks },
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(JwksHttpClientName),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<JwtValidator>>());
        });
        services.TryAddSingleton<ClientRateLimiter>();
        services.TryAddSingleton<RouteLimiter>();
        services.TryAddSingleton<ResponseCache>();
        services.TryAddSingleton<IeSelfApiResolver>();
        services.TryAddSingleton<IeSelfApiEndpoint>();
        services.TryAddSingleton<OpenApiAggregator>();
        services.TryAddSingleton<RawForwarder>();
        services.TryAddSingleton<RawForwarderStep>();
        services.TryAddSingleton<GatewayGuard>();
        services.TryAddSingleton<GatewayFastPath>();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<GatewayOptions>>((kestrel, gateway) =>
        {
            // Kestrel's limit is the backstop only (it answers 431 without a body); the gateway's own check comes first.
            var wanted = Math.Max(64 * 1024, gateway.Value.Limits.MaxRequestHeadersBytes * 2);
            kestrel.Limits.MaxRequestHeadersTotalSize = Math.Max(kestrel.Limits.MaxRequestHeadersTotalSize, wanted);
            kestrel.Limits.MaxRequestLineSize = Math.Max(kestrel.Limits.MaxRequestLineSize, 16 * 1024);
            // A header less to write per response, and one less thing to tell a scanner.
            kestrel.AddServerHeader = false;
        });
        services.AddOptions<SocketTransportOptions>().Configure<IOptions<GatewayOptions>>((sockets, gateway) =>
        {
            if (gateway.Value.InlineScheduling)
            {
                sockets.UnsafePreferInlineScheduling = true;
            }
        });
        services.Configure<LoggerFilterOptions>(logging =>
        {
            // The host's request-start lines and YARP's "proxying to" lines carry full URLs with query strings (which
            // may hold secrets): the gateway's own access log (event 6200) replaces them.
            // It logs nothing above information anyway, and while it is enabled at any level the host opens a log scope
            // and an Activity per request, which makes HttpClient start a child Activity and write traceparent for every
            // forwarded request: measurable CPU per request for nothing when no tracer listens (with one, both still happen).
            logging.Rules.Add(new LoggerFilterRule(null, "Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None, null));
            logging.Rules.Add(new LoggerFilterRule(null, "Yarp", LogLevel.Warning, null));
        });
        services.AddSingleton<IProxyConfigProvider, GatewayProxyConfigProvider>();
        services.AddReverseProxy().AddTransforms(context =>
        {
            var time = context.Services.GetRequiredService<TimeProvider>();
            context.AddRequestTransform(t =>
            {
                UpstreamTiming.Started(t.HttpContext, time);
                return ValueTask.CompletedTask;
            });
            context.AddResponseTransform(t =>
            {
                UpstreamTiming.Answered(t.HttpContext, time);
                return ValueTask.CompletedTask;
            });
        });
        return services;
    }

    /// <summary>
    /// Maps the gateway on <paramref name="app"/>: the fast path of the backend routes (<see cref="GatewayOptions.FastPath"/>),
    /// routing, the gateway's checks (<c>401/403/413/429/431/503</c> as
    /// problem details, no backend call on any of them), then the backend routes (<c>/ngsi-ld/</c>, <c>/hlo/</c>,
    /// <c>/llo/</c>, <c>/federation/</c>, <c>/iam/</c>), the IE self-APIs (<c>/ie/{ieId}/self/...</c>) and the aggregated
    /// <c>/openapi.json</c>. Every endpoint needs a valid token except the IAM's OIDC protocol endpoints
    /// (<see cref="GatewayRouteMetadata.AnonymousPaths"/>).
    /// </summary>
    public static WebApplication MapAerosGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var services = app.Services;
        var options = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        var raw = GatewayForwarders.IsRaw(options.Forwarder) ? services.GetRequiredService<RawForwarderStep>() : null;
        var fast = services.GetRequiredService<GatewayFastPath>();
        if (fast.Apis.Count > 0)
        {
            // In front of routing: the hot backend routes end here; everything else is routed as below.
            app.Use(fast.InvokeAsync);
        }
        // The host would put the authentication and authorization middlewares (registered by the framework pieces the
        // gateway uses) in front of everything; placed here they stay in front of routing, as before, but behind the
        // fast path, whose requests they never had an endpoint to act on: one async layer less per proxied request.
        var registered = services.GetService<IServiceProviderIsService>();
        if (registered?.IsService(typeof(IAuthenticationSchemeProvider)) == true)
        {
            app.UseAuthentication();
        }
        if (registered?.IsService(typeof(IAuthorizationHandlerProvider)) == true)
        {
            app.UseAuthorization();
        }
        app.UseRouting();
        app.UseMiddleware<GatewayMiddleware>();
        app.MapReverseProxy(pipeline =>
        {
            pipeline.UseLoadBalancing();
            pipeline.UsePassiveHealthChecks();
            pipeline.Use(async (http, next) =>
            {
                await next();
                if (http.GetForwarderErrorFeature() is { } error)
                {
                    var api = http.GetReverseProxyFeature().Route.Config.Metadata?.GetValueOrDefault(GatewayRoutes.ApiKey) ?? "?";
                    await ForwardingErrors.WriteAsync(http, api, error.Error);
                }
            });
            if (raw is not null)
            {
                // Ends the pipeline for what it forwards itself; the rest continues to YARP's forwarder.
                pipeline.Use(raw.InvokeAsync);
            }
        }).ConfigureEndpoints((IEndpointConventionBuilder builder, RouteConfig route) =>
        {
            var api = route.Metadata?.GetValueOrDefault(GatewayRoutes.ApiKey) ?? "?";
            var anonymous = route.Metadata?.GetValueOrDefault(GatewayRoutes.AnonymousKey) == "true"
                && GatewayRouteMetadata.AnonymousPaths.Contains(route.Match.Path, StringComparer.Ordinal);
            builder.WithMetadata(new GatewayRouteMetadata(api, anonymous));
        });
        var ie = services.GetRequiredService<IeSelfApiEndpoint>();
        app.Map(IeSelfApiEndpoint.Pattern, ie.HandleAsync).WithMetadata(new GatewayRouteMetadata(GatewayApis.Ie));
        var openApi = services.GetRequiredService<OpenApiAggregator>();
        app.MapGet(OpenApiAggregator.Path, openApi.HandleAsync).WithMetadata(new GatewayRouteMetadata(GatewayApis.OpenApi));
        var policy = services.GetRequiredService<GatewayPolicyHolder>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Aeros.Gateway");
        GatewayLog.Started(logger, options.DomainName!, policy.Source, GatewayRoutes.Build(options).Routes.Count + 2);
        GatewayLog.ForwarderChosen(logger, raw is null ? GatewayForwarders.Yarp : GatewayForwarders.Raw);
        GatewayLog.FastPath(logger, fast.Apis.Count == 0 ? "none" : string.Join(", ", fast.Apis));
        return app;
    }
}

/// <summary>Feeds YARP the route table built from <see cref="GatewayOptions"/> (one immutable snapshot).</summary>
internal sealed class GatewayProxyConfigProvider(IOptions<GatewayOptions> options) : IProxyConfigProvider
{
    private readonly Lazy<Snapshot> _snapshot = new(() =>
    {
        var (routes, clusters) = GatewayRoutes.Build(options.Value);
        return new Snapshot(routes, clusters);
    });

    public IProxyConfig GetConfig() => _snapshot.Value;

    private sealed class Snapshot(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters) : IProxyConfig
    {
        public IReadOnlyList<RouteConfig> Routes { get; } = routes;
        public IReadOnlyList<ClusterConfig> Clusters { get; } = clusters;
        public Microsoft.Extensions.Primitives.IChangeToken ChangeToken { get; } = new Microsoft.Extensions.Primitives.CancellationChangeToken(CancellationToken.None);
    }
}
