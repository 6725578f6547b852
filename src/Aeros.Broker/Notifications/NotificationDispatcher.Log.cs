using Microsoft.Extensions.Logging;

namespace Aeros.Broker.Notifications;

internal sealed partial class NotificationDispatcher
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 2600, EventName = "NotificationQueueFull", Level = LogLevel.Warning,
            Message = "The notification queue of {QueueKey} is full ({Capacity}); its new notifications are dropped until it drains.")]
        public static partial void QueueFull(ILogger logger, string queueKey, int capacity);

        [LoggerMessage(EventId = 2601, EventName = "NotificationRetrying", Level = LogLevel.Information,
            Message = "Notification of {QueueKey} to {Endpoint} failed ({Error}); attempt {Attempt} in {DelayMs:F0} ms.")]
        public static partial void Retrying(ILogger logger, string queueKey, string endpoint, int attempt, string? error, double delayMs);

        [LoggerMessage(EventId = 2602, EventName = "NotificationsFailing", Level = LogLevel.Warning,
            Message = "Notifications of {QueueKey} to {Endpoint} fail: {Error}.")]
        public static partial void Failing(ILogger logger, string queueKey, string endpoint, string? error);

        [LoggerMessage(EventId = 2603, EventName = "NotificationFailed", Level = LogLevel.Debug,
            Message = "Notification of {QueueKey} failed: {Error}.")]
        public static partial void Failed(ILogger logger, string queueKey, string? error);

        [LoggerMessage(EventId = 2604, EventName = "NotificationsRecovered", Level = LogLevel.Information,
            Message = "Notifications of {QueueKey} to {Endpoint} are delivered again.")]
        public static partial void Recovered(ILogger logger, string queueKey, string endpoint);

        [LoggerMessage(EventId = 2605, EventName = "NotificationQueueRemoved", Level = LogLevel.Debug,
            Message = "The notification queue of {QueueKey} was removed with {Count} notifications still queued; they are dropped.")]
        public static partial void QueueRemoved(ILogger logger, string queueKey, int count);

        [LoggerMessage(EventId = 2606, EventName = "NotificationDrainIncomplete", Level = LogLevel.Warning,
            Message = "{Count} notifications were not sent within the {DrainMs:F0} ms shutdown drain time; they are dropped.")]
        public static partial void DrainIncomplete(ILogger logger, long count, double drainMs);

        [LoggerMessage(EventId = 2607, EventName = "NotificationWorkersStillRunning", Level = LogLevel.Warning,
            Message = "{Count} notifications were still in flight after their cancellation at shutdown.")]
        public static partial void WorkersStillRunning(ILogger logger, long count);

        [LoggerMessage(EventId = 2608, EventName = "NotificationDispatcherStopped", Level = LogLevel.Debug,
            Message = "Notification delivery stopped; {Dropped} notifications were dropped since start.")]
        public static partial void Stopped(ILogger logger, long dropped);

        [LoggerMessage(EventId = 2609, EventName = "NotificationChannelThrew", Level = LogLevel.Error,
            Message = "The notification channel for {Endpoint} threw instead of returning a failed result.")]
        public static partial void ChannelThrew(ILogger logger, string endpoint, Exception exception);

        [LoggerMessage(EventId = 2610, EventName = "DeliveryObserverThrew", Level = LogLevel.Error,
            Message = "The delivery observer of {QueueKey} threw.")]
        public static partial void ObserverThrew(ILogger logger, string queueKey, Exception exception);

        [LoggerMessage(EventId = 2611, EventName = "NotificationDeliveryCrashed", Level = LogLevel.Error,
            Message = "Delivering a notification of {QueueKey} failed unexpectedly.")]
        public static partial void DeliveryCrashed(ILogger logger, string queueKey, Exception exception);

        [LoggerMessage(EventId = 2612, EventName = "NotificationReceiverUnreachable", Level = LogLevel.Warning,
            Message = "Notification receiver {Endpoint} is unreachable ({Error}): its notifications fail without an attempt for {BackoffMs} ms")]
        public static partial void ReceiverUnreachable(ILogger logger, string endpoint, double backoffMs, string? error);

        [LoggerMessage(EventId = 3022, EventName = "NotificationRenderFailed", Level = LogLevel.Error,
            Message = "Rendering a queued notification of {QueueKey} failed; it is counted as failed.")]
        public static partial void RenderFailed(ILogger logger, string queueKey, Exception exception);
    }
}
