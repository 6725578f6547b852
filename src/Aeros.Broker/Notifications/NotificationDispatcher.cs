using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace Aeros.Broker.Notifications;

/// <summary>
/// The default <see cref="INotificationDispatcher"/>: one bounded FIFO queue per key, served by at most one worker
/// at a time. A worker exists only while its queue has work, so idle subscriptions cost a dictionary entry at
/// most. Attempts run under a global concurrency limit, each with its own timeout, and retryable failures are
/// retried with exponential backoff and jitter (Polly). At shutdown the queues drain for
/// <see cref="NotificationOptions.DrainTime"/>, then whatever is left is dropped.
/// </summary>
internal sealed partial class NotificationDispatcher : INotificationDispatcher, IAsyncDisposable
{
    private static readonly ResiliencePropertyKey<string> QueueKeyProperty = new("aeros.notification.queue");
    private static readonly ResiliencePropertyKey<Uri> EndpointProperty = new("aeros.notification.endpoint");

    private readonly ConcurrentDictionary<string, KeyQueue> _queues = new(StringComparer.Ordinal);
    private readonly INotificationChannel[] _channels;
    private readonly NotificationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly NotificationInstruments _instruments;
    private readonly SemaphoreSlim _sendSlots;
    // Per receiver (scheme, host and port): its own send slots (a slow receiver's waiting notifications queue there
    // and never take the global slots other receivers need) and whether it is known to be unreachable.
    private readonly ConcurrentDictionary<string, Receiver> _receivers = new(StringComparer.Ordinal);
    private readonly ResiliencePipeline<DeliveryResult> _pipeline;
    // Cancelled when the drain time is over: ends in-flight attempts and backoff waits.
    private readonly CancellationTokenSource _stopping = new();
    // Completed when nothing is pending after Enqueue was closed.
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _closed;
    private int _stopStarted;
    private long _pending;
    private long _dropped;

    public NotificationDispatcher(
        IEnumerable<INotificationChannel> channels,
        IOptions<NotificationOptions> options,
        TimeProvider time,
        IMeterFactory meterFactory,
        ILogger<NotificationDispatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _channels = [.. channels];
        _options = options.Value;
        _time = time;
        _logger = logger;
        _instruments = new NotificationInstruments(meterFactory, () => Pending);
        _sendSlots = new SemaphoreSlim(_options.MaxConcurrency, _options.MaxConcurrency);
        _pipeline = BuildPipeline();
    }

    public long Pending => Volatile.Read(ref _pending);

    public long Dropped => Volatile.Read(ref _dropped);

    private bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Queues that exist now: busy ones and idle ones remembering a cooldown (tests, diagnostics).</summary>
    internal int QueueCount => _queues.Count;

    public bool Enqueue(string queueKey, IDeferredNotification notification, IDeliveryObserver observer)
    {
        ArgumentNullException.ThrowIfNull(queueKey);
        ArgumentNullException.ThrowIfNull(notification);
        ArgumentNullException.ThrowIfNull(observer);
        var item = new Item(notification, observer);
        // Counted as pending before looking at the closed flag: StopAsync, which sets the flag before it reads the
        // count, then either waits for this notification or this call sees the flag (both sides are full fences).
        Interlocked.Increment(ref _pending);
        if (IsClosed)
        {
            DecrementPending();
            Drop(item, DropReasons.ShuttingDown, wasPending: false);
            return false;
        }
        while (true)
        {
            var queue = _queues.GetOrAdd(queueKey, static key => new KeyQueue(key));
            bool accepted;
            bool startWorker = false;
            bool firstOverflow = false;
            lock (queue.Gate)
            {
                if (queue.Retired)
                {
                    // The worker retired this queue (idle) or Remove discarded it: take the one in the map now.
                    continue;
                }
                accepted = queue.Items.Count < _options.QueueCapacity;
                if (accepted)
                {
                    queue.Items.Enqueue(item);
                    startWorker = !queue.Running;
                    queue.Running = true;
                }
                else
                {
                    firstOverflow = !queue.Overflowing;
                    queue.Overflowing = true;
                }
            }
            if (!accepted)
            {
                if (firstOverflow)
                {
                    Log.QueueFull(_logger, queueKey, _options.QueueCapacity);
                }
                DecrementPending();
                Drop(item, DropReasons.QueueFull, wasPending: false);
                return false;
            }
            if (startWorker)
            {
                StartWorker(queue);
            }
            return true;
        }
    }

