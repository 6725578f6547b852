using Aeros.Broker.Model;
using Aeros.Broker.Notifications;
using Aeros.Broker.Storage;

namespace Aeros.Broker.Subscriptions;

/// <summary>
/// One committed change as the matching loop sees it: the entity before and after, decoded from the stored bytes
/// only as far as the candidate subscriptions need. A subscription that selects by id/type/scope and watches named
/// attributes (no q, no geoQ) is decided on the entities' headers and the stored bytes of those attributes
/// (<see cref="Watched"/>), decoding them only when the bytes do not tell (<see cref="With"/>); the others get the
/// whole entities. Decoding entities was most of the matching cost. Matching thread only.
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
    private (Entity? Before, Entity? After)? _headers;
    // The last watched names looked up in the stored bytes, and where they are.
    private IReadOnlyList<string>? _watchedNames;
    private (StoredWatch? Before, StoredWatch? After) _watched;

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
    public (Entity? Before, Entity? After) Any() => _decoded ? (_before, _after) : Headers();

    /// <summary>The entities before and after without attributes (id, types, scopes, timestamps).</summary>
    public (Entity? Before, Entity? After) Headers() => _headers ??= (
        Change.Before is { } b ? StoredEntityCodec.DecodeHeader(b) : null,
        Change.After is { } a ? StoredEntityCodec.DecodeHeader(a) : null);

    /// <summary>
    /// The stored entities before and after with the instances of the subscription's watched attributes, for
    /// <see cref="ChangeAnalysis.AnalyzeStored"/>, and the header of the entity as it is now (as it was, for a
    /// deletion) for selection. Candidates usually watch the same names: those are read once.
    /// </summary>
    public (StoredWatch? Before, StoredWatch? After, Entity Subject) Watched(Subscription subscription)
    {
        var names = subscription.WatchedAttributes ?? throw new ArgumentException("The subscription watches every attribute.", nameof(subscription));
        if (_watchedNames is null || !(ReferenceEquals(_watchedNames, names) || _watchedNames.SequenceEqual(names, StringComparer.Ordinal)))
        {
            var utf8 = subscription.WatchedAttributesUtf8!;
            // The subject's header is read in the same pass, unless the type lookup already decoded the headers.
            var header = _headers is null;
            var after = Change.After is { } a ? new StoredWatch(a, utf8, header) : null;
            var before = Change.Before is { } b ? new StoredWatch(b, utf8, header && after is null) : null;
            _watched = (before, after);
            _watchedNames = names;
        }
        var subject = _headers is { } headers ? headers.After ?? headers.Before : (_watched.After ?? _watched.Before)!.Header;
        return (_watched.Before, _watched.After, subject!);
    }

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
/// decoded values are not safe to share between the delivery threads. It keeps only the bytes its rendering needs
/// (a slow receiver's queue holds many of these).
/// </summary>
internal sealed class DeferredChangeNotification : IDeferredNotification
{
    private readonly Subscription _subscription;
    private readonly string _tenant;
    private readonly byte[]? _before;
    private readonly byte[]? _after;
    private readonly DateTimeOffset _at;
    private readonly NotificationTriggers _fired;
    private readonly DateTimeOffset _now;

    public DeferredChangeNotification(Subscription subscription, string tenant, EntityChange change, NotificationTriggers fired, DateTimeOffset now)
    {
        _subscription = subscription;
        _tenant = tenant;
        _after = change.After;
        // The entity before matters only for deletions, previous values (showChanges) and deleted attributes.
        _before = NeedsBefore(subscription, change.After is null) ? change.Before : null;
        _at = change.At;
        _fired = fired;
        _now = now;
    }

    public Uri Endpoint => _subscription.Notification.Endpoint.Uri;

    public TimeSpan Cooldown => _subscription.Notification.Endpoint.Cooldown is { } c ? TimeSpan.FromMilliseconds(c) : TimeSpan.Zero;

    public NotificationMessage Render()
    {
        var s = _subscription;
        var after = _after is null ? null : StoredEntityCodec.Decode(_after);
        var needsBefore = NeedsBefore(s, after is null);
        var before = needsBefore && _before is not null ? StoredEntityCodec.Decode(_before) : null;
        var analysis = needsBefore ? ChangeAnalysis.Analyze(before, after, s.WatchedAttributes, s.DatasetIds) : new ChangeAnalysis();
        var (entity, augmenter) = NotificationRenderer.PrepareChange(s, before, after, analysis, _fired, _at);
        return NotificationRenderer.Render(s, _tenant, [(entity, augmenter)], _now);
    }

    private static bool NeedsBefore(Subscription s, bool deleted) =>
        deleted || s.Notification.ShowChanges == true || (s.Triggers & NotificationTriggers.AttributeDeleted) != 0;
}
