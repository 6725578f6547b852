using System.Threading.Channels;
using Aeros.Broker.Entities;
using Aeros.Broker.Model;
using Aeros.Broker.Notifications;
using Aeros.Broker.Query;
using Aeros.Broker.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Broker.Subscriptions;

/// <summary>
/// Turns committed entity changes into notifications (§5.8.6): the store's writer thread only queues the changes
/// (bounded; overflow dropped and counted); one matching loop evaluates only the subscriptions indexed under the
/// entity's id or types, decoding each change at most once and only as far as they need (<see cref="ChangeView"/>),
/// and hands one notification per (subscription, change) to the <see cref="INotificationDispatcher"/>, which renders it
/// when it sends it (<see cref="DeferredChangeNotification"/>). Periodic subscriptions (timeInterval) run on timers.
/// </summary>
internal sealed partial class SubscriptionNotifier : IEntityChangeObserver
{
    private readonly SubscriptionRegistry _registry;
    private readonly IEntityStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<SubscriptionNotifier> _logger;
    private readonly SubscriptionOptions _options;
    private readonly INotificationDispatcher? _dispatcher;
    private readonly Channel<IReadOnlyList<EntityChange>> _queue;
    private long _droppedChanges;
    private long _processedChanges;
    private long _queued;
    private long _periodicRuns;
    private long _stamp;

    public SubscriptionNotifier(SubscriptionRegistry registry, IEntityStore store, IServiceProvider services, IOptions<SubscriptionOptions> options,
        TimeProvider time, ILogger<SubscriptionNotifier> logger)
    {
        _registry = registry;
        _store = store;
        _time = time;
        _logger = logger;
        _options = options.Value;
        // Delivery is another module; without it notifications are counted as dropped rather than failing the broker.
        _dispatcher = services.GetService<INotificationDispatcher>();
        _queue = Channel.CreateBounded<IReadOnlyList<EntityChange>>(new BoundedChannelOptions(_options.ChangeQueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        registry.Changed += OnRegistryChanged;
    }

    /// <summary>Changes dropped because the matching queue was full.</summary>
    public long DroppedChanges => Interlocked.Read(ref _droppedChanges);

    /// <summary>Changes matched so far.</summary>
    public long ProcessedChanges => Interlocked.Read(ref _processedChanges);

    /// <summary>Notifications handed to the dispatcher so far.</summary>
    public long Queued => Interlocked.Read(ref _queued);

    /// <summary>Periodic (timeInterval) evaluations finished so far, whether they sent something or not.</summary>
    public long PeriodicRuns => Interlocked.Read(ref _periodicRuns);

    public bool Observes(string tenant) => _registry.Observes(tenant);

    public void OnCommitted(IReadOnlyList<EntityChange> changes)
    {
        if (!_queue.Writer.TryWrite(changes))
        {
            var total = Interlocked.Add(ref _droppedChanges, changes.Count);
            // Logged at the first drop and then about every thousandth, so an overload does not flood the log.
            if (total == changes.Count || total % 1000 < changes.Count)
            {
                Log.ChangesDropped(_logger, total);
            }
        }
    }

    /// <summary>Ends the matching loop once the queued changes are processed.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>The matching loop (one reader keeps changes in commit order).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out var unit))
            {
                foreach (var change in unit)
                {
                    try
                    {
                        Process(change);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        Log.ChangeFailed(_logger, change.Id, e);
                    }
                    Interlocked.Increment(ref _processedChanges);
                }
            }
        }
    }

    private void Process(EntityChange change)
    {
        var index = _registry.Index(change.Tenant);
        if (index is null)
        {
            return;
        }
        // Decoded lazily, once per change and only as far as the candidates need; shared read-only by them.
        var view = new ChangeView(change);
        var stamp = ++_stamp;
        var now = _time.GetUtcNow();
        if (index.ById.TryGetValue(change.Id, out var byId))
        {
            foreach (var entry in byId)
            {
                Evaluate(entry, view, now);
            }
        }
        if (index.ByType.Count > 0)
        {
            var (before, after) = view.Any();
            var subject = after ?? before!;
            foreach (var type in subject.Types)
            {
                Candidates(index, type, stamp, view, now);
            }
            if (before is not null && after is not null)
            {
                foreach (var type in before.Types)
                {
                    Candidates(index, type, stamp, view, now);
                }
            }
        }
        foreach (var entry in index.Untyped)
        {
            Evaluate(entry, view, now);
        }
    }

    private void Candidates(TenantIndex index, string type, long stamp, ChangeView view, DateTimeOffset now)
    {
        if (!index.ByType.TryGetValue(type, out var entries))
        {
            return;
        }
        foreach (var entry in entries)
        {
            if (entry.Stamp == stamp)
            {
                continue;
            }
            entry.Stamp = stamp;
            Evaluate(entry, view, now);
        }
    }

