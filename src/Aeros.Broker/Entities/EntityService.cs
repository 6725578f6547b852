using Aeros.Broker.Errors;
using Aeros.Broker.Model;
using Aeros.Broker.Query;
using Aeros.Broker.Storage;

namespace Aeros.Broker.Entities;

/// <summary>
/// The entity operations of the NGSI-LD API on top of the store: each write is one atomic, durable unit of
/// work that re-reads the entity inside it, so concurrent writers never lose each other's changes.
/// </summary>
internal sealed class EntityService(IEntityStore store, TimeProvider time)
{
    public DateTimeOffset Now() => time.GetUtcNow();

    public async Task EnsureTenantAsync(string tenant, CancellationToken cancellationToken)
    {
        if (tenant != Tenants.Default && !await store.TenantExistsAsync(tenant, cancellationToken))
        {
            throw NgsiLdException.NonexistentTenant(tenant);
        }
    }

    public async Task CreateAsync(string tenant, EntityPayload payload, CancellationToken cancellationToken)
    {
        var entity = EntityMutations.NewEntity(payload, Now());
        var created = await store.WriteAsync(tenant, createTenant: true, session => session.Insert(entity), cancellationToken);
        if (!created)
        {
            throw NgsiLdException.AlreadyExists($"Entity {entity.Id} already exists.");
        }
    }

    public async Task<Entity> RetrieveAsync(string tenant, string id, TypeExpression? type, CancellationToken cancellationToken)
    {
        await EnsureTenantAsync(tenant, cancellationToken);
        return Found(await store.GetAsync(tenant, id, cancellationToken), id, type);
    }

    /// <summary>The entity, or null when it (or the tenant) does not exist.</summary>
    public async Task<Entity?> TryGetAsync(string tenant, string id, CancellationToken cancellationToken) =>
        tenant == Tenants.Default || await store.TenantExistsAsync(tenant, cancellationToken)
            ? await store.GetAsync(tenant, id, cancellationToken)
            : null;

    public async Task<QueryPage> QueryAsync(string tenant, EntityQuery query, CancellationToken cancellationToken)
    {
        await EnsureTenantAsync(tenant, cancellationToken);
        return await store.QueryAsync(tenant, query, cancellationToken);
    }

    public async Task DeleteAsync(string tenant, string id, TypeExpression? type, CancellationToken cancellationToken)
    {
        await EnsureTenantAsync(tenant, cancellationToken);
        await store.WriteAsync(tenant, createTenant: false, session =>
        {
            Found(session.Get(id), id, type);
            return session.Delete(id);
        }, cancellationToken);
    }

    /// <summary>Runs a change on one existing entity atomically and stores it if the change says so.</summary>
    public async Task<T> ModifyAsync<T>(string tenant, string id, TypeExpression? type, Func<Entity, (T Result, bool Changed)> change, CancellationToken cancellationToken)
    {
        await EnsureTenantAsync(tenant, cancellationToken);
        return await store.WriteAsync(tenant, createTenant: false, session =>
        {
            var entity = Found(session.Get(id), id, type);
            var (result, changed) = change(entity);
            if (changed)
            {
                session.Update(entity);
            }
            return result;
        }, cancellationToken);
    }

    public async Task ReplaceAsync(string tenant, string id, EntityPayload payload, TypeExpression? type, CancellationToken cancellationToken)
    {
        if (payload.Id is not null && payload.Id != id)
        {
            throw NgsiLdException.BadRequestData($"The payload's id {payload.Id} differs from the entity id {id} in the URL.");
        }
        var now = Now();
        await EnsureTenantAsync(tenant, cancellationToken);
        await store.WriteAsync(tenant, createTenant: false, session =>
        {
            session.Update(EntityMutations.Replace(Found(session.Get(id), id, type), payload, now));
            return true;
        }, cancellationToken);
    }

    /// <summary>The entity, if it exists and has the requested type (<c>type=</c>); else 404 ResourceNotFound.</summary>
    private static Entity Found(Entity? entity, string id, TypeExpression? type) =>
        entity is not null && (type is null || type.Matches(entity.Types))
            ? entity
            : throw NgsiLdException.NotFound($"Entity {id} was not found.");

    /// <summary>Runs a batch: one atomic, durable unit; each entity's outcome is reported on its own.</summary>
    public Task<T> BatchAsync<T>(string tenant, bool createTenant, Func<IEntityWriteSession, T> work, CancellationToken cancellationToken) =>
        store.WriteAsync(tenant, createTenant, work, cancellationToken);

    public IAsyncEnumerable<Entity> ScanAsync(string tenant, IReadOnlyList<string>? types, CancellationToken cancellationToken) =>
        store.ScanAsync(tenant, types, cancellationToken);
}
