using System.Collections.Immutable;

namespace Aeros.Broker.Registrations;

/// <summary>
/// Reacts to changes of context source registrations (e.g. <c>/csourceSubscriptions</c>). Called after the change
/// is durable, in the order of the changes; it must not block or throw.
/// </summary>
internal interface IRegistrationObserver
{
    /// <summary>
    /// A registration of <paramref name="tenant"/> changed: <paramref name="before"/> is null for a creation,
    /// <paramref name="after"/> null for a deletion.
    /// </summary>
    void OnRegistrationChanged(string tenant, ContextSourceRegistration? before, ContextSourceRegistration? after);
}

/// <summary>
/// The statistics of forwards to one registration (<c>status</c>, <c>timesSent</c>, …) and its cooldown. Kept in
/// memory only: they restart from zero when the broker restarts.
/// </summary>
internal sealed class RegistrationStats
{
    private readonly Lock _gate = new();
    private long _timesSent;
    private long _timesFailed;
    private DateTimeOffset? _lastSuccess;
    private DateTimeOffset? _lastFailure;
    private DateTimeOffset _cooldownUntil;

    public (long TimesSent, long TimesFailed, DateTimeOffset? LastSuccess, DateTimeOffset? LastFailure) Snapshot()
    {
        lock (_gate)
        {
            return (_timesSent, _timesFailed, _lastSuccess, _lastFailure);
        }
    }

    /// <summary><c>ok</c> or <c>failed</c> after the last forward; null before any.</summary>
    public string? Status
    {
        get
        {
            lock (_gate)
            {
                return _lastFailure is null && _lastSuccess is null ? null
                    : _lastFailure is { } f && (_lastSuccess is not { } s || f >= s) ? "failed" : "ok";
            }
        }
    }

    public bool InCooldown(DateTimeOffset now)
    {
        lock (_gate)
        {
            return now < _cooldownUntil;
        }
    }

    public void Sent()
    {
        lock (_gate)
        {
            _timesSent++;
        }
    }

    public void Succeeded(DateTimeOffset at)
    {
        lock (_gate)
        {
            _lastSuccess = at;
        }
    }

    public void Failed(DateTimeOffset at, TimeSpan cooldown)
    {
        lock (_gate)
        {
            _timesFailed++;
            _lastFailure = at;
            if (cooldown > TimeSpan.Zero)
            {
                _cooldownUntil = at + cooldown;
            }
        }
    }
}

/// <summary>A registration as the registry serves it: the immutable registration and its live statistics.</summary>
internal sealed record RegistrationEntry(string Tenant, ContextSourceRegistration Registration, RegistrationStats Stats);

/// <summary>
/// The serving copy of every tenant's registrations: immutable snapshots swapped atomically, so forwarding reads
/// them without locks. The store holds the durable copy; <see cref="RegistrationService"/> keeps both in step.
/// </summary>
internal sealed class RegistrationRegistry
{
    private volatile ImmutableDictionary<string, ImmutableSortedDictionary<string, RegistrationEntry>> _tenants =
        ImmutableDictionary<string, ImmutableSortedDictionary<string, RegistrationEntry>>.Empty;

    private readonly Lock _gate = new();
    private volatile bool _any;

    /// <summary>Whether no tenant has any registration (the hot path checks this first and does nothing else).</summary>
    public bool IsEmpty => !_any;

    /// <summary>Whether the tenant has registrations.</summary>
    public bool HasAny(string tenant) => _any && _tenants.TryGetValue(tenant, out var entries) && entries.Count > 0;

    /// <summary>The tenant's registrations in id order.</summary>
    public IReadOnlyCollection<RegistrationEntry> For(string tenant) =>
        _tenants.TryGetValue(tenant, out var entries) ? (IReadOnlyCollection<RegistrationEntry>)entries.Values.ToList() : [];

    public RegistrationEntry? Get(string tenant, string id) =>
        _tenants.TryGetValue(tenant, out var entries) && entries.TryGetValue(id, out var entry) ? entry : null;

    /// <summary>Adds or replaces a registration; statistics of a replaced one carry over.</summary>
    public RegistrationEntry Set(string tenant, ContextSourceRegistration registration)
    {
        lock (_gate)
        {
            var entries = _tenants.GetValueOrDefault(tenant) ?? ImmutableSortedDictionary.Create<string, RegistrationEntry>(StringComparer.Ordinal);
            var stats = entries.TryGetValue(registration.Id, out var old) ? old.Stats : new RegistrationStats();
            var entry = new RegistrationEntry(tenant, registration, stats);
            _tenants = _tenants.SetItem(tenant, entries.SetItem(registration.Id, entry));
            _any = true;
            return entry;
        }
    }

    public void Remove(string tenant, string id)
    {
        lock (_gate)
        {
            if (_tenants.TryGetValue(tenant, out var entries))
            {
                entries = entries.Remove(id);
                _tenants = entries.Count == 0 ? _tenants.Remove(tenant) : _tenants.SetItem(tenant, entries);
                _any = !_tenants.IsEmpty;
            }
        }
    }
}
