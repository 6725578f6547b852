using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Aeros.Agent.Awareness;
using Aeros.Agent.Diagnose;
using Aeros.Agent.Runtime;

namespace Aeros.Agent.Reporting;

/// <summary>Registers the broker reporter (IE entity registration, adaptive reporting, heartbeat).</summary>
public static class ReportingServiceCollectionExtensions
{
    /// <summary>
    /// Adds the broker reporter (a hosted service) and <see cref="ReportingStats"/> with validated
    /// <see cref="ReportingOptions"/> bound from <paramref name="configuration"/> (e.g. the <c>Agent:Reporting</c> section)
    /// and then <paramref name="configure"/>. Needs <c>AddAgent</c>; uses the runtime detection when the workload module is added.
    /// </summary>
    public static IServiceCollection AddAgentReporting(this IServiceCollection services, IConfiguration? configuration = null, Action<ReportingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ReportingOptions>();
        if (configuration is not null)
        {
            options.Bind(configuration);
        }
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReportingOptions>, ReportingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ReportingStats>();
        services.TryAddSingleton<ReportingClient>();
        services.TryAddSingleton(sp => new SelfApiAddress(sp.GetRequiredService<IOptions<ReportingOptions>>(),
            SelfApiAddress.Listening(sp), sp.GetService<IHostApplicationLifetime>()));
        services.AddHostedService(sp => new BrokerReporter(sp.GetRequiredService<ReportingClient>(), sp.GetRequiredService<INodeAwareness>(),
            sp.GetRequiredService<ISelfDiagnosis>(), sp.GetRequiredService<AgentIdentity>(), sp.GetService<RuntimeDetection>(),
            sp.GetRequiredService<IOptions<ReportingOptions>>(), sp.GetRequiredService<ReportingStats>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<BrokerReporter>>(), sp.GetRequiredService<SelfApiAddress>()));
        return services;
    }
}
