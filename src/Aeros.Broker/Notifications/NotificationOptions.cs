using Microsoft.Extensions.Options;

namespace Aeros.Broker.Notifications;

/// <summary>
/// Options of notification delivery (configuration section <see cref="SectionName"/>, e.g. environment variable
/// <c>Broker__Notifications__QueueCapacity</c>).
/// </summary>
public sealed class NotificationOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Broker:Notifications";

    /// <summary>Default number of notifications one subscription may have queued.</summary>
    public const int DefaultQueueCapacity = 1000;

    /// <summary>Default number of attempts per notification (the first one included).</summary>
    public const int DefaultMaxAttempts = 3;

    /// <summary>Default wait before the first retry; it doubles for each further retry.</summary>
    public static readonly TimeSpan DefaultInitialBackoff = TimeSpan.FromMilliseconds(100);

    /// <summary>Default longest wait between two attempts.</summary>
    public static readonly TimeSpan DefaultMaxBackoff = TimeSpan.FromSeconds(2);

    /// <summary>Default time one attempt may take when the endpoint sets no <c>timeout</c>.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default number of notifications being sent at the same time, over all subscriptions.</summary>
    public const int DefaultMaxConcurrency = 256;

    /// <summary>Default time the broker waits at shutdown for queued notifications to be sent.</summary>
    public static readonly TimeSpan DefaultDrainTime = TimeSpan.FromSeconds(2);

    /// <summary>Default back-off of a receiver found unreachable; it doubles while the receiver stays unreachable.</summary>
    public static readonly TimeSpan DefaultUnreachableBackoff = TimeSpan.FromSeconds(1);

    /// <summary>Default longest back-off of an unreachable receiver.</summary>
    public static readonly TimeSpan DefaultMaxUnreachableBackoff = TimeSpan.FromSeconds(30);

    /// <summary>Default number of notifications in flight (and HTTP connections kept) to one receiver.</summary>
    public const int DefaultMaxConnectionsPerServer = 64;

    /// <summary>Notifications one subscription may have queued; more are dropped (and counted).</summary>
    public int QueueCapacity { get; set; } = DefaultQueueCapacity;

    /// <summary>Attempts per notification, the first one included, for retryable failures (timeouts, 5xx, 429, refused connections).</summary>
    public int MaxAttempts { get; set; } = DefaultMaxAttempts;

    /// <summary>Wait before the first retry; later retries wait exponentially longer, with jitter.</summary>
    public TimeSpan InitialBackoff { get; set; } = DefaultInitialBackoff;

    /// <summary>Longest wait between two attempts.</summary>
    public TimeSpan MaxBackoff { get; set; } = DefaultMaxBackoff;

    /// <summary>Time one attempt may take when the subscription's endpoint sets no <c>timeout</c>.</summary>
    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    /// <summary>Notifications being sent at the same time over all subscriptions (one per subscription at most).</summary>
    public int MaxConcurrency { get; set; } = DefaultMaxConcurrency;

    /// <summary>At shutdown, how long queued notifications may still be sent before the rest is dropped.</summary>
    public TimeSpan DrainTime { get; set; } = DefaultDrainTime;

    /// <summary>
    /// After a notification failed every retry with a retryable error (refused, timed out, 5xx, 429), its receiver
    /// (scheme, host and port) counts as unreachable for this long — its notifications fail at once, without an
    /// attempt — and twice as long each time the next attempt fails again, up to <see cref="MaxUnreachableBackoff"/>.
    /// A success ends it.
    /// </summary>
    public TimeSpan UnreachableBackoff { get; set; } = DefaultUnreachableBackoff;

    /// <summary>Longest back-off of an unreachable receiver.</summary>
    public TimeSpan MaxUnreachableBackoff { get; set; } = DefaultMaxUnreachableBackoff;

    /// <summary>
    /// Notifications in flight to one receiver (scheme, host and port) at the same time, which is also the number of
    /// HTTP connections kept open to it. A slow receiver can hold no more than this many of the
    /// <see cref="MaxConcurrency"/> slots, so it cannot starve the others.
    /// </summary>
    public int MaxConnectionsPerServer { get; set; } = DefaultMaxConnectionsPerServer;
}

/// <summary>Validates <see cref="NotificationOptions"/>, listing every error at once.</summary>
internal sealed class NotificationOptionsValidator : IValidateOptions<NotificationOptions>
{
    public ValidateOptionsResult Validate(string? name, NotificationOptions options)
    {
        var errors = new List<string>();
        if (options.QueueCapacity is < 1 or > 1_000_000)
        {
            errors.Add("Notification queue capacity must be between 1 and 1000000.");
        }
        if (options.MaxAttempts is < 1 or > 20)
        {
            errors.Add("Notification attempts must be between 1 and 20.");
        }
        if (options.InitialBackoff <= TimeSpan.Zero)
        {
            errors.Add("Notification initial backoff must be positive.");
        }
        if (options.MaxBackoff < options.InitialBackoff)
        {
            errors.Add("Notification maximum backoff must not be below the initial backoff.");
        }
        if (options.Timeout <= TimeSpan.Zero)
        {
            errors.Add("Notification timeout must be positive.");
        }
        if (options.MaxConcurrency is < 1 or > 10_000)
        {
            errors.Add("Notification concurrency must be between 1 and 10000.");
        }
        if (options.DrainTime < TimeSpan.Zero || options.DrainTime > TimeSpan.FromMinutes(1))
        {
            errors.Add("Notification drain time must be between 0 and 1 minute.");
        }
        if (options.UnreachableBackoff <= TimeSpan.Zero || options.MaxUnreachableBackoff < options.UnreachableBackoff)
        {
            errors.Add("Notification unreachable back-off must be positive and not above its maximum.");
        }
        if (options.MaxConnectionsPerServer is < 1 or > 1000)
        {
            errors.Add("Notification connections per server must be between 1 and 1000.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
