using Aeros.Agent.Awareness;
using Aeros.Agent.Diagnose;
using Aeros.Agent.Metrics;
using Aeros.Agent.SelfApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Aeros.Agent;

/// <summary>Registers the IE agent's services: self-awareness, self-diagnose, the self-API and <c>/metrics</c>.</summary>
public static class AgentServiceCollectionExtensions
{
    /// <summary>
    /// Adds the agent with validated <see cref="AgentOptions"/>: the sampler (a hosted service), the identity, the
    /// runtime configuration store and self-diagnose. <see cref="IDiagnoseInputs"/> defaults to "no workloads, broker
    /// unknown"; the workload manager and broker reporter register their own before or after this call (last one wins
    /// over the default, which is added with TryAdd).
    /// </summary>
    public static IServiceCollection AddAgent(this IServiceCollection services, Action<AgentOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<AgentOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentOptions>, AgentOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<AgentConfigStore>();
        services.TryAddSingleton<AgentIdentity>();
        services.TryAddSingleton<NodeSampler>();
        services.TryAddSingleton<INodeAwareness>(sp => sp.GetRequiredService<NodeSampler>());
        services.AddHostedService(sp => sp.GetRequiredService<NodeSampler>());
        services.TryAddSingleton<IDiagnoseInputs, NoDiagnoseInputs>();
        services.TryAddSingleton<ISelfDiagnosis, SelfDiagnosis>();
        return services;
    }

    /// <summary>Maps the self-API under <c>/self/v1</c> and the Prometheus endpoint <c>/metrics</c>.</summary>
    public static IEndpointRouteBuilder MapAgent(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        SelfApiEndpoints.Map(endpoints);
        PrometheusMetrics.Map(endpoints);
        return endpoints;
    }
}
