namespace Aeros.Broker.Storage;

/// <summary>
/// A stored resource as another broker process sharing the database has just written it: <see cref="Json"/> is the
/// new document, or null when it was deleted.
/// </summary>
internal sealed record StoredResourceChange(string Kind, string Tenant, string Id, string? Json);

/// <summary>
/// Resource changes made by OTHER processes that share the store's database (broker replicas), so that the
/// in-memory registries (subscriptions, registrations) loaded at start stay current. An embedded store with a
/// single writer never publishes here. Handlers only update registries: notifications for entity changes are sent
/// by the process that made the entity write, so each change notifies once however many replicas run.
/// </summary>
internal sealed class ResourceChangeFeed
{
    private readonly Lock _gate = new();
    private volatile (string Kind, Func<StoredResourceChange, CancellationToken, Task> Handler)[] _handlers = [];

    /// <summary>Adds a handler for the changes of one resource kind.</summary>
    public void Subscribe(string kind, Func<StoredResourceChange, CancellationToken, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            _handlers = [.. _handlers, (kind, handler)];
        }
    }

    /// <summary>Whether anyone handles this kind (a store may skip reading a resource no one wants).</summary>
    public bool IsObserved(string kind) => Array.Exists(_handlers, h => h.Kind == kind);

    /// <summary>Hands a change to the handlers of its kind, one after the other.</summary>
    public async Task PublishAsync(StoredResourceChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        foreach (var (kind, handler) in _handlers)
        {
            if (kind == change.Kind)
            {
                await handler(change, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
