using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Placement;

/// <summary>Registers the placement engine.</summary>
public static class PlacementServiceCollectionExtensions
{
    /// <summary>Adds <see cref="PlacementEngine"/> (also as <see cref="IPlacementSolver"/>) with validated <see cref="PlacementOptions"/>.</summary>
    public static IServiceCollection AddPlacement(this IServiceCollection services, Action<PlacementOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<PlacementOptions>();
        if (configure is not null)
        {
            builder.Configure(configure);
        }
        builder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PlacementOptions>, PlacementOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PlacementEngine>();
        services.TryAddSingleton<IPlacementSolver>(sp => sp.GetRequiredService<PlacementEngine>());
        return services;
    }
}
