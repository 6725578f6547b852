using Aeros.Orchestration.Federation;
using Aeros.Orchestration.Llo;
using Aeros.Orchestration.Placement;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Hlo;

/// <summary>Registers the domain's High-Level Orchestrator (docs/orchestration.md).</summary>
public static class HloServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the HLO hands services to other domains' HLOs with (a host adds e.g. a token handler to it).</summary>
    public const string HandoffHttpClientName = HandoffClient.HttpClientName;

    /// <summary>
    /// Adds the HLO: its API's services, the background queue and rescan (a hosted service), the placement engine, and
    /// its <see cref="IComponentReplacer"/> for the LLO's failover, with validated <see cref="HloOptions"/> (domain taken
    /// from <see cref="FederationOptions.DomainName"/> when not set). Call it before <c>AddAerosLlo</c>, which keeps a
    /// replacer registered earlier.
    /// </summary>
    public static IServiceCollection AddAerosHlo(this IServiceCollection services, Action<HloOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<HloOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HloOptions>, HloOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<HloOptions>, HloOptionsSetup>());
        services.AddOptions<FederationOptions>();
        services.AddPlacement();
        // The HLO's health threshold and time budget are the placement engine's.
        services.AddOptions<PlacementOptions>().Configure<IOptions<HloOptions>>((placement, hlo) =>
        {
            placement.MinHealthScore = hlo.Value.MinHealthScore;
            placement.CpSatTimeBudget = hlo.Value.PlacementBudget;
        });
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddHttpClient(HloBroker.HttpClientName);
        // Each hand-off is bounded by HloOptions.HandoffTimeout.
        services.AddHttpClient(HandoffClient.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.TryAddSingleton<HloBroker>();
        services.TryAddSingleton<HloQueue>();
        services.TryAddSingleton<HloMetrics>();
        services.TryAddSingleton<HandoffClient>();
        services.TryAddSingleton<HloOrchestrator>();
        services.TryAddSingleton<HloWorker>();
        services.TryAddSingleton<IComponentReplacer, HloReplacer>();
        services.AddHostedService(sp => sp.GetRequiredService<HloWorker>());
        return services;
    }

    /// <summary>Maps the HLO's API under <c>/hlo/v1</c> (services, alerts, status, and its OpenAPI document).</summary>
    public static IEndpointRouteBuilder MapAerosHlo(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        HloApi.Map(endpoints);
        return endpoints;
    }
}
