using System.Text.Json.Nodes;
using Aeros.Broker.Notifications;
using Aeros.Broker.Registrations;
using Aeros.Broker.Storage;
using Aeros.Broker.Subscriptions;
using Aeros.JsonLd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Broker.RegistrationSubscriptions;

/// <summary>
/// The registry of /csourceSubscriptions: the subscription registry of /subscriptions, storing its subscriptions as
/// resources of kind <see cref="ResourceKinds.RegistrationSubscription"/> (same parser, model and representation).
/// </summary>
internal sealed class RegistrationSubscriptionRegistry(IEntityStore store, IJsonLdContextResolver resolver, TimeProvider time, ILogger<SubscriptionRegistry> logger)
{
    public SubscriptionRegistry Subscriptions { get; } = new(store, resolver, time, logger) { Kind = ResourceKinds.RegistrationSubscription };
}

/// <summary>
/// Sends ContextSourceNotifications (§5.11.7): once for the registrations that match a new subscription
/// (<c>newlyMatching</c>), then for every change of a registration of its tenant — created (<c>newlyMatching</c>),
/// updated (<c>updated</c>, or <c>newlyMatching</c>/<c>noLongerMatching</c> when the match changes), deleted
/// (<c>noLongerMatching</c>) — and, for subscriptions with <c>timeInterval</c>, every interval with all matching
/// registrations. Registrations change rarely, so every subscription of the tenant is evaluated for each change.
/// </summary>
internal sealed partial class RegistrationSubscriptionNotifier : IRegistrationObserver
{
    private readonly SubscriptionRegistry _subscriptions;
    private readonly RegistrationRegistry _registrations;
    private readonly INotificationDispatcher? _dispatcher;
    private readonly TimeProvider _time;
    private readonly ILogger<RegistrationSubscriptionNotifier> _logger;
    // Changes and initial notifications are evaluated one at a time, so each subscription sees them in order.
    private readonly Lock _gate = new();
    private long _queued;

    public RegistrationSubscriptionNotifier(RegistrationSubscriptionRegistry registry, RegistrationRegistry registrations, IServiceProvider services,
        TimeProvider time, ILogger<RegistrationSubscriptionNotifier> logger)
    {
        _subscriptions = registry.Subscriptions;
        _registrations = registrations;
        _time = time;
        _logger = logger;
        // Delivery is another module; without it notifications are counted as dropped.
        _dispatcher = services.GetService<INotificationDispatcher>();
        _subscriptions.Changed += OnSubscriptionChanged;
    }

    /// <summary>Notifications handed to the dispatcher so far.</summary>
    public long Queued => Interlocked.Read(ref _queued);

    public void OnRegistrationChanged(string tenant, ContextSourceRegistration? before, ContextSourceRegistration? after)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            foreach (var entry in _subscriptions.List(tenant))
            {
                try
                {
                    Evaluate(entry, before, after, now);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Log.ChangeFailed(_logger, (after ?? before)?.Id ?? "", entry.Id, e);
                }
            }
        }
    }

    private void Evaluate(SubscriptionEntry entry, ContextSourceRegistration? before, ContextSourceRegistration? after, DateTimeOffset now)
    {
        var s = entry.Definition;
        if (s.IsPeriodic || !s.IsActiveAt(now))
        {
            return;
        }
        var matchedBefore = before is null ? null : RegistrationSubscriptionMatcher.MatchingInformation(s, before, now);
        var matchesAfter = after is null ? null : RegistrationSubscriptionMatcher.MatchingInformation(s, after, now);
        (string Reason, ContextSourceRegistration Registration, JsonArray? Information) notification;
        if (matchesAfter is not null)
        {
            notification = (matchedBefore is null ? TriggerReasons.NewlyMatching : TriggerReasons.Updated, after!, matchesAfter);
        }
        else if (matchedBefore is not null)
        {
            // A deleted registration is sent as it was; an updated one as it is now, whole (no entry matches any more).
            notification = after is null
                ? (TriggerReasons.NoLongerMatching, before!, matchedBefore)
                : (TriggerReasons.NoLongerMatching, after, null);
        }
        else
        {
            return;
        }
        if (s.Throttling is { } throttling && entry.State.LastQueuedAt is { } last && (now - last).TotalSeconds < throttling)
        {
            return;
        }
        entry.State.LastQueuedAt = now;
        if (!Admit(entry))
        {
            return;
        }
        Enqueue(entry, ContextSourceNotificationRenderer.Render(s, entry.Tenant, notification.Reason,
            [(notification.Registration, notification.Information)], now));
    }

    /// <summary>
    /// Sends one <c>newlyMatching</c> notification with every registration the subscription matches now (after it
    /// was created, and for each period of a timeInterval); nothing when none matches.
    /// </summary>
    public void NotifyAllMatching(SubscriptionEntry entry)
    {
        lock (_gate)
        {
            var s = entry.Definition;
            var now = _time.GetUtcNow();
            if (entry.State.Removed || !s.IsActiveAt(now))
            {
                return;
            }
            var data = new List<(ContextSourceRegistration, JsonArray?)>();
            foreach (var registration in _registrations.For(entry.Tenant))
            {
                if (RegistrationSubscriptionMatcher.MatchingInformation(s, registration.Registration, now) is { } information)
                {
                    data.Add((registration.Registration, information));
                }
            }
            if (data.Count == 0)
            {
                return;
            }
            entry.State.LastQueuedAt = now;
            if (Admit(entry))
            {
                Enqueue(entry, ContextSourceNotificationRenderer.Render(s, entry.Tenant, TriggerReasons.NewlyMatching, data, now));
            }
        }
    }

    /// <summary>
    /// Whether to render at all: not when the dispatcher would not send it (full queue, receiver known to be
    /// unreachable; it tells the subscription's status members itself).
    /// </summary>
    private bool Admit(SubscriptionEntry entry) =>
        _dispatcher is null || entry.State.Removed || _dispatcher.TryAdmit(entry.QueueKey, entry.Definition.Notification.Endpoint.Uri, entry.State);

    private void Enqueue(SubscriptionEntry entry, NotificationMessage message)
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

    private void OnSubscriptionChanged(SubscriptionEntry entry, bool present)
    {
        entry.ResetPeriodicTimer(_time, present, e => NotifyPeriodic(e));
        if (!present)
        {
            _dispatcher?.Remove(entry.QueueKey);
        }
    }

    private void NotifyPeriodic(SubscriptionEntry entry)
    {
        try
        {
            if (entry.Definition.IsPeriodic)
            {
                NotifyAllMatching(entry);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.PeriodicFailed(_logger, entry.Id, e);
        }
    }

    /// <summary>Stops every periodic timer (at shutdown).</summary>
    public void StopTimers()
    {
        foreach (var entry in _subscriptions.All())
        {
            entry.StopPeriodicTimer();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3200, EventName = "RegistrationChangeMatchingFailed", Level = LogLevel.Error,
            Message = "Matching the change of registration {RegistrationId} against registration subscription {SubscriptionId} failed.")]
        public static partial void ChangeFailed(ILogger logger, string registrationId, string subscriptionId, Exception exception);

        [LoggerMessage(EventId = 3201, EventName = "RegistrationPeriodicNotificationFailed", Level = LogLevel.Error,
            Message = "The periodic notification of registration subscription {Id} failed.")]
        public static partial void PeriodicFailed(ILogger logger, string id, Exception exception);
    }
}
