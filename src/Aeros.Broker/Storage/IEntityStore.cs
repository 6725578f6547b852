using Aeros.Broker.Model;
using Aeros.Broker.Query;

namespace Aeros.Broker.Storage;

/// <summary>
/// Durable storage of entities, per tenant. Reads return fresh copies the caller may change. Writes go through
/// <see cref="WriteAsync{T}"/>: the work runs atomically (it sees its own writes; if it throws, none of its
/// writes remain) and the returned task completes only once the write is durable, so a 201/204 means on disk.
/// </summary>
internal interface IEntityStore : IAsyncDisposable
{
    /// <summary>Creates or migrates the schema; called once before any other member.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Whether the tenant exists (the default tenant, <see cref="Tenants.Default"/>, always does).</summary>
    ValueTask<bool> TenantExistsAsync(string tenant, CancellationToken cancellationToken);

    /// <summary>The entity with this id, or null.</summary>
    ValueTask<Entity?> GetAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> atomically against the tenant's entities and makes its writes durable.
    /// When <paramref name="createTenant"/> is true an unknown tenant is created (only creating operations may).
    /// The work must be quick and must not block: it may run on the store's writer thread, batched with
    /// other callers' work (group commit); an exception it throws reaches only this caller.
    /// An unknown tenant with <paramref name="createTenant"/> false faults the task with
    /// <see cref="UnknownTenantException"/> before the work runs. A token cancelled before the work starts
    /// cancels it; once the work has run, the write commits whatever the token says. After disposal it throws
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    Task<T> WriteAsync<T>(string tenant, bool createTenant, Func<IEntityWriteSession, T> work, CancellationToken cancellationToken);

    /// <summary>
    /// Runs a query: selection, filters and paging as the model says, ordered by entity id so that pages are
    /// stable. Engines evaluate in their database what they can and the rest in process.
    /// An unknown tenant yields an empty page. An invalid idPattern throws NgsiLdException BadRequestData; one
    /// too slow to evaluate, TooComplexQuery.
    /// </summary>
    Task<QueryPage> QueryAsync(string tenant, EntityQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Streams every entity of the tenant (for discovery: /types, /attributes), optionally only those
    /// having one of <paramref name="types"/> (expanded), each once. The order is unspecified, and an entity
    /// written while the scan runs may or may not appear.
    /// </summary>
    IAsyncEnumerable<Entity> ScanAsync(string tenant, IReadOnlyList<string>? types, CancellationToken cancellationToken);

    /// <summary>Every stored resource of this kind, over all tenants (read once at start by its registry).</summary>
    Task<IReadOnlyList<StoredResource>> ListResourcesAsync(string kind, CancellationToken cancellationToken);
}

/// <summary>The view of one tenant's entities inside an atomic write.</summary>
internal interface IEntityWriteSession
{
    /// <summary>The entity as it stands in this write (including earlier changes of the same work), or null.</summary>
    Entity? Get(string id);

    /// <summary>Inserts a new entity; returns false (and writes nothing) when the id exists.</summary>
    bool Insert(Entity entity);

    /// <summary>
    /// Replaces the stored entity with the same id (which must exist: otherwise it throws
    /// <see cref="InvalidOperationException"/>, which fails the work).
    /// </summary>
    void Update(Entity entity);

    /// <summary>Deletes the entity; returns false when it did not exist.</summary>
    bool Delete(string id);

    /// <summary>The JSON of the tenant's resource of this kind (<see cref="ResourceKinds"/>), or null.</summary>
    string? GetResource(string kind, string id);

    /// <summary>Stores a new resource; returns false (and writes nothing) when the id exists for this kind.</summary>
    bool InsertResource(string kind, string id, string json);

    /// <summary>Replaces a stored resource; returns false when it does not exist.</summary>
    bool UpdateResource(string kind, string id, string json);

    /// <summary>Deletes a resource; returns false when it did not exist.</summary>
    bool DeleteResource(string kind, string id);
}

/// <summary>Tenant names.</summary>
internal static class Tenants
{
    /// <summary>The tenant used when a request carries no NGSILD-Tenant header.</summary>
    public const string Default = "";
}
