using Aeros.Broker.Model;
using Aeros.Broker.Notifications;
using Aeros.Broker.Storage;

namespace Aeros.Broker.Subscriptions;

/// <summary>
/// One committed change as the matching loop sees it: the entity before and after, decoded from the stored bytes
/// only as far as the candidate subscriptions need. A subscription that selects by id/type/scope and watches named
/// attributes (no q, no geoQ) is decided on entities holding only those attributes; the others get the whole
/// entities. Decoding all of an entity twice per change was most of the matching cost. Matching thread only.
/// </summary>
internal sealed class ChangeView(EntityChange change)
{
    /// <summary>More watched names than this over one change's candidates: decode everything instead.</summary>
    private const int MaxSelectedNames = 16;

    private Entity? _before;
    private Entity? _after;
    private bool _decoded;
    // The attributes the decoded entities hold; null when they are complete.
    private List<string>? _names;

    public EntityChange Change { get; } = change;

    /// <summary>Whether the decoded entities are complete (the last call was, or fell back to, <see cref="Full"/>).</summary>
    public bool IsFull => _decoded && _names is null;

    /// <summary>
    /// The entities before and after holding at least the attributes in <paramref name="names"/> (others may be
    /// missing) and every member that is not an attribute (id, types, scopes, timestamps).
    /// </summary>
    public (Entity? Before, Entity? After) With(IReadOnlyList<string> names)
    {
        if (_decoded && (_names is null || ContainsAll(_names, names)))
        {
            return (_before, _after);
        }
        // Widened rather than replaced, so candidates with different watched names do not decode in turn.
        var wanted = _decoded ? new List<string>(_names!) : new List<string>(names.Count);
        foreach (var name in names)
        {
            if (!wanted.Contains(name, StringComparer.Ordinal))
            {
                wanted.Add(name);
            }
        }
        if (wanted.Count > MaxSelectedNames)
        {
            return Full();
        }
        _before = Change.Before is { } b ? StoredEntityCodec.DecodeSelected(b, wanted) : null;
        _after = Change.After is { } a ? StoredEntityCodec.DecodeSelected(a, wanted) : null;
        _names = wanted;
        _decoded = true;
        return (_before, _after);
    }

    /// <summary>The complete entities before and after.</summary>
    public (Entity? Before, Entity? After) Full()
    {
        if (!IsFull)
        {
            _before = Change.DecodeBefore();
            _after = Change.DecodeAfter();
            _names = null;
            _decoded = true;
        }
        return (_before, _after);
    }

    /// <summary>Entities with whatever attributes were decoded so far (for id, types and scopes).</summary>
    public (Entity? Before, Entity? After) Any() => _decoded ? (_before, _after) : With([]);

    private static bool ContainsAll(List<string> have, IReadOnlyList<string> names)
    {
        foreach (var name in names)
        {
            if (!have.Contains(name, StringComparer.Ordinal))
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>
/// The notification of one (subscription, change), rendered only when the dispatcher sends it: a notification that
/// is never attempted (its queue full or removed, shutdown) is never decoded in full nor rendered. It renders from the
/// stored bytes of the change (immutable) with the subscription definition and time captured when it matched, so
/// rendering later gives what rendering at once would have. Each rendering decodes its own copy of the entity:
/// decoded values are not safe to share between the delivery threads.
/// </summary>
internal sealed class DeferredChangeNotification(Subscription subscription, string tenant, EntityChange change, NotificationTriggers fired, DateTimeOffset now)
    : IDeferredNotification
{
    public Uri Endpoint => subscription.Notification.Endpoint.Uri;

    public TimeSpan Cooldown => subscription.Notification.Endpoint.Cooldown is { } c ? TimeSpan.FromMilliseconds(c) : TimeSpan.Zero;

    public NotificationMessage Render()
    {
        var s = subscription;
        var after = change.DecodeAfter();
        // The entity before matters only for deletions, previous values (showChanges) and deleted attributes.
        var needsBefore = after is null || s.Notification.ShowChanges == true || (s.Triggers & NotificationTriggers.AttributeDeleted) != 0;
        var before = needsBefore ? change.DecodeBefore() : null;
        var analysis = needsBefore ? ChangeAnalysis.Analyze(before, after, s.WatchedAttributes, s.DatasetIds) : new ChangeAnalysis();
        var (entity, augmenter) = NotificationRenderer.PrepareChange(s, before, after, analysis, fired, change.At);
        return NotificationRenderer.Render(s, tenant, [(entity, augmenter)], now);
    }
}
