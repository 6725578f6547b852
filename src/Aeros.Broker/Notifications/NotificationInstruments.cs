using System.Diagnostics.Metrics;

namespace Aeros.Broker.Notifications;

/// <summary>
/// The metrics of notification delivery (meter <see cref="MeterName"/>): notifications sent, failed (after their
/// retries), dropped without an attempt, retried attempts, and the number queued and not yet completed.
/// </summary>
internal sealed class NotificationInstruments
{
    public const string MeterName = "Aeros.Broker.Notifications";

    private readonly Counter<long> _sent;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _retried;

    public NotificationInstruments(IMeterFactory meterFactory, Func<long> queued)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(queued);
        var meter = meterFactory.Create(MeterName);
        _sent = meter.CreateCounter<long>("aeros.notifications.sent", "{notification}",
            "Notifications the receiver accepted.");
        _failed = meter.CreateCounter<long>("aeros.notifications.failed", "{notification}",
            "Notifications that failed after their retries, or at once during a cooldown.");
        _dropped = meter.CreateCounter<long>("aeros.notifications.dropped", "{notification}",
            "Notifications dropped without an attempt (queue full, subscription removed, shutdown).");
        _retried = meter.CreateCounter<long>("aeros.notifications.retried", "{attempt}",
            "Attempts repeated after a retryable failure.");
        meter.CreateObservableGauge("aeros.notifications.queued", queued, "{notification}",
            "Notifications queued or being sent.");
    }

    public void Sent(string scheme) => _sent.Add(1, new KeyValuePair<string, object?>("scheme", scheme));

    public void Failed(string scheme) => _failed.Add(1, new KeyValuePair<string, object?>("scheme", scheme));

    public void Dropped(string reason) => _dropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Retried(string scheme) => _retried.Add(1, new KeyValuePair<string, object?>("scheme", scheme));
}
