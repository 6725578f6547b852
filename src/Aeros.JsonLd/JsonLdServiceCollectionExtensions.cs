using Aeros.JsonLd.Registry;
using Aeros.JsonLd.Resolution;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Aeros.JsonLd;

/// <summary>Registers the JSON-LD module.</summary>
public static class JsonLdServiceCollectionExtensions
{
    /// <summary>
    /// Adds the context resolver, the context registry and <see cref="JsonLdOptions"/> (validated at start).
    /// Safe to call more than once; a host can replace any service by registering it first.
    /// </summary>
    public static IServiceCollection AddAerosJsonLd(this IServiceCollection services, Action<JsonLdOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        var options = services.AddOptions<JsonLdOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(RemoteContextFetcher)))
        {
            return services;
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JsonLdOptions>, JsonLdOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddLogging();
        // Redirects are followed by the fetcher itself, so that each hop is checked against AllowedRemoteHosts.
        services.AddHttpClient(JsonLdOptions.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });

        services.TryAddSingleton<RemoteContextFetcher>();
        services.TryAddSingleton<JsonLdContextRegistry>();
        services.TryAddSingleton<IJsonLdContextRegistry>(sp => sp.GetRequiredService<JsonLdContextRegistry>());
        services.TryAddSingleton<JsonLdContextResolver>();
        services.TryAddSingleton<IJsonLdContextResolver>(sp => sp.GetRequiredService<JsonLdContextResolver>());
        return services;
    }
}
