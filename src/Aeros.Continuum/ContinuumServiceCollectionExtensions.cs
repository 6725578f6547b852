using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Continuum;

/// <summary>Registers the <see cref="ContinuumClient"/>.</summary>
public static class ContinuumServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the continuum client uses.</summary>
    public const string HttpClientName = "Aeros.Continuum";

    /// <summary>
    /// Adds one shared <see cref="ContinuumClient"/> for the broker at <see cref="ContinuumClientOptions.BrokerUrl"/>
    /// (required), with its options validated at start (every error listed). Parts already registered are kept.
    /// </summary>
    public static IServiceCollection AddContinuumClient(this IServiceCollection services, Action<ContinuumClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ContinuumClientOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ContinuumClientOptions>, ContinuumClientOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(HttpClientName);
        services.TryAddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<ContinuumClientOptions>>().Value;
            var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
            http.BaseAddress = o.BrokerUrl;
            // Per-attempt timeouts come from the resilience pipeline; HttpClient's own would cut retries short.
            http.Timeout = Timeout.InfiniteTimeSpan;
            return new ContinuumClient(http, o, sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<ContinuumClient>>());
        });
        return services;
    }
}
