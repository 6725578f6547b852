using Aeros.Broker.Postgres.Storage;
using Aeros.Broker.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Aeros.Broker.Postgres;

/// <summary>Registers the PostgreSQL store of the broker.</summary>
public static class PostgresServiceCollectionExtensions
{
    /// <summary>
    /// Makes the <c>postgres</c> store available to the broker: it is used when <see cref="BrokerOptions.Store"/> is
    /// <c>postgres</c> (the database named by <see cref="BrokerOptions.PostgresConnectionString"/>); with another
    /// store nothing of it runs. Adds validated <see cref="PostgresStoreOptions"/>. Call next to <c>AddAerosBroker</c>
    /// (either order).
    /// </summary>
    public static IServiceCollection AddAerosPostgresStore(this IServiceCollection services, Action<PostgresStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<PostgresStoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgresStoreOptions>, PostgresStoreOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<EntityChangeFeed>();
        services.TryAddSingleton<ResourceChangeFeed>();
        services.TryAddSingleton<PostgresEntityStore>();
        services.AddEntityStoreEngine(new EntityStoreEngine(BrokerOptions.PostgresStore, sp => sp.GetRequiredService<PostgresEntityStore>()));
        return services;
    }
}
