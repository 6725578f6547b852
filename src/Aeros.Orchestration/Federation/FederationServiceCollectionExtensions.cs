using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Federation;

/// <summary>Registers the domain federator module.</summary>
public static class FederationServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the federator calls other domains with (a host adds e.g. a token handler to it).</summary>
    public const string PeerHttpClientName = BrokerClient.HttpClientName;

    /// <summary>
    /// Adds the federator (a hosted reconcile loop that joins this domain to the continuum) with validated
    /// <see cref="FederationOptions"/>. The host must be a web host (the federator reads where it listens).
    /// </summary>
    public static IServiceCollection AddAerosFederation(this IServiceCollection services, Action<FederationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<FederationOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FederationOptions>, FederationOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        // Each attempt is bounded by the resilience pipeline, not by HttpClient.Timeout.
        services.AddHttpClient(BrokerClient.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.TryAddSingleton(sp => new BrokerClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(BrokerClient.HttpClientName),
            sp.GetRequiredService<IOptions<FederationOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<BrokerClient>>()));
        services.TryAddSingleton<FederationEndpoints>();
        services.TryAddSingleton<DomainFederator>();
        services.AddHostedService<FederatorService>();
        return services;
    }

    /// <summary>Maps the federation API under <c>/federation/v1</c>.</summary>
    public static IEndpointRouteBuilder MapAerosFederation(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        FederationApi.Map(endpoints);
        return endpoints;
    }
}