    public bool TryAdmit(string queueKey, Uri endpoint, IDeliveryObserver observer)
    {
        ArgumentNullException.ThrowIfNull(queueKey);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(observer);
        if (_queues.TryGetValue(queueKey, out var queue))
        {
            bool full, busy;
            lock (queue.Gate)
            {
                full = !queue.Retired && queue.Items.Count >= _options.QueueCapacity;
                busy = !queue.Retired && (queue.Running || queue.Items.Count > 0);
            }
            if (full)
            {
                Interlocked.Increment(ref _dropped);
                _instruments.Dropped(DropReasons.QueueFull);
                Tell(queueKey, () => observer.Dropped(DropReasons.QueueFull));
                return false;
            }
            if (busy)
            {
                return true; // earlier notifications are ahead: this one must complete after them
            }
        }
        if (_receivers.TryGetValue(ReceiverKey(endpoint), out var receiver) && receiver.IsDown(_time.GetUtcNow()) is { } failure)
        {
            _instruments.Failed(endpoint.Scheme);
            try
            {
                observer.Completed(failure, _time.GetUtcNow());
            }
            catch (Exception exception)
            {
                Log.ObserverThrew(_logger, queueKey, exception);
            }
            return false;
        }
        return true;
    }

    private void Tell(string queueKey, Action tell)
    {
        try
        {
            tell();
        }
        catch (Exception exception)
        {
            Log.ObserverThrew(_logger, queueKey, exception);
        }
    }

    public void Remove(string queueKey)
    {
        ArgumentNullException.ThrowIfNull(queueKey);
        if (!_queues.TryRemove(queueKey, out var queue))
        {
            return;
        }
        var discarded = Retire(queue);
        foreach (var item in discarded)
        {
            Drop(item, DropReasons.Removed, wasPending: true);
        }
        if (discarded.Length > 0)
        {
            Log.QueueRemoved(_logger, queueKey, discarded.Length);
        }
    }

    /// <summary>
    /// Stops accepting notifications, lets the queues drain for at most <see cref="NotificationOptions.DrainTime"/>,
    /// then cancels what is in flight and drops (and counts) the rest.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken) => StopCoreAsync(_options.DrainTime, cancellationToken);

    public async ValueTask DisposeAsync() => await StopCoreAsync(TimeSpan.Zero, CancellationToken.None);

