using Aeros.Broker.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Aeros.Broker.Storage;

/// <summary>Registers the entity store.</summary>
internal static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Adds the entity store (a singleton, disposed with the container, which drains queued writes) and a
    /// hosted service that initializes it when the host starts, before the server takes requests. The engine is
    /// the <see cref="EntityStoreEngine"/> named by <see cref="BrokerOptions.Store"/>: SQLite is built in; other
    /// engines are added by their modules (<c>AddAerosPostgresStore</c>).
    /// Needs <see cref="BrokerOptions"/>, <see cref="TimeProvider"/> and logging, which <c>AddAerosBroker</c> adds.
    /// </summary>
    public static IServiceCollection AddAerosEntityStore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<EntityChangeFeed>();
        services.TryAddSingleton<ResourceChangeFeed>();
        services.TryAddSingleton<SqliteEntityStore>();
        services.AddEntityStoreEngine(new EntityStoreEngine(BrokerOptions.SqliteStore, sp => sp.GetRequiredService<SqliteEntityStore>()));
        services.TryAddSingleton<IEntityStore>(sp =>
        {
            var name = sp.GetRequiredService<IOptions<BrokerOptions>>().Value.Store;
            var engine = sp.GetServices<EntityStoreEngine>().FirstOrDefault(e => e.Name == name)
                ?? throw new InvalidOperationException($"The broker store '{name}' is not registered in this host.");
            return engine.Create(sp);
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EntityStoreInitializer>());
        return services;
    }

    /// <summary>Adds a storage engine once per name (a second registration of the same name is ignored).</summary>
    public static IServiceCollection AddEntityStoreEngine(this IServiceCollection services, EntityStoreEngine engine)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(engine);
        if (!services.Any(d => d.ServiceType == typeof(EntityStoreEngine) && d.ImplementationInstance is EntityStoreEngine e && e.Name == engine.Name))
        {
            services.AddSingleton(engine);
        }
        return services;
    }
}

/// <summary>A storage engine the broker can run on, selected by <see cref="BrokerOptions.Store"/>.</summary>
/// <param name="Name">The value of <see cref="BrokerOptions.Store"/> that selects it.</param>
/// <param name="Create">Resolves the engine's store (a singleton the container disposes).</param>
internal sealed record EntityStoreEngine(string Name, Func<IServiceProvider, IEntityStore> Create);

/// <summary>Initializes the entity store at host start (schema, connections, writer loop).</summary>
internal sealed class EntityStoreInitializer(IEntityStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
