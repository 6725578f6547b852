using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Aeros.Broker.Api;
using Aeros.Broker.Errors;
using Aeros.Broker.Notifications;
using Aeros.Broker.Storage;
using Aeros.JsonLd;
using Microsoft.Extensions.Logging;

namespace Aeros.Broker.Subscriptions;

/// <summary>One registered subscription: its current definition (replaced on update) and its runtime state.</summary>
internal sealed class SubscriptionEntry(string tenant, Subscription definition, string contextLink)
{
    private Subscription _definition = definition;

    public string Tenant { get; } = tenant;

    public string Id { get; } = definition.Id;

    /// <summary>The dispatcher queue of this subscription: tenant and id.</summary>
    public string QueueKey { get; } = tenant + "\n" + definition.Id;

    public Subscription Definition
    {
        get => Volatile.Read(ref _definition);
        set => Volatile.Write(ref _definition, value);
    }

    /// <summary>The absolute URL of the subscription's own @context (Link header of JSON notifications).</summary>
    public string ContextLink { get; } = contextLink;

    public SubscriptionState State { get; } = new();

    /// <summary>Serializes updates of this subscription (read-merge-write).</summary>
    public SemaphoreSlim UpdateGate { get; } = new(1, 1);

    /// <summary>De-duplicates candidates of one change (matching thread only).</summary>
    internal long Stamp;

    /// <summary>The periodic timer (timeInterval), or null.</summary>
    internal ITimer? Timer;

    /// <summary>
    /// Re-arms the periodic timer after the subscription changed: armed (calling <paramref name="tick"/> every
    /// timeInterval) while it is <paramref name="present"/>, periodic and not removed; stopped otherwise.
    /// </summary>
    internal void ResetPeriodicTimer(TimeProvider time, bool present, Action<SubscriptionEntry> tick)
    {
        lock (this)
        {
            StopPeriodicTimer();
            if (present && Definition.TimeInterval is { } seconds && !State.Removed)
            {
                var interval = TimeSpan.FromSeconds(seconds);
                Timer = time.CreateTimer(static state =>
                {
                    var (entry, callback) = ((SubscriptionEntry, Action<SubscriptionEntry>))state!;
                    callback(entry);
                }, (this, tick), interval, interval);
            }
        }
    }

    /// <summary>Stops the periodic timer (at shutdown).</summary>
    internal void StopPeriodicTimer()
    {
        lock (this)
        {
            Timer?.Dispose();
            Timer = null;
        }
    }

    /// <summary>1 while a periodic notification is being built (no overlap).</summary>
    internal int PeriodicRunning;
}

/// <summary>The change-driven subscriptions of one tenant, indexed by the entity types they select.</summary>
/// <remarks>
/// Plain dictionaries, never changed once built: every subscription create, update or delete rebuilds its tenant's
/// index, and building a <see cref="FrozenDictionary{TKey, TValue}"/> of 1,000 entries costs several times a plain
/// one's copy, for a lookup per change that is a few nanoseconds faster.
/// </remarks>
internal sealed class TenantIndex(Dictionary<string, SubscriptionEntry[]> byId, Dictionary<string, SubscriptionEntry[]> byType, SubscriptionEntry[] untyped)
{
    /// <summary>Subscriptions whose every entity selector names an id (one subscription per entity), by entity id.</summary>
    public IReadOnlyDictionary<string, SubscriptionEntry[]> ById { get; } = byId;

    /// <summary>Subscriptions whose entity selectors are plain types or ORs of types, by expanded type.</summary>
    public IReadOnlyDictionary<string, SubscriptionEntry[]> ByType { get; } = byType;

    /// <summary>Subscriptions that must be checked for every change (no entities, or AND/wildcard type expressions).</summary>
    public SubscriptionEntry[] Untyped { get; } = untyped;
}

