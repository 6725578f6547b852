using Aeros.Orchestration.Federation;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Llo;

/// <summary>Registers the domain's Low-Level Orchestrator (docs/llo.md).</summary>
public static class LloServiceCollectionExtensions
{
    /// <summary>
    /// The name of the <see cref="HttpClient"/> the LLO calls the IE agents' self-APIs with (a secured domain host adds
    /// its token to it for the agents it lists, docs/security.md).
    /// </summary>
    public const string AgentHttpClientName = AgentClient.HttpClientName;

    /// <summary>
    /// Adds the LLO: the reconcile loop and the element monitor (hosted services) with validated <see cref="LloOptions"/>
    /// (its domain taken from <see cref="FederationOptions.DomainName"/> when not set). An <see cref="IComponentReplacer"/>
    /// registered before this call (the HLO's) is kept; otherwise lost elements' components become Migrating.
    /// </summary>
    public static IServiceCollection AddAerosLlo(this IServiceCollection services, Action<LloOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<LloOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LloOptions>, LloOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<LloOptions>, LloOptionsSetup>());
        services.AddOptions<FederationOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddHttpClient(LloBroker.HttpClientName);
        // Each agent request is bounded by the LLO's own timeout.
        services.AddHttpClient(AgentClient.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.TryAddSingleton<LloBroker>();
        services.TryAddSingleton<AgentClient>();
        services.TryAddSingleton<LloMetrics>();
        services.TryAddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<LloOptions>>().Value;
            return new WorkQueue(sp.GetRequiredService<TimeProvider>(), o.RetryBaseDelay, o.RetryMaxDelay);
        });
        services.TryAddSingleton<ComponentReconciler>();
        services.TryAddSingleton<IComponentReplacer, MigratingComponentReplacer>();
        services.TryAddSingleton<LloController>();
        services.TryAddSingleton<ElementMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<LloController>());
        services.AddHostedService(sp => sp.GetRequiredService<ElementMonitor>());
        return services;
    }

    /// <summary>Maps the LLO's API under <c>/llo/v1</c> (the notification endpoint, its status and the component logs).</summary>
    public static IEndpointRouteBuilder MapAerosLlo(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        LloApi.Map(endpoints);
        LloLogsApi.Map(endpoints);
        return endpoints;
    }
}