    private void Evaluate(SubscriptionEntry entry, ChangeView view, DateTimeOffset now)
    {
        var s = entry.Definition;
        if (s.IsPeriodic || !s.IsActiveAt(now))
        {
            return;
        }
        NotificationTriggers fired;
        if (s.WatchedAttributes is { } watched && s.Q is null && s.GeoQ is null)
        {
            // Selection by id/type/scope needs only the entity's header, and whether the watched attributes changed
            // is read from their stored bytes; q and geoQ may look at any attribute, and without watchedAttributes
            // every attribute is watched. Selection applies to the entity as it is now (as it was, for a deletion).
            var (storedBefore, storedAfter, subject) = view.Watched(s);
            if (!Selects(s, subject))
            {
                return;
            }
            if (ChangeAnalysis.AnalyzeStored(storedBefore, storedAfter, s.DatasetIds) is not { } stored)
            {
                var (before, after) = view.With(watched);
                stored = ChangeAnalysis.Analyze(before, after, watched, s.DatasetIds).Fired;
            }
            fired = stored & s.Triggers;
        }
        else
        {
            var (before, after) = view.Full();
            if (!Selects(s, after ?? before!))
            {
                return;
            }
            fired = ChangeAnalysis.Analyze(before, after, s.WatchedAttributes, s.DatasetIds).Fired & s.Triggers;
        }
        if (fired == NotificationTriggers.None)
        {
            return;
        }
        if (s.Throttling is { } throttling && entry.State.LastQueuedAt is { } last && (now - last).TotalSeconds < throttling)
        {
            return;
        }
        entry.State.LastQueuedAt = now;
        // Not queued when it would not be sent: a full queue or a receiver known to be unreachable (counted there).
        if (_dispatcher is not null && !entry.State.Removed && !_dispatcher.TryAdmit(entry.QueueKey, s.Notification.Endpoint.Uri, entry.State))
        {
            return;
        }
        // Rendered by the dispatcher when it sends it: a queued notification that is never attempted costs no rendering.
        Enqueue(entry, new DeferredChangeNotification(s, entry.Tenant, view.Change, fired, now));
    }

    private static bool Selects(Subscription s, Entity entity)
    {
        if (s.Entities is { } selectors)
        {
            var any = false;
            foreach (var selector in selectors)
            {
                if (selector.Matches(entity))
                {
                    any = true;
                    break;
                }
            }
            if (!any)
            {
                return false;
            }
        }
        return (s.Q is null || s.Q.Matches(entity))
            && (s.ScopeQ is null || s.ScopeQ.Matches(entity.Scopes))
            && (s.GeoQ is null || s.GeoQ.Matches(entity));
    }

    private void Enqueue(SubscriptionEntry entry, IDeferredNotification message)
    {
        if (entry.State.Removed)
        {
            return;
        }
        if (_dispatcher is null)
        {
            entry.State.Dropped("no notification dispatcher is configured");
            return;
        }
        _dispatcher.Enqueue(entry.QueueKey, message, entry.State);
        Interlocked.Increment(ref _queued);
    }

    /// <summary>Builds and queues one periodic notification with every matching entity; nothing when none match.</summary>
    public async Task NotifyPeriodicAsync(SubscriptionEntry entry, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref entry.PeriodicRunning, 1) == 1)
        {
            return;
        }
        try
        {
            var s = entry.Definition;
            var now = _time.GetUtcNow();
            if (!s.IsPeriodic || entry.State.Removed || !s.IsActiveAt(now) || s.Entities is not { } selectors)
            {
                return;
            }
            var types = selectors.Count == 1
                ? selectors[0].Types
                : TypeExpression.Parse(string.Join('|', selectors.Select(e => "(" + e.TypeText + ")")), static t => t);
            var found = new List<(Entity, IRenderAugmenter?)>();
            const int page = 1000;
            for (var offset = 0; found.Count < _options.MaxPeriodicEntities; offset += page)
            {
                var result = await _store.QueryAsync(entry.Tenant, new EntityQuery
                {
                    Types = types,
                    Selectors = [.. selectors.Select(e => new EntitySelector(e.Id, e.IdPattern, e.Types))],
                    Q = s.Q,
                    ScopeQ = s.ScopeQ,
                    Geo = s.GeoQ,
                    Limit = page,
                    Offset = offset,
                }, cancellationToken).ConfigureAwait(false);
                foreach (var entity in result.Entities)
                {
                    if (found.Count < _options.MaxPeriodicEntities)
                    {
                        found.Add((entity, null));
                    }
                }
                if (result.Entities.Count < page)
                {
                    break;
                }
            }
            if (found.Count == 0)
            {
                return;
            }
            Enqueue(entry, NotificationRenderer.Render(s, entry.Tenant, found, _time.GetUtcNow()));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.PeriodicFailed(_logger, entry.Id, e);
        }
        finally
        {
            Volatile.Write(ref entry.PeriodicRunning, 0);
            Interlocked.Increment(ref _periodicRuns);
        }
    }

    private void OnRegistryChanged(SubscriptionEntry entry, bool present)
    {
        entry.ResetPeriodicTimer(_time, present, e => _ = NotifyPeriodicAsync(e, CancellationToken.None));
        if (!present)
        {
            _dispatcher?.Remove(entry.QueueKey);
        }
    }

    /// <summary>Stops every periodic timer (at shutdown).</summary>
    public void StopTimers()
    {
        foreach (var entry in _registry.All())
        {
            entry.StopPeriodicTimer();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3010, EventName = "ChangesDropped", Level = LogLevel.Warning,
            Message = "The subscription matching queue is full; {Total} committed changes dropped without notifications so far.")]
        public static partial void ChangesDropped(ILogger logger, long total);

        [LoggerMessage(EventId = 3011, EventName = "ChangeMatchingFailed", Level = LogLevel.Error,
            Message = "Matching the change of entity {EntityId} against subscriptions failed.")]
        public static partial void ChangeFailed(ILogger logger, string entityId, Exception exception);

        [LoggerMessage(EventId = 3012, EventName = "PeriodicNotificationFailed", Level = LogLevel.Error,
            Message = "The periodic notification of subscription {Id} failed.")]
        public static partial void PeriodicFailed(ILogger logger, string id, Exception exception);
    }
}