    private async Task StopCoreAsync(TimeSpan drainTime, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopStarted, 1) != 0)
        {
            await _stopped.Task.WaitAsync(cancellationToken);
            return;
        }
        try
        {
            Interlocked.Exchange(ref _closed, 1);
            if (Pending == 0)
            {
                _idle.TrySetResult();
            }
            var drained = await WaitIdleAsync(drainTime, cancellationToken);
            if (!drained)
            {
                var left = Pending;
                await _stopping.CancelAsync();
                foreach (var key in _queues.Keys)
                {
                    if (_queues.TryRemove(key, out var queue))
                    {
                        foreach (var item in Retire(queue))
                        {
                            Drop(item, DropReasons.ShuttingDown, wasPending: true);
                        }
                    }
                }
                Log.DrainIncomplete(_logger, left, drainTime.TotalMilliseconds);
                // In-flight attempts end at once on cancellation; wait briefly so their observers hear of it.
                if (!await WaitIdleAsync(TimeSpan.FromSeconds(1), CancellationToken.None))
                {
                    Log.WorkersStillRunning(_logger, Pending);
                }
            }
            Log.Stopped(_logger, Dropped);
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private async Task<bool> WaitIdleAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_idle.Task.IsCompleted)
        {
            return true;
        }
        if (timeout <= TimeSpan.Zero)
        {
            return false;
        }
        try
        {
            await _idle.Task.WaitAsync(timeout, _time, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static Item[] Retire(KeyQueue queue)
    {
        lock (queue.Gate)
        {
            queue.Retired = true;
            var items = queue.Items.ToArray();
            queue.Items.Clear();
            return items;
        }
    }

    private void StartWorker(KeyQueue queue)
    {
        // Workers are not part of the enqueuing request: do not carry its execution context (activity, scopes).
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(() => RunAsync(queue));
        }
    }

    private async Task RunAsync(KeyQueue queue)
    {
        while (true)
        {
            Item item;
            lock (queue.Gate)
            {
                if (!queue.Items.TryDequeue(out item))
                {
                    queue.Running = false;
                    queue.Overflowing = false;
                    // An idle queue leaves the map unless it must remember a cooldown; a later Enqueue makes a new one.
                    if (!queue.Retired && queue.CooldownUntil <= _time.GetUtcNow())
                    {
                        queue.Retired = true;
                        _queues.TryRemove(new KeyValuePair<string, KeyQueue>(queue.Key, queue));
                    }
                    return;
                }
            }
            try
            {
                await DeliverAsync(queue, item);
            }
            catch (Exception exception)
            {
                // DeliverAsync handles every expected failure; this keeps the queue alive after a bug.
                Log.DeliveryCrashed(_logger, queue.Key, exception);
                Complete(queue, item, DeliveryResult.Failed("Internal error while sending the notification.", retryable: false));
            }
        }
    }

    private async Task DeliverAsync(KeyQueue queue, Item item)
    {
        if (_stopping.IsCancellationRequested)
        {
            Drop(item, DropReasons.ShuttingDown, wasPending: true);
            return;
        }
        var now = _time.GetUtcNow();
        if (now < queue.CooldownUntil)
        {
            Complete(queue, item, DeliveryResult.Failed(
                $"cooldown: not sent, a notification failed less than {item.Notification.Cooldown.TotalMilliseconds:F0} ms ago", retryable: false));
            return;
        }
        NotificationMessage message;
        try
        {
            // Rendered here, not when queued: only the notifications that are attempted cost their rendering.
            message = item.Notification.Render();
        }
        catch (Exception exception)
        {
            Log.RenderFailed(_logger, queue.Key, exception);
            Complete(queue, item, DeliveryResult.Failed($"the notification could not be rendered: {exception.Message}", retryable: false));
            return;
        }
        var channel = FindChannel(message.Endpoint);
        var receiver = _receivers.GetOrAdd(ReceiverKey(message.Endpoint), static (_, limit) => new Receiver(limit), _options.MaxConnectionsPerServer);
        DeliveryResult result;
        if (channel is null)
        {
            result = DeliveryResult.Failed($"No notification channel sends to '{message.Endpoint.Scheme}' endpoints.", retryable: false);
        }
        else
        {
            var context = ResilienceContextPool.Shared.Get(_stopping.Token);
            try
            {
                context.Properties.Set(QueueKeyProperty, queue.Key);
                context.Properties.Set(EndpointProperty, message.Endpoint);
                var outcome = await _pipeline.ExecuteOutcomeAsync(
                    static async (ctx, state) =>
                    {
                        // Polly's outcome API wants failures as outcomes, not exceptions.
                        try
                        {
                            return Outcome.FromResult(await state.Self.AttemptAsync(state.Receiver, state.Channel, state.Message, ctx.CancellationToken));
                        }
                        catch (Exception exception)
                        {
                            return Outcome.FromException<DeliveryResult>(exception);
                        }
                    },
                    context,
                    (Self: this, Receiver: receiver, Channel: channel, Message: message));
                if (outcome.Exception is OperationCanceledException && _stopping.IsCancellationRequested)
                {
                    Drop(item, DropReasons.ShuttingDown, wasPending: true);
                    return;
                }
                outcome.ThrowIfException();
                result = outcome.Result;
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }
        if (!result.Success && message.Cooldown > TimeSpan.Zero)
        {
            queue.CooldownUntil = _time.GetUtcNow() + message.Cooldown;
        }
        if (result.Success)
        {
            receiver.Reachable();
        }
        else if (result.Retryable && receiver.Unreachable(_time.GetUtcNow(), _options.UnreachableBackoff, _options.MaxUnreachableBackoff, result.Error) is { } downFor)
        {
            // Every retry failed: until the back-off ends, this receiver's notifications fail without an attempt, so a
            // dead receiver costs no connection attempts (or their exceptions) per change.
            Log.ReceiverUnreachable(_logger, RedactedEndpoint(message.Endpoint), downFor.TotalMilliseconds, result.Error);
        }
        Complete(queue, item, result);
    }

    /// <summary>
    /// One attempt under the receiver's and the global concurrency limits and the message's timeout; none (a
    /// non-retryable failure) while the receiver is known to be unreachable.
    /// </summary>
    private async ValueTask<DeliveryResult> AttemptAsync(Receiver receiver, INotificationChannel channel, NotificationMessage message, CancellationToken cancellationToken)
    {
        if (receiver.IsDown(_time.GetUtcNow()) is { } down)
        {
            return down;
        }
        await receiver.Slots.WaitAsync(cancellationToken);
        var probe = false;
        try
        {
            // Checked again: the receiver may have been found unreachable while this attempt waited for a slot.
            if (receiver.Enter(_time.GetUtcNow(), out probe) is { } stillDown)
            {
                return stillDown;
            }
            var result = await AttemptUnderGlobalLimitAsync(channel, message, cancellationToken);
            if (probe)
            {
                probe = false;
                if (receiver.ProbeDone(result, _time.GetUtcNow(), _options.UnreachableBackoff, _options.MaxUnreachableBackoff) is { } downFor)
                {
                    Log.ReceiverUnreachable(_logger, RedactedEndpoint(message.Endpoint), downFor.TotalMilliseconds, result.Error);
                }
            }
            return result;
        }
        finally
        {
            if (probe)
            {
                receiver.ProbeAbandoned();
            }
            receiver.Slots.Release();
        }
    }

    private static string ReceiverKey(Uri endpoint) =>
        endpoint.IsAbsoluteUri ? endpoint.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped) : "";

    private async ValueTask<DeliveryResult> AttemptUnderGlobalLimitAsync(INotificationChannel channel, NotificationMessage message, CancellationToken cancellationToken)
    {
        await _sendSlots.WaitAsync(cancellationToken);
        try
        {
            var timeout = message.Timeout > TimeSpan.Zero ? message.Timeout : _options.Timeout;
            using var timeoutSource = new CancellationTokenSource(timeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
            try
            {
                // WaitAsync: a channel that ignores its token still cannot hold the queue past the timeout.
                return await channel.SendAsync(message, linked.Token).WaitAsync(linked.Token);
            }
            catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return DeliveryResult.Failed($"timed out after {timeout.TotalMilliseconds:F0} ms", retryable: true);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                Log.ChannelThrew(_logger, RedactedEndpoint(message.Endpoint), exception);
                return DeliveryResult.Failed($"{exception.GetType().Name}: {exception.Message}", retryable: false);
            }
        }
        finally
        {
            _sendSlots.Release();
        }
    }

    private ResiliencePipeline<DeliveryResult> BuildPipeline()
    {
        if (_options.MaxAttempts <= 1)
        {
            return ResiliencePipeline<DeliveryResult>.Empty;
        }
        return new ResiliencePipelineBuilder<DeliveryResult> { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions<DeliveryResult>
            {
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Result is { Success: false, Retryable: true }),
                MaxRetryAttempts = _options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.InitialBackoff,
                MaxDelay = _options.MaxBackoff,
                OnRetry = args =>
                {
                    var endpoint = args.Context.Properties.GetValue(EndpointProperty, null!);
                    Log.Retrying(_logger, args.Context.Properties.GetValue(QueueKeyProperty, ""), RedactedEndpoint(endpoint),
                        args.AttemptNumber + 2, args.Outcome.Result.Error, args.RetryDelay.TotalMilliseconds);
                    _instruments.Retried(endpoint?.Scheme ?? "");
                    return default;
                },
            })
            .Build();
    }

    private INotificationChannel? FindChannel(Uri endpoint)
    {
        foreach (var channel in _channels)
        {
            if (channel.Supports(endpoint))
            {
                return channel;
            }
        }
        return null;
    }

    private void Complete(KeyQueue queue, Item item, DeliveryResult result)
    {
        var scheme = item.Notification.Endpoint.Scheme;
        if (result.Success)
        {
            _instruments.Sent(scheme);
            if (queue.Failing)
            {
                queue.Failing = false;
                Log.Recovered(_logger, queue.Key, RedactedEndpoint(item.Notification.Endpoint));
            }
        }
        else
        {
            _instruments.Failed(scheme);
            if (!queue.Failing)
            {
                queue.Failing = true;
                Log.Failing(_logger, queue.Key, RedactedEndpoint(item.Notification.Endpoint), result.Error);
            }
            else
            {
                Log.Failed(_logger, queue.Key, result.Error);
            }
        }
        try
        {
            item.Observer.Completed(result, _time.GetUtcNow());
        }
        catch (Exception exception)
        {
            Log.ObserverThrew(_logger, queue.Key, exception);
        }
        finally
        {
            DecrementPending();
        }
    }

    private void Drop(Item item, string reason, bool wasPending)
    {
        Interlocked.Increment(ref _dropped);
        _instruments.Dropped(reason);
        try
        {
            item.Observer.Dropped(reason);
        }
        catch (Exception exception)
        {
            Log.ObserverThrew(_logger, "", exception);
        }
        finally
        {
            if (wasPending)
            {
                DecrementPending();
            }
        }
    }

    private void DecrementPending()
    {
        if (Interlocked.Decrement(ref _pending) == 0 && IsClosed)
        {
            _idle.TrySetResult();
        }
    }

    /// <summary>The endpoint for logs: no user info (MQTT passwords), no query.</summary>
    internal static string RedactedEndpoint(Uri? endpoint) =>
        endpoint is null ? "" :
        endpoint.IsAbsoluteUri ? endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped) : "";

    /// <summary>Why a notification was dropped without an attempt (metric tag, observer reason).</summary>
    internal static class DropReasons
    {
        public const string QueueFull = "queue full";
        public const string Removed = "subscription removed";
        public const string ShuttingDown = "shutting down";
    }

    // A struct: a slow receiver's queue holds up to QueueCapacity of these, each one object less for the GC to promote.
    private readonly record struct Item(IDeferredNotification Notification, IDeliveryObserver Observer);

    /// <summary>
    /// One receiver (scheme, host and port): its send slots, and its back-off while unreachable — set when a
    /// notification failed all its retries with a retryable error, doubled each time it fails again after the
    /// back-off, cleared by the next success. When a back-off ends, one attempt (the probe) goes through while the
    /// others keep failing without an attempt, so a dead receiver costs one connection attempt per back-off, not one
    /// per queued notification.
    /// </summary>
    private sealed class Receiver(int slots)
    {
        private readonly Lock _gate = new();
        private DateTimeOffset _downUntil = DateTimeOffset.MinValue;
        private TimeSpan _downFor;
        private bool _probing;
        // The failure reported without an attempt; made once per back-off, not once per notification.
        private DeliveryResult _down;

        public SemaphoreSlim Slots { get; } = new(slots, slots);

        /// <summary>The failure to report without an attempt (back-off running, or its probe in flight), else null.</summary>
        public DeliveryResult? IsDown(DateTimeOffset now)
        {
            lock (_gate)
            {
                return _downFor != TimeSpan.Zero && (now < _downUntil || _probing) ? _down : null;
            }
        }

        /// <summary>
        /// Before an attempt: null to go ahead — <paramref name="probe"/> tells whether it is the probe of an ended
        /// back-off, which must be finished with <see cref="ProbeDone"/> — or the failure to report instead.
        /// </summary>
        public DeliveryResult? Enter(DateTimeOffset now, out bool probe)
        {
            lock (_gate)
            {
                probe = false;
                if (_downFor == TimeSpan.Zero)
                {
                    return null;
                }
                if (now < _downUntil || _probing)
                {
                    return _down;
                }
                _probing = true;
                probe = true;
                return null;
            }
        }

        /// <summary>
        /// The probe's outcome: an answer (success, or a failure not worth retrying such as a 4xx) ends the back-off;
        /// a retryable failure starts the next, longer one, whose length is returned.
        /// </summary>
        public TimeSpan? ProbeDone(DeliveryResult result, DateTimeOffset now, TimeSpan initial, TimeSpan max)
        {
            lock (_gate)
            {
                _probing = false;
                if (!result.Retryable)
                {
                    _downFor = TimeSpan.Zero;
                    _downUntil = DateTimeOffset.MinValue;
                    return null;
                }
            }
            return Unreachable(now, initial, max, result.Error);
        }

        /// <summary>The probe ended without an outcome (cancelled): the next attempt probes again.</summary>
        public void ProbeAbandoned()
        {
            lock (_gate)
            {
                _probing = false;
            }
        }

        public void Reachable()
        {
            lock (_gate)
            {
                _downFor = TimeSpan.Zero;
                _downUntil = DateTimeOffset.MinValue;
            }
        }

        /// <summary>Starts or lengthens the back-off; returns its length, or null when one is already running.</summary>
        public TimeSpan? Unreachable(DateTimeOffset now, TimeSpan initial, TimeSpan max, string? error)
        {
            lock (_gate)
            {
                if (now < _downUntil)
                {
                    return null;
                }
                _downFor = _downFor == TimeSpan.Zero ? initial : TimeSpan.FromTicks(Math.Min(max.Ticks, _downFor.Ticks * 2));
                _downUntil = now + _downFor;
                _down = DeliveryResult.Failed(
                    $"receiver unreachable, not attempted until {_downUntil:HH:mm:ss.fff}Z (last error: {error})", retryable: false);
                return _downFor;
            }
        }
    }

    /// <summary>The queue of one key. Fields other than the cooldown and failing flags are guarded by <see cref="Gate"/>.</summary>
    private sealed class KeyQueue(string key)
    {
        public string Key { get; } = key;

        public Lock Gate { get; } = new();

        public Queue<Item> Items { get; } = new();

        /// <summary>A worker serves the queue now.</summary>
        public bool Running { get; set; }

        /// <summary>The queue left the map (idle or removed); Enqueue must not use it any more.</summary>
        public bool Retired { get; set; }

        /// <summary>The queue dropped since it was last empty (logged once per episode).</summary>
        public bool Overflowing { get; set; }

        // Read and written by the one worker of the queue (hand-over is ordered by the Gate lock).
        public DateTimeOffset CooldownUntil { get; set; } = DateTimeOffset.MinValue;

        public bool Failing { get; set; }
    }
}
