using Aeros.Agent.Runtime;
using Aeros.Agent.SelfApi.Transport;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.Workloads;

/// <summary>Registers the workload module: runtimes, runtime detection, the manager (a hosted service) and its API.</summary>
public static class WorkloadServiceCollectionExtensions
{
    /// <summary>Adds the workload module with <see cref="WorkloadOptions"/> bound from <paramref name="configuration"/> (e.g. the <c>Workloads</c> section).</summary>
    public static IServiceCollection AddWorkloads(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddWorkloads(options => configuration.Bind(options));
    }

    /// <summary>Adds the workload module with validated <see cref="WorkloadOptions"/>.</summary>
    public static IServiceCollection AddWorkloads(this IServiceCollection services, Action<WorkloadOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<WorkloadOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkloadOptions>, WorkloadOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PodmanCli>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWorkloadRuntime, ProcessRuntime>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWorkloadRuntime, PodmanRuntime>());
        services.TryAddSingleton<RuntimeDetection>();
        services.TryAddSingleton<WorkloadManager>();
        services.TryAddSingleton<IWorkloadManager>(sp => sp.GetRequiredService<WorkloadManager>());
        services.AddHostedService(sp => sp.GetRequiredService<WorkloadManager>());
        return services;
    }

    /// <summary>Maps the workload API under <c>/self/v1/workloads</c>.</summary>
    public static IEndpointRouteBuilder MapWorkloadApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        KestrelSelfApi.Map(endpoints, WorkloadApi.Routes);
        return endpoints;
    }
}
