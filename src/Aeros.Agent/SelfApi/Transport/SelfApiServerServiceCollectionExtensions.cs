using Aeros.Agent.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.SelfApi.Transport;

/// <summary>Registers the agent's own HTTP/1.1 server (used by <see cref="AgentHost.CreateMinimal"/>).</summary>
public static class SelfApiServerServiceCollectionExtensions
{
    /// <summary>Adds the server's factory and validated <see cref="SelfApiServerOptions"/> bound from <paramref name="configuration"/> (section <c>Agent:Server</c>).</summary>
    public static IServiceCollection AddSelfApiServer(this IServiceCollection services, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<SelfApiServerOptions>();
        if (configuration is not null)
        {
            options.Bind(configuration);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SelfApiServerOptions>, SelfApiServerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<Http1ServerFactory>();
        services.TryAddSingleton<ISelfApiListener>(sp => sp.GetRequiredService<Http1ServerFactory>());
        return services;
    }
}
