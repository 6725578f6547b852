namespace Aeros.Broker.Notifications;

/// <summary>
/// One notification ready to send: the rendered NGSI-LD Notification (or ContextSourceNotification) and how to
/// send it. HTTP channels POST <see cref="Body"/> with <see cref="ContentType"/>, the <see cref="Link"/> header when
/// set, <see cref="ReceiverInfo"/> as headers and <c>NGSILD-Tenant</c> when <see cref="Tenant"/> is not the default;
/// MQTT channels publish <c>{"metadata": {...}, "body": ...}</c> (ETSI GS CIM 009 §7.2).
/// </summary>
/// <param name="Endpoint">The endpoint URI (<c>http</c>, <c>https</c>, <c>mqtt</c>, <c>mqtts</c>).</param>
/// <param name="ContentType"><c>application/json</c> or <c>application/ld+json</c>.</param>
/// <param name="Link">The JSON-LD context Link header value for <c>application/json</c>, else null.</param>
/// <param name="ReceiverInfo">Key-value pairs the receiver asked for (HTTP headers / MQTT metadata).</param>
/// <param name="NotifierInfo">Channel settings, e.g. <c>MQTT-QoS</c>, <c>MQTT-Version</c>.</param>
/// <param name="Tenant">The tenant of the subscription (empty for the default tenant).</param>
/// <param name="Body">The UTF-8 JSON of the notification.</param>
/// <param name="Timeout">
/// How long one attempt may take (the endpoint's <c>timeout</c>); zero or less means the dispatcher's default
/// (<see cref="NotificationOptions.Timeout"/>, 5 s).
/// </param>
/// <param name="Cooldown">After a failure, how long no attempt is made (the endpoint's <c>cooldown</c>), or zero.</param>
internal sealed record NotificationMessage(
    Uri Endpoint,
    string ContentType,
    string? Link,
    IReadOnlyList<KeyValuePair<string, string>> ReceiverInfo,
    IReadOnlyList<KeyValuePair<string, string>> NotifierInfo,
    string Tenant,
    ReadOnlyMemory<byte> Body,
    TimeSpan Timeout,
    TimeSpan Cooldown) : IDeferredNotification
{
    /// <summary>Already rendered: itself.</summary>
    public NotificationMessage Render() => this;
}

/// <summary>
/// A notification whose body is rendered only when the dispatcher is about to send it, so the notifications that
/// are never attempted (a dropped queue, a removed subscription, shutdown) cost no rendering. Rendering must give the
/// same message whenever and on whatever thread it runs: implementations capture everything it depends on.
/// </summary>
internal interface IDeferredNotification
{
    /// <summary>Where it goes (known without rendering: admission, receiver back-off, metrics).</summary>
    Uri Endpoint { get; }

    /// <summary>The endpoint's cooldown after a failure, or zero.</summary>
    TimeSpan Cooldown { get; }

    /// <summary>The message to send; called at most once per notification, on a delivery thread.</summary>
    NotificationMessage Render();
}

/// <summary>The outcome of one delivery attempt.</summary>
/// <param name="Success">The receiver accepted it (HTTP 2xx, MQTT published/acknowledged).</param>
/// <param name="Retryable">A failure worth retrying (timeout, refused connection, 5xx, 429).</param>
/// <param name="Error">What went wrong, for logs and the subscription's status.</param>
internal readonly record struct DeliveryResult(bool Success, bool Retryable, string? Error)
{
    public static DeliveryResult Ok { get; } = new(true, false, null);

    public static DeliveryResult Failed(string error, bool retryable) => new(false, retryable, error);
}

/// <summary>Sends notifications over one transport (HTTP, MQTT).</summary>
internal interface INotificationChannel
{
    /// <summary>Whether this channel sends to the endpoint's scheme.</summary>
    bool Supports(Uri endpoint);

    /// <summary>One attempt; never throws for transport failures (they are a failed result).</summary>
    Task<DeliveryResult> SendAsync(NotificationMessage message, CancellationToken cancellationToken);
}

/// <summary>
/// Told what happened to the notifications of one subscription, in the order they were queued, so it can keep
/// the subscription's status members (<c>timesSent</c>, <c>lastSuccess</c>, ...). Called from delivery threads:
/// must be quick and thread-safe.
/// </summary>
internal interface IDeliveryObserver
{
    /// <summary>The final outcome of one notification (after its retries): <paramref name="result"/> at <paramref name="at"/>.</summary>
    void Completed(DeliveryResult result, DateTimeOffset at);

    /// <summary>A notification was dropped without an attempt (queue full, subscription removed, shutting down).</summary>
    void Dropped(string reason);
}

/// <summary>
/// Delivers notifications decoupled from writes: one bounded queue per subscription (order kept within it),
/// sent by background workers with retries and backoff; a slow or dead receiver only fills its own queue, whose
/// overflow is dropped and counted. <see cref="Enqueue"/> never blocks.
/// </summary>
internal interface INotificationDispatcher
{
    /// <summary>
    /// Queues a notification of the subscription <paramref name="queueKey"/> (tenant and id), rendered when it is
    /// about to be sent (<see cref="IDeferredNotification.Render"/>; a <see cref="NotificationMessage"/> is already
    /// rendered); a rendering that throws completes the notification as a failure. Returns false when it was dropped
    /// because the subscription's queue is full (the observer is told too).
    /// </summary>
    bool Enqueue(string queueKey, IDeferredNotification notification, IDeliveryObserver observer);

    /// <summary>
    /// Asked before a notification is rendered: false when it would not be sent anyway — the subscription's queue is
    /// full (counted as a drop, the observer is told), or its receiver is known to be unreachable and nothing of the
    /// subscription is queued or in flight (counted as a failure, the observer is told) — so the caller can skip
    /// rendering it. True otherwise; the caller then renders (or defers rendering) and calls <see cref="Enqueue"/>.
    /// </summary>
    bool TryAdmit(string queueKey, Uri endpoint, IDeliveryObserver observer);

    /// <summary>Discards the queue of a deleted subscription (queued notifications are dropped).</summary>
    void Remove(string queueKey);

    /// <summary>Notifications queued and not yet completed, over all queues (metrics, tests).</summary>
    long Pending { get; }

    /// <summary>Notifications dropped since start, over all queues.</summary>
    long Dropped { get; }
}
