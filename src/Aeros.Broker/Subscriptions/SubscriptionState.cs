using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Broker.Entities;
using Aeros.Broker.Notifications;

namespace Aeros.Broker.Subscriptions;

/// <summary>
/// The runtime members of one subscription's notifications (§5.2.14.2: status, timesSent, timesFailed,
/// lastNotification, lastSuccess, lastFailure, plus the non-standard timesDropped). Told by the dispatcher what
/// happened to each notification; flushed to the store lazily. Thread-safe; its lock is never held while
/// rendering or sending.
/// </summary>
internal sealed class SubscriptionState : IDeliveryObserver
{
    private readonly Lock _gate = new();
    private long _timesSent;
    private long _timesFailed;
    private long _timesDropped;
    private DateTimeOffset? _lastNotification;
    private DateTimeOffset? _lastSuccess;
    private DateTimeOffset? _lastFailure;
    private bool? _lastOk;
    private int _dirty;

    /// <summary>When the last change-driven notification was queued (throttling); used by the matching thread only.</summary>
    public DateTimeOffset? LastQueuedAt { get; set; }

    /// <summary>Set once the subscription is deleted: late delivery reports are ignored.</summary>
    public bool Removed { get; set; }

    public void Completed(DeliveryResult result, DateTimeOffset at)
    {
        lock (_gate)
        {
            _timesSent++;
            _lastNotification = at;
            if (result.Success)
            {
                _lastSuccess = at;
                _lastOk = true;
            }
            else
            {
                _timesFailed++;
                _lastFailure = at;
                _lastOk = false;
            }
        }
        Volatile.Write(ref _dirty, 1);
    }

    public void Dropped(string reason)
    {
        Interlocked.Increment(ref _timesDropped);
        Volatile.Write(ref _dirty, 1);
    }

    /// <summary>Whether something changed since the last <see cref="TakeDirty"/>; resets the flag.</summary>
    public bool TakeDirty() => Interlocked.Exchange(ref _dirty, 0) == 1;

    /// <summary>Marks the members as not yet stored (a flush that could not write them).</summary>
    public void MarkDirty() => Volatile.Write(ref _dirty, 1);

    public long TimesSent
    {
        get
        {
            lock (_gate)
            {
                return _timesSent;
            }
        }
    }

    public long TimesDropped => Interlocked.Read(ref _timesDropped);

    /// <summary>Writes the status members into an open notification object.</summary>
    public void WriteMembers(Utf8JsonWriter writer, bool forStorage)
    {
        long sent, failed;
        DateTimeOffset? last, success, failure;
        bool? ok;
        lock (_gate)
        {
            (sent, failed, last, success, failure, ok) = (_timesSent, _timesFailed, _lastNotification, _lastSuccess, _lastFailure, _lastOk);
        }
        var dropped = TimesDropped;
        if (ok is { } isOk)
        {
            writer.WriteString("status", isOk ? "ok" : "failed");
        }
        if (sent > 0 || forStorage)
        {
            writer.WriteNumber("timesSent", sent);
        }
        if (failed > 0 || forStorage)
        {
            writer.WriteNumber("timesFailed", failed);
        }
        if (dropped > 0)
        {
            writer.WriteNumber("timesDropped", dropped);
        }
        WriteTime(writer, "lastNotification", last);
        WriteTime(writer, "lastSuccess", success);
        WriteTime(writer, "lastFailure", failure);
    }

    /// <summary>Restores the members written by <see cref="WriteMembers"/> (after a restart).</summary>
    public void Load(JsonObject? stored)
    {
        if (stored is null)
        {
            return;
        }
        lock (_gate)
        {
            _timesSent = Long(stored, "timesSent");
            _timesFailed = Long(stored, "timesFailed");
            _timesDropped = Long(stored, "timesDropped");
            _lastNotification = Time(stored, "lastNotification");
            _lastSuccess = Time(stored, "lastSuccess");
            _lastFailure = Time(stored, "lastFailure");
            _lastOk = stored["status"]?.GetValue<string>() switch { "ok" => true, "failed" => false, _ => null };
        }
    }

    private static long Long(JsonObject o, string name) =>
        o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<long>() : 0;

    private static DateTimeOffset? Time(JsonObject o, string name) =>
        o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String && NgsiNames.TryParseDateTime(v.GetValue<string>(), out var t) ? t : null;

    private static void WriteTime(Utf8JsonWriter writer, string name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            writer.WriteString(name, NgsiNames.FormatTimestamp(v));
        }
    }
}