/// <summary>
/// The serving copy of every tenant's subscriptions, backed by the store (resources of kind
/// <see cref="ResourceKinds.Subscription"/>): each create/update/delete is written durably first, then applied here.
/// Readers on the matching path see immutable per-tenant indexes swapped atomically.
/// </summary>
internal sealed partial class SubscriptionRegistry(IEntityStore store, IJsonLdContextResolver resolver, TimeProvider time, ILogger<SubscriptionRegistry> logger)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, SubscriptionEntry>> _tenants = new(StringComparer.Ordinal);
    private volatile FrozenDictionary<string, TenantIndex> _indexes = FrozenDictionary<string, TenantIndex>.Empty;

    /// <summary>
    /// The kind the subscriptions are stored as: <see cref="ResourceKinds.Subscription"/>, or
    /// <see cref="ResourceKinds.RegistrationSubscription"/> for the /csourceSubscriptions registry.
    /// </summary>
    public string Kind { get; init; } = ResourceKinds.Subscription;

    /// <summary>Told when a subscription is added or replaced (true) or removed (false); used for periodic timers.</summary>
    public event Action<SubscriptionEntry, bool>? Changed;

    public TimeProvider Time => time;

    /// <summary>Whether the tenant has change-driven subscriptions (cheap: called on the store's writer thread).</summary>
    public bool Observes(string tenant) => _indexes.ContainsKey(tenant);

    public TenantIndex? Index(string tenant) => _indexes.GetValueOrDefault(tenant);

    public SubscriptionEntry? Find(string tenant, string id)
    {
        lock (_gate)
        {
            return _tenants.TryGetValue(tenant, out var byId) && byId.TryGetValue(id, out var entry) ? entry : null;
        }
    }

    /// <summary>The tenant's subscriptions ordered by id (stable pages).</summary>
    public SubscriptionEntry[] List(string tenant)
    {
        SubscriptionEntry[] entries;
        lock (_gate)
        {
            entries = _tenants.TryGetValue(tenant, out var byId) ? [.. byId.Values] : [];
        }
        Array.Sort(entries, static (a, b) => string.CompareOrdinal(a.Id, b.Id));
        return entries;
    }

    /// <summary>Every subscription of every tenant.</summary>
    public SubscriptionEntry[] All()
    {
        lock (_gate)
        {
            return [.. _tenants.Values.SelectMany(t => t.Values)];
        }
    }

    /// <summary>Stores and registers a new subscription; 409 AlreadyExists when the id is taken.</summary>
    public async Task<SubscriptionEntry> CreateAsync(string tenant, Subscription subscription, string contextLink, CancellationToken cancellationToken)
    {
        var entry = new SubscriptionEntry(tenant, subscription, contextLink);
        var json = SubscriptionWriter.ToStoredJson(subscription, entry.State, contextLink);
        var inserted = await store.WriteAsync(tenant, createTenant: true,
            session => session.InsertResource(Kind, subscription.Id, json), cancellationToken);
        if (!inserted)
        {
            throw NgsiLdException.AlreadyExists($"Subscription {subscription.Id} already exists.");
        }
        Add(entry);
        return entry;
    }

    /// <summary>Stores and applies a new definition of an existing subscription.</summary>
    public async Task UpdateAsync(SubscriptionEntry entry, Subscription updated, CancellationToken cancellationToken)
    {
        var json = SubscriptionWriter.ToStoredJson(updated, entry.State, entry.ContextLink);
        var found = await store.WriteAsync(entry.Tenant, createTenant: false,
            session => session.UpdateResource(Kind, entry.Id, json), cancellationToken);
        if (!found)
        {
            throw NgsiLdException.NotFound($"Subscription {entry.Id} does not exist.");
        }
        entry.Definition = updated;
        lock (_gate)
        {
            RebuildIndex(entry.Tenant);
        }
        Changed?.Invoke(entry, true);
    }

    /// <summary>Deletes a subscription from the store and the registry; returns it, or null when unknown.</summary>
    public async Task<SubscriptionEntry?> DeleteAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        var entry = Find(tenant, id);
        if (entry is null)
        {
            return null;
        }
        await store.WriteAsync(tenant, createTenant: false, session => session.DeleteResource(Kind, id), cancellationToken);
        lock (_gate)
        {
            if (_tenants.TryGetValue(tenant, out var byId) && byId.Remove(id))
            {
                RebuildIndex(tenant);
            }
        }
        entry.State.Removed = true;
        Changed?.Invoke(entry, false);
        return entry;
    }

    /// <summary>
    /// Applies a change another broker process made to a stored subscription of this kind (replicas sharing a
    /// database): adds or redefines it, or removes it when <see cref="StoredResourceChange.Json"/> is null.
    /// </summary>
    public async Task ApplyStoredChangeAsync(StoredResourceChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.Json is null)
        {
            SubscriptionEntry? removed = null;
            lock (_gate)
            {
                if (_tenants.TryGetValue(change.Tenant, out var byId) && byId.Remove(change.Id, out removed))
                {
                    RebuildIndex(change.Tenant);
                }
            }
            if (removed is not null)
            {
                removed.State.Removed = true;
                Changed?.Invoke(removed, false);
            }
            return;
        }
        SubscriptionEntry loaded;
        try
        {
            loaded = await ReadStoredAsync(new StoredResource(Kind, change.Tenant, change.Id, change.Json), cancellationToken);
        }
        catch (Exception e) when (e is NgsiLdException or System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            Log.StoredSubscriptionUnreadable(logger, change.Id, change.Tenant, e);
            return;
        }
        var existing = Find(change.Tenant, change.Id);
        if (existing is null)
        {
            Add(loaded);
            return;
        }
        existing.Definition = loaded.Definition;
        lock (_gate)
        {
            RebuildIndex(existing.Tenant);
        }
        Changed?.Invoke(existing, true);
    }

    private void Add(SubscriptionEntry entry, bool rebuild = true)
    {
        lock (_gate)
        {
            if (!_tenants.TryGetValue(entry.Tenant, out var byId))
            {
                _tenants[entry.Tenant] = byId = new Dictionary<string, SubscriptionEntry>(StringComparer.Ordinal);
            }
            byId[entry.Id] = entry;
            if (rebuild)
            {
                RebuildIndex(entry.Tenant);
            }
        }
        Changed?.Invoke(entry, true);
    }

    /// <summary>Rebuilds the tenant's index and swaps the snapshot (caller holds the lock; O(subscriptions of the tenant)).</summary>
    private void RebuildIndex(string tenant)
    {
        var byId = new Dictionary<string, List<SubscriptionEntry>>(StringComparer.Ordinal);
        var byType = new Dictionary<string, List<SubscriptionEntry>>(StringComparer.Ordinal);
        var untyped = new List<SubscriptionEntry>();
        if (_tenants.TryGetValue(tenant, out var subscriptions))
        {
            foreach (var entry in subscriptions.Values)
            {
                var s = entry.Definition;
                if (s.IsPeriodic)
                {
                    continue;
                }
                var ids = s.Entities is { } named && named.All(e => e.Id is not null);
                if (s.Entities is not { } selectors || (!ids && selectors.Any(e => !e.Types.IsSimpleDisjunction)))
                {
                    untyped.Add(entry);
                    continue;
                }
                foreach (var key in ids ? selectors.Select(e => e.Id!).Distinct(StringComparer.Ordinal) : selectors.SelectMany(e => e.Types.AllTypes).Distinct(StringComparer.Ordinal))
                {
                    var index = ids ? byId : byType;
                    if (!index.TryGetValue(key, out var list))
                    {
                        index[key] = list = [];
                    }
                    list.Add(entry);
                }
            }
        }
        var indexes = new Dictionary<string, TenantIndex>(_indexes, StringComparer.Ordinal);
        if (byId.Count == 0 && byType.Count == 0 && untyped.Count == 0)
        {
            indexes.Remove(tenant);
        }
        else
        {
            indexes[tenant] = new TenantIndex(
                byId.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal),
                byType.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal), [.. untyped]);
        }
        _indexes = indexes.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Sets the notification context: the resolved jsonldContext when given, else the subscription's own.</summary>
    public async Task<Subscription> WithNotificationContextAsync(Subscription s, string ownLink, CancellationToken cancellationToken)
    {
        if (s.JsonLdContextUrl is { } url)
        {
            var resolved = await NgsiLdHttp.ResolveAsync(resolver, JsonValue.Create(url), cancellationToken);
            return s with { NotificationContext = resolved, NotificationContextLink = url };
        }
        return s with { NotificationContext = s.Context, NotificationContextLink = ownLink };
    }

    /// <summary>Loads every stored subscription (at start, after the store is initialized).</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var stored = await store.ListResourcesAsync(Kind, cancellationToken);
        var tenants = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await LoadEachAsync(stored, tenants, cancellationToken);
        }
        finally
        {
            // Once per tenant, not per subscription: rebuilding after each of N stored subscriptions made a start O(N²).
            lock (_gate)
            {
                foreach (var tenant in tenants)
                {
                    RebuildIndex(tenant);
                }
            }
        }
        Log.Loaded(logger, stored.Count);
    }

    private async Task LoadEachAsync(IReadOnlyList<StoredResource> stored, HashSet<string> tenants, CancellationToken cancellationToken)
    {
        foreach (var resource in stored)
        {
            try
            {
                var entry = await ReadStoredAsync(resource, cancellationToken);
                Add(entry, rebuild: false);
                tenants.Add(entry.Tenant);
            }
            catch (Exception e) when (e is NgsiLdException or System.Text.Json.JsonException or InvalidOperationException or FormatException)
            {
                Log.StoredSubscriptionUnreadable(logger, resource.Id, resource.Tenant, e);
            }
        }
    }

    private async Task<SubscriptionEntry> ReadStoredAsync(StoredResource resource, CancellationToken cancellationToken)
    {
        var (json, contextSource, contextLink, qContextSource) = SubscriptionWriter.ReadStored(resource.Json);
        var context = await ResolveOrCoreAsync(contextSource, resource.Id, cancellationToken);
        var qContext = qContextSource is null ? context : await ResolveOrCoreAsync(qContextSource, resource.Id, cancellationToken);
        // Names are stored expanded, so any context reads them back; q keeps the context it was written in.
        var parsed = SubscriptionParser.Parse(json, resource.Id, new SubscriptionParseSettings(context, qContext, time.GetUtcNow(), CheckExpiresAt: false,
            ForRegistrations: Kind == ResourceKinds.RegistrationSubscription));
        parsed = parsed with
        {
            Context = context,
            CreatedAt = Timestamp(json, "createdAt"),
            ModifiedAt = Timestamp(json, "modifiedAt"),
        };
        try
        {
            parsed = await WithNotificationContextAsync(parsed, contextLink, cancellationToken);
        }
        catch (NgsiLdException e)
        {
            Log.ContextUnavailable(logger, resource.Id, e.Message);
            parsed = parsed with { NotificationContext = context, NotificationContextLink = contextLink };
        }
        var entry = new SubscriptionEntry(resource.Tenant, parsed, contextLink);
        entry.State.Load(json["notification"] as JsonObject);
        return entry;
    }

    private async Task<JsonLdContext> ResolveOrCoreAsync(JsonNode? source, string id, CancellationToken cancellationToken)
    {
        try
        {
            return await resolver.ResolveAsync(source?.DeepClone(), cancellationToken);
        }
        catch (JsonLdException e)
        {
            // A remote context that is down at start must not lose the subscription: names are stored expanded.
            Log.ContextUnavailable(logger, id, e.Message);
            return JsonLdContext.Core;
        }
    }

    private static DateTimeOffset Timestamp(JsonObject json, string name) =>
        json[name] is JsonValue v && Entities.NgsiNames.TryParseDateTime(v.GetValue<string>(), out var t) ? t : default;

    /// <summary>Writes the status members of subscriptions whose notifications changed them since the last flush.</summary>
    public async Task FlushStatsAsync(CancellationToken cancellationToken)
    {
        // Each flushed entry's update gate is held until its write commits, so a flush never writes an older
        // definition over a concurrent update; an entry being updated is flushed next time.
        var dirty = new List<(SubscriptionEntry Entry, string Json)>();
        try
        {
            foreach (var entry in All())
            {
                if (!entry.State.TakeDirty() || entry.State.Removed)
                {
                    continue;
                }
                if (!entry.UpdateGate.Wait(0, CancellationToken.None))
                {
                    entry.State.MarkDirty();
                    continue;
                }
                dirty.Add((entry, SubscriptionWriter.ToStoredJson(entry.Definition, entry.State, entry.ContextLink)));
            }
            // Small units of work: entity writes queued meanwhile commit between them instead of waiting for all.
            foreach (var group in dirty.GroupBy(d => d.Entry.Tenant))
            {
                foreach (var chunk in group.Chunk(64))
                {
                    await store.WriteAsync(group.Key, createTenant: false, session =>
                    {
                        foreach (var (entry, json) in chunk)
                        {
                            session.UpdateResource(Kind, entry.Id, json);
                        }
                        return true;
                    }, cancellationToken);
                }
            }
        }
        catch
        {
            foreach (var (entry, _) in dirty)
            {
                entry.State.MarkDirty();
            }
            throw;
        }
        finally
        {
            foreach (var (entry, _) in dirty)
            {
                entry.UpdateGate.Release();
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3000, EventName = "SubscriptionsLoaded", Level = LogLevel.Information,
            Message = "{Count} subscriptions loaded from the store.")]
        public static partial void Loaded(ILogger logger, int count);

        [LoggerMessage(EventId = 3001, EventName = "StoredSubscriptionUnreadable", Level = LogLevel.Error,
            Message = "Stored subscription {Id} of tenant '{Tenant}' cannot be read; it is skipped.")]
        public static partial void StoredSubscriptionUnreadable(ILogger logger, string id, string tenant, Exception exception);

        [LoggerMessage(EventId = 3002, EventName = "SubscriptionContextUnavailable", Level = LogLevel.Warning,
            Message = "The @context of subscription {Id} cannot be resolved at start ({Reason}); the core context is used.")]
        public static partial void ContextUnavailable(ILogger logger, string id, string reason);
    }
}
