using System.Text.Json;

namespace Aeros.JsonLd.Registry;

/// <summary>
/// One stored context. Immutable apart from its usage counters and its removed flag; a re-download creates a
/// new entry and marks the old one removed, which invalidates every resolved context built from it.
/// </summary>
internal sealed class RegistryEntry(
    string url,
    string localId,
    JsonLdContextKind kind,
    DateTimeOffset createdAt,
    string bodyJson,
    JsonElement context,
    DateTimeOffset? expiresAt,
    long hits = 0,
    DateTimeOffset? lastUsage = null)
{
    private long _hits = hits;
    private long _lastUsageTicks = lastUsage?.UtcTicks ?? 0;
    private volatile bool _removed;

    public string Url { get; } = url;

    public string LocalId { get; } = localId;

    public JsonLdContextKind Kind { get; } = kind;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    /// <summary>The document <c>{"@context": ...}</c> as received or downloaded.</summary>
    public string BodyJson { get; } = bodyJson;

    /// <summary>The <c>@context</c> member of the body (a detached, immutable element).</summary>
    public JsonElement Context { get; } = context;

    public DateTimeOffset? ExpiresAt { get; } = expiresAt;

    public long Hits => Interlocked.Read(ref _hits);

    public DateTimeOffset? LastUsage
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastUsageTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>Last usage, else creation: the age used to pick eviction victims.</summary>
    public long RecencyTicks => Interlocked.Read(ref _lastUsageTicks) is var t and not 0 ? t : CreatedAt.UtcTicks;

    public bool IsRemoved => _removed;

    /// <summary>Still stored and not expired.</summary>
    public bool IsCurrent(DateTimeOffset now) => !_removed && (ExpiresAt is not { } expiry || now < expiry);

    public void RecordUse(DateTimeOffset now)
    {
        Interlocked.Increment(ref _hits);
        Interlocked.Exchange(ref _lastUsageTicks, now.UtcTicks);
    }

    public void MarkRemoved() => _removed = true;

    public JsonLdContextEntry ToPublic() =>
        new(Url, LocalId, Kind, CreatedAt, LastUsage, Hits, BodyJson, ExpiresAt);
}
