using Aeros.Broker.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Aeros.Broker.Storage;

/// <summary>Registers the entity store.</summary>
internal static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Adds the SQLite entity store (a singleton, disposed with the container, which drains queued writes) and a
    /// hosted service that initializes it when the host starts, before the server takes requests.
    /// Needs <see cref="BrokerOptions"/>, <see cref="TimeProvider"/> and logging, which <c>AddAerosBroker</c> adds.
    /// </summary>
    public static IServiceCollection AddAerosEntityStore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<EntityChangeFeed>();
        services.TryAddSingleton<IEntityStore, SqliteEntityStore>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EntityStoreInitializer>());
        return services;
    }
}

/// <summary>Initializes the entity store at host start (schema, connections, writer loop).</summary>
internal sealed class EntityStoreInitializer(IEntityStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
