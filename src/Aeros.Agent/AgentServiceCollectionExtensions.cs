using Aeros.Agent.Awareness;
using Aeros.Agent.Diagnose;
using Aeros.Agent.Metrics;
using Aeros.Agent.Reporting;
using Aeros.Agent.SelfApi;
using Aeros.Agent.SelfApi.Transport;
using Aeros.Agent.Workloads;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
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
        // Token checks of /self/v1 (Agent:Security) on both carriers; a pass-through when no issuer is configured.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISelfApiFilter, SelfApiAuthorization>());
        return services;
    }

    /// <summary>
    /// Adds what turns the agent into a node of the continuum, as <c>aeros agent</c> runs it: the workload module
    /// (<see cref="WorkloadOptions"/> from the <c>Workloads</c> subsection of <paramref name="agentSection"/>, its state
    /// directory always the agent's <see cref="AgentOptions.StateDirectory"/>), the broker reporter
    /// (<see cref="ReportingOptions"/> from the <c>Reporting</c> subsection) and the self-diagnose inputs from both
    /// (replacing the default ones). Call after <see cref="AddAgent"/>.
    /// </summary>
    public static IServiceCollection AddAgentModules(this IServiceCollection services, IConfiguration agentSection)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(agentSection);
        services.AddWorkloads(agentSection.GetSection("Workloads"));
        services.AddOptions<WorkloadOptions>().Configure<IOptions<AgentOptions>>((workloads, agent) =>
            workloads.StateDirectory = Path.GetFullPath(agent.Value.StateDirectory));
        services.AddAgentReporting(agentSection.GetSection("Reporting"));
        services.Replace(ServiceDescriptor.Singleton<IDiagnoseInputs>(sp =>
            new AgentDiagnoseInputs(sp.GetService<IWorkloadManager>(), sp.GetRequiredService<ReportingStats>())));
        return services;
    }

    /// <summary>Maps the endpoints of <see cref="AddAgentModules"/>: the workload API under <c>/self/v1/workloads</c>.</summary>
    public static IEndpointRouteBuilder MapAgentModules(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapWorkloadApi();
        return endpoints;
    }

    /// <summary>
    /// Maps the self-API under <c>/self/v1</c> and the Prometheus endpoint <c>/metrics</c>; on a web application also adds
    /// the self-API's token checks (<see cref="AgentOptions.Security"/>; nothing is checked without an issuer).
    /// </summary>
    public static IEndpointRouteBuilder MapAgent(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        KestrelSelfApi.Map(endpoints, SelfApiEndpoints.Routes);
        KestrelSelfApi.Map(endpoints, PrometheusMetrics.Routes);
        return endpoints;
    }
}
