using Aeros.Broker.Model;

namespace Aeros.Broker.Storage;

/// <summary>
/// One committed change of one entity: its stored form (<see cref="StoredEntityCodec"/> bytes) before and after.
/// <see cref="Before"/> is null for a creation, <see cref="After"/> null for a deletion. The bytes are decoded only
/// by whoever needs them (off the writer thread).
/// </summary>
internal sealed class EntityChange(string tenant, string id, byte[]? before, byte[]? after, DateTimeOffset at)
{
    public string Tenant { get; } = tenant;

    public string Id { get; } = id;

    public byte[]? Before { get; } = before;

    public byte[]? After { get; } = after;

    /// <summary>When the change was written (the deletion time of a deleted entity).</summary>
    public DateTimeOffset At { get; } = at;

    public EntityChangeKind Kind => Before is null ? EntityChangeKind.Created : After is null ? EntityChangeKind.Deleted : EntityChangeKind.Updated;

    /// <summary>A fresh copy of the entity before the change, or null.</summary>
    public Entity? DecodeBefore() => Before is null ? null : StoredEntityCodec.Decode(Before);

    /// <summary>A fresh copy of the entity after the change, or null.</summary>
    public Entity? DecodeAfter() => After is null ? null : StoredEntityCodec.Decode(After);
}

/// <summary>What happened to the entity.</summary>
internal enum EntityChangeKind
{
    Created,
    Updated,
    Deleted,
}

/// <summary>A component that reacts to committed entity changes (subscriptions).</summary>
internal interface IEntityChangeObserver
{
    /// <summary>
    /// Whether changes in this tenant interest the observer now. Called on the store's writer thread for every
    /// write: it must be cheap. When no observer is interested the store does not record the change at all.
    /// </summary>
    bool Observes(string tenant);

    /// <summary>
    /// Committed changes of one tenant — those of one or more units of work committed together — in the order they
    /// were made. Called on the store's writer thread in commit order, after the commit and before the writer
    /// acknowledges the writes: it must not block or throw (queue the changes and return).
    /// </summary>
    void OnCommitted(IReadOnlyList<EntityChange> changes);
}

/// <summary>
/// The committed entity changes of the store, in commit order, handed to the observers that registered. Stores
/// call <see cref="IsObserved"/> before recording changes and <see cref="Publish"/> after each commit.
/// </summary>
internal sealed class EntityChangeFeed
{
    private readonly Lock _gate = new();
    private volatile IEntityChangeObserver[] _observers = [];

    /// <summary>Adds an observer; it sees the changes committed from now on.</summary>
    public void Subscribe(IEntityChangeObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (_gate)
        {
            _observers = [.. _observers, observer];
        }
    }

    /// <summary>Removes an observer.</summary>
    public void Unsubscribe(IEntityChangeObserver observer)
    {
        lock (_gate)
        {
            _observers = [.. _observers.Where(o => !ReferenceEquals(o, observer))];
        }
    }

    /// <summary>Whether any observer wants the changes of this tenant.</summary>
    public bool IsObserved(string tenant)
    {
        foreach (var observer in _observers)
        {
            if (observer.Observes(tenant))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Hands committed changes of one tenant to every observer of that tenant.</summary>
    public void Publish(IReadOnlyList<EntityChange> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }
        foreach (var observer in _observers)
        {
            if (observer.Observes(changes[0].Tenant))
            {
                observer.OnCommitted(changes);
            }
        }
    }
}
