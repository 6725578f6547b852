using System.Diagnostics;
using System.Text.Json.Nodes;
using Aeros.Broker.Notifications;
using Microsoft.Extensions.Time.Testing;

namespace Aeros.Broker.Tests.Notifications;

public sealed class NotificationDispatcherTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static void FastRetries(NotificationOptions options)
    {
        options.InitialBackoff = TimeSpan.FromMilliseconds(20);
        options.MaxBackoff = TimeSpan.FromMilliseconds(100);
    }

    private static int Sequence(ReceivedRequest request) => JsonNode.Parse(request.Body)!["seq"]!.GetValue<int>();

    [Fact]
    public async Task Enqueue_ManyKeysInterleaved_EachKeyDeliveredInOrder()
    {
        await using var receiver = await NotificationReceiver.StartAsync();
        await using var services = Notify.Services();
        var dispatcher = services.Dispatcher();
        const int Keys = 5;
        const int PerKey = 100;
        var observers = Enumerable.Range(0, Keys).Select(_ => new RecordingObserver()).ToArray();

        for (var i = 0; i < PerKey; i++)
        {
            for (var k = 0; k < Keys; k++)
            {
                Assert.True(dispatcher.Enqueue($"key{k}", Notify.Message(receiver.Url($"/k{k}"), Notify.Sequenced(i)), observers[k]));
            }
        }

        foreach (var observer in observers)
        {
            await observer.WaitForResultsAsync(PerKey, Deadline);
            Assert.All(observer.Results, r => Assert.True(r.Success, r.Error));
        }
        for (var k = 0; k < Keys; k++)
        {
            var sequences = receiver.Requests.Where(r => r.Path == $"/k{k}").Select(Sequence).ToArray();
            Assert.Equal(Enumerable.Range(0, PerKey), sequences);
        }
        Assert.Equal(0, dispatcher.Pending);
        Assert.Equal(0, dispatcher.Dropped);
    }

    [Fact]
    public async Task Enqueue_10000ToDeadReceiver_ReturnsFastAndCountsOverflowAsDropped()
    {
        await using var receiver = await NotificationReceiver.StartAsync((_, _, ct) => NotificationReceiver.Hang(ct));
        await using var services = Notify.Services();
        using var metrics = new NotificationMetrics(services);
        var dispatcher = services.Dispatcher();
        var observer = new RecordingObserver();
        var endpoint = receiver.Url();
        var messages = Enumerable.Range(0, 10_000).Select(i => Notify.Message(endpoint, Notify.Sequenced(i))).ToArray();

        // The first one is taken by the worker and hangs at the receiver, so the queue behind it is exactly what fills.
        Assert.True(dispatcher.Enqueue("dead", messages[0], observer));
        await receiver.WaitForCountAsync(1, TimeSpan.FromSeconds(10));

        var clock = Stopwatch.StartNew();
        var accepted = 1;
        foreach (var message in messages.Skip(1))
        {
            if (dispatcher.Enqueue("dead", message, observer))
            {
                accepted++;
            }
        }
        clock.Stop();

        // A bound, not a performance claim: Enqueue must never wait for the receiver.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"Enqueue of 10,000 took {clock.Elapsed.TotalMilliseconds:F0} ms");
        // The default capacity is 1,000 queued, behind the one in flight.
        Assert.Equal(NotificationOptions.DefaultQueueCapacity + 1, accepted);
        var dropped = 10_000 - accepted;
        Assert.Equal(dropped, dispatcher.Dropped);
        Assert.Equal(dropped, observer.Drops.Count);
        Assert.All(observer.Drops, reason => Assert.Equal("queue full", reason));
        Assert.Equal(dropped, metrics.Total("aeros.notifications.dropped"));
        Assert.Equal(accepted, dispatcher.Pending);
        Assert.Equal(accepted, metrics.Observe("aeros.notifications.queued"));
        Assert.Empty(observer.Results);

        // Admission refuses the next one before it is rendered, and counts it the same way.
        Assert.False(dispatcher.TryAdmit("dead", endpoint, observer));
        Assert.Equal(dropped + 1, dispatcher.Dropped);
        Assert.Equal(dropped + 1, observer.Drops.Count);
        Assert.True(dispatcher.TryAdmit("another", endpoint, observer));
    }

    [Fact]
    public async Task Send_503Then200_SucceedsAfterRetries()
    {
        await using var receiver = await NotificationReceiver.StartAsync((_, index, _) => Task.FromResult(index < 2 ? 503 : 200));
        await using var services = Notify.Services(FastRetries);
        using var metrics = new NotificationMetrics(services);
        var observer = new RecordingObserver();

        Assert.True(services.Dispatcher().Enqueue("sub", Notify.Message(receiver.Url()), observer));

        await observer.WaitForResultsAsync(1, Deadline);
        var result = Assert.Single(observer.Results);
        Assert.True(result.Success, result.Error);
        Assert.Equal(3, receiver.Count);
        Assert.Equal(2, metrics.Total("aeros.notifications.retried"));
        Assert.Equal(1, metrics.Total("aeros.notifications.sent"));
        Assert.Equal(0, metrics.Total("aeros.notifications.failed"));
    }

    [Fact]
    public async Task Send_Always503_FailsRetryableAfterMaxAttempts()
    {
        await using var receiver = await NotificationReceiver.StartAsync((_, _, _) => Task.FromResult(503));
        await using var services = Notify.Services(options =>
        {
            FastRetries(options);
            options.MaxAttempts = 4;
        });
        using var metrics = new NotificationMetrics(services);
        var observer = new RecordingObserver();

        services.Dispatcher().Enqueue("sub", Notify.Message(receiver.Url()), observer);

        await observer.WaitForResultsAsync(1, Deadline);
        var result = Assert.Single(observer.Results);
        Assert.False(result.Success);
        Assert.True(result.Retryable);
        Assert.StartsWith("HTTP 503", result.Error);
        Assert.Equal(4, receiver.Count);
        Assert.Equal(1, metrics.Total("aeros.notifications.failed"));
    }

    [Fact]
    public async Task Send_400_IsNotRetried()
    {
        await using var receiver = await NotificationReceiver.StartAsync((_, _, _) => Task.FromResult(400));
        await using var services = Notify.Services(FastRetries);
        using var metrics = new NotificationMetrics(services);
        var observer = new RecordingObserver();

        services.Dispatcher().Enqueue("sub", Notify.Message(receiver.Url()), observer);

        await observer.WaitForResultsAsync(1, Deadline);
        var result = Assert.Single(observer.Results);
        Assert.False(result.Success);
        Assert.False(result.Retryable);
        Assert.StartsWith("HTTP 400", result.Error);
        Assert.Equal(1, receiver.Count);
        Assert.Equal(0, metrics.Total("aeros.notifications.retried"));
    }

    [Fact]
    public async Task Send_ReceiverSlowerThanTimeout_FailsWithTimeoutAfterEachAttempt()
    {
        await using var receiver = await NotificationReceiver.StartAsync((_, _, ct) => NotificationReceiver.Hang(ct));
        await using var services = Notify.Services(options =>
        {
            FastRetries(options);
            options.MaxAttempts = 2;
        });
        var observer = new RecordingObserver();
        var clock = Stopwatch.StartNew();

        services.Dispatcher().Enqueue("sub", Notify.Message(receiver.Url(), timeout: TimeSpan.FromMilliseconds(200)), observer);

        await observer.WaitForResultsAsync(1, Deadline);
        var result = Assert.Single(observer.Results);
        Assert.False(result.Success);
        Assert.True(result.Retryable);
        Assert.Equal("timed out after 200 ms", result.Error);
        Assert.Equal(2, receiver.Count);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(400), $"two 200 ms attempts ended after {clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task Send_EndpointWithoutTimeout_UsesDefaultTimeout()
    {
        await using var receiver = await NotificationReceiver.StartAsync((_, _, ct) => NotificationReceiver.Hang(ct));
        await using var services = Notify.Services(options =>
        {
            options.MaxAttempts = 1;
            options.Timeout = TimeSpan.FromMilliseconds(300);
        });
        var observer = new RecordingObserver();

        services.Dispatcher().Enqueue("sub", Notify.Message(receiver.Url(), timeout: TimeSpan.Zero), observer);

        await observer.WaitForResultsAsync(1, Deadline);
        Assert.Equal("timed out after 300 ms", Assert.Single(observer.Results).Error);
    }

    [Fact]
    public async Task Send_DuringCooldownAfterFailure_FailsWithoutAttemptUntilCooldownEnds()
    {
        var status = 500;
        await using var receiver = await NotificationReceiver.StartAsync((_, _, _) => Task.FromResult(Volatile.Read(ref status)));
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var services = Notify.Services(options => options.MaxAttempts = 1, time);
        var dispatcher = services.Dispatcher();
        var observer = new RecordingObserver();
        var cooldown = TimeSpan.FromSeconds(30);
        NotificationMessage Message() => Notify.Message(receiver.Url(), cooldown: cooldown);

        dispatcher.Enqueue("sub", Message(), observer);
        await observer.WaitForResultsAsync(1, Deadline);
        Volatile.Write(ref status, 204);
        dispatcher.Enqueue("sub", Message(), observer);
        dispatcher.Enqueue("sub", Message(), observer);
        await observer.WaitForResultsAsync(3, Deadline);

        Assert.Equal(1, receiver.Count);
        Assert.StartsWith("HTTP 500", observer.Results[0].Error);
        Assert.All(observer.Results.Skip(1), r =>
        {
            Assert.False(r.Success);
            Assert.StartsWith("cooldown", r.Error);
        });

        time.Advance(cooldown + TimeSpan.FromMilliseconds(1));
        dispatcher.Enqueue("sub", Message(), observer);
        await observer.WaitForResultsAsync(4, Deadline);
        Assert.True(observer.Results[3].Success, observer.Results[3].Error);
        Assert.Equal(2, receiver.Count);
    }

    [Fact]
    public async Task Send_ReceiverFailedEveryRetry_OtherSubscriptionsFailWithoutAttemptUntilBackoffEnds()
    {
        var status = 503;
        await using var receiver = await NotificationReceiver.StartAsync((_, _, _) => Task.FromResult(Volatile.Read(ref status)));
        await using var other = await NotificationReceiver.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var services = Notify.Services(options =>
        {
            options.MaxAttempts = 1;
            options.UnreachableBackoff = TimeSpan.FromSeconds(10);
        }, time);
        var dispatcher = services.Dispatcher();
        var observer = new RecordingObserver();

        dispatcher.Enqueue("a", Notify.Message(receiver.Url()), observer);
        await observer.WaitForResultsAsync(1, Deadline);
        for (var k = 0; k < 5; k++)
        {
            dispatcher.Enqueue($"b{k}", Notify.Message(receiver.Url("/other-path")), observer); // same receiver
        }
        dispatcher.Enqueue("c", Notify.Message(other.Url()), observer); // another receiver is not affected
        await observer.WaitForResultsAsync(7, Deadline);

        Assert.Equal(1, receiver.Count);
        Assert.Equal(5, observer.Results.Count(r => r.Error?.StartsWith("receiver unreachable", StringComparison.Ordinal) == true));
        Assert.Equal(1, observer.Results.Count(r => r.Success));

        // After the back-off one attempt is made again; it fails, so the next back-off is twice as long.
        time.Advance(TimeSpan.FromSeconds(10));
        dispatcher.Enqueue("a", Notify.Message(receiver.Url()), observer);
        await observer.WaitForResultsAsync(8, Deadline);
        Assert.Equal(2, receiver.Count);
        time.Advance(TimeSpan.FromSeconds(10));
        dispatcher.Enqueue("a", Notify.Message(receiver.Url()), observer);
        await observer.WaitForResultsAsync(9, Deadline);
        Assert.Equal(2, receiver.Count);

        // While it lasts, admission refuses (and counts as failed) the notifications of idle subscriptions unrendered.
        var refused = new RecordingObserver();
        Assert.False(dispatcher.TryAdmit("b1", receiver.Url(), refused));
        Assert.StartsWith("receiver unreachable", Assert.Single(refused.Results).Error);
        Assert.True(dispatcher.TryAdmit("c", other.Url(), refused));

        // A success ends it.
        Volatile.Write(ref status, 204);
        time.Advance(TimeSpan.FromSeconds(10));
        dispatcher.Enqueue("a", Notify.Message(receiver.Url()), observer);
        await observer.WaitForResultsAsync(10, Deadline);
        Assert.True(observer.Results[^1].Success, observer.Results[^1].Error);
        dispatcher.Enqueue("b0", Notify.Message(receiver.Url()), observer);
        await observer.WaitForResultsAsync(11, Deadline);
        Assert.Equal(4, receiver.Count);
        Assert.True(observer.Results[^1].Success, observer.Results[^1].Error);
    }

    [Fact]
    public async Task Send_BackoffEnded_OneProbeAttemptsWhileTheOthersFailWithoutAttempt()
    {
        var status = 503;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var receiver = await NotificationReceiver.StartAsync(async (_, _, ct) =>
        {
            var answer = Volatile.Read(ref status);
            if (answer == 204)
            {
                await release.Task.WaitAsync(ct); // the probe stays in flight until the test lets it answer
            }
            return answer;
        });
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var services = Notify.Services(options =>
        {
            options.MaxAttempts = 1;
            options.UnreachableBackoff = TimeSpan.FromSeconds(10);
        }, time);
        var dispatcher = services.Dispatcher();
        var observer = new RecordingObserver();
        dispatcher.Enqueue("a", Notify.Message(receiver.Url()), observer);
        await observer.WaitForResultsAsync(1, Deadline); // failed: the back-off starts

        Volatile.Write(ref status, 204);
        time.Advance(TimeSpan.FromSeconds(10));
        dispatcher.Enqueue("probe", Notify.Message(receiver.Url()), observer);
        await receiver.WaitForCountAsync(2, Deadline);
        for (var k = 0; k < 5; k++)
        {
            dispatcher.Enqueue($"other{k}", Notify.Message(receiver.Url()), observer);
        }
        await observer.WaitForResultsAsync(6, Deadline);
        Assert.All(observer.Results.Skip(1), r => Assert.StartsWith("receiver unreachable", r.Error));
        Assert.Equal(2, receiver.Count); // one connection for the probe, none for the others

        release.SetResult();
        await observer.WaitForResultsAsync(7, Deadline);
        Assert.True(observer.Results[^1].Success, observer.Results[^1].Error);
        dispatcher.Enqueue("other0", Notify.Message(receiver.Url()), observer);
        await observer.WaitForResultsAsync(8, Deadline);
        Assert.True(observer.Results[^1].Success, observer.Results[^1].Error); // the back-off is over
        Assert.Equal(3, receiver.Count);
    }

    [Fact]
    public async Task Enqueue_DeadKey_DoesNotDelayAnotherKey()
    {
        await using var dead = await NotificationReceiver.StartAsync((_, _, ct) => NotificationReceiver.Hang(ct));
        await using var live = await NotificationReceiver.StartAsync();
        await using var services = Notify.Services();
        var dispatcher = services.Dispatcher();
        var deadObserver = new RecordingObserver();
        var liveObserver = new RecordingObserver();

        for (var i = 0; i < 20; i++)
        {
            dispatcher.Enqueue("dead", Notify.Message(dead.Url(), timeout: TimeSpan.FromSeconds(60)), deadObserver);
        }
        await dead.WaitForCountAsync(1, Deadline);
        for (var i = 0; i < 50; i++)
        {
            dispatcher.Enqueue("live", Notify.Message(live.Url(), Notify.Sequenced(i)), liveObserver);
        }

        await liveObserver.WaitForResultsAsync(50, TimeSpan.FromSeconds(10));
        Assert.All(liveObserver.Results, r => Assert.True(r.Success, r.Error));
        Assert.Equal(Enumerable.Range(0, 50), live.Requests.Select(Sequence));
        Assert.Empty(deadObserver.Results);
        Assert.Equal(1, dead.Count);
    }

    [Fact]
    public async Task Send_ManyKeysOfAHangingReceiver_HoldOnlyItsSlotsAndOthersKeepFlowing()
    {
        await using var hanging = await NotificationReceiver.StartAsync((_, _, ct) => NotificationReceiver.Hang(ct));
        await using var live = await NotificationReceiver.StartAsync();
        await using var services = Notify.Services(options =>
        {
            options.MaxConcurrency = 4;
            options.MaxConnectionsPerServer = 2;
        });
        var dispatcher = services.Dispatcher();
        var hangingObserver = new RecordingObserver();
        var liveObserver = new RecordingObserver();

        // Twenty subscriptions of one hanging receiver: without a per-receiver limit they would take every global slot.
        for (var k = 0; k < 20; k++)
        {
            dispatcher.Enqueue($"hanging{k}", Notify.Message(hanging.Url(), timeout: TimeSpan.FromSeconds(60)), hangingObserver);
        }
        await hanging.WaitForCountAsync(2, Deadline);
        for (var k = 0; k < 10; k++)
        {
            dispatcher.Enqueue($"live{k}", Notify.Message(live.Url()), liveObserver);
        }

        await liveObserver.WaitForResultsAsync(10, TimeSpan.FromSeconds(10));
        Assert.All(liveObserver.Results, r => Assert.True(r.Success, r.Error));
        Assert.Equal(2, hanging.Count);
        Assert.Equal(2, hanging.MaxInFlight);
    }

    [Fact]
    public async Task Send_ManyKeys_ConcurrencyStaysWithinLimit()
    {
        await using var receiver = await NotificationReceiver.StartAsync(async (_, _, ct) =>
        {
            // A slow receiver, so that attempts of different keys overlap.
            await Task.Delay(50, ct);
            return 204;
        });
        await using var services = Notify.Services(options => options.MaxConcurrency = 2);
        var dispatcher = services.Dispatcher();
        var observer = new RecordingObserver();

        for (var i = 0; i < 3; i++)
        {
            for (var k = 0; k < 6; k++)
            {
                dispatcher.Enqueue($"key{k}", Notify.Message(receiver.Url()), observer);
            }
        }

        await observer.WaitForResultsAsync(18, Deadline);
        Assert.All(observer.Results, r => Assert.True(r.Success, r.Error));
        Assert.Equal(2, receiver.MaxInFlight);
    }

    [Fact]
    public async Task Remove_QueuedNotifications_AreDroppedAndKeyCanBeUsedAgain()
    {
        await using var receiver = await NotificationReceiver.StartAsync((_, _, ct) => NotificationReceiver.Hang(ct));
        await using var services = Notify.Services();
        var dispatcher = services.Dispatcher();
        var observer = new RecordingObserver();
        for (var i = 0; i < 5; i++)
        {
            dispatcher.Enqueue("sub", Notify.Message(receiver.Url(), timeout: TimeSpan.FromSeconds(60)), observer);
        }
        await receiver.WaitForCountAsync(1, Deadline);

        dispatcher.Remove("sub");

        Assert.Equal(["subscription removed", "subscription removed", "subscription removed", "subscription removed"], observer.Drops);
        Assert.Equal(4, dispatcher.Dropped);
        Assert.Equal(1, dispatcher.Pending);
        var again = new RecordingObserver();
        Assert.True(dispatcher.Enqueue("sub", Notify.Message(receiver.Url(), timeout: TimeSpan.FromSeconds(60)), again));
        await receiver.WaitForCountAsync(2, Deadline);
        dispatcher.Remove("unknown");
    }

    [Fact]
    public async Task EnqueueDeferred_RenderedOnlyWhenAttempted_DroppedAndFailedOnesNever()
    {
        await using var receiver = await NotificationReceiver.StartAsync((_, _, ct) => NotificationReceiver.Hang(ct));
        await using var services = Notify.Services();
        var dispatcher = services.Dispatcher();
        var observer = new RecordingObserver();
        var notifications = Enumerable.Range(0, 5).Select(i => new CountingNotification(Notify.Message(receiver.Url(), Notify.Sequenced(i), timeout: TimeSpan.FromSeconds(60)))).ToArray();

        foreach (var n in notifications)
        {
            Assert.True(dispatcher.Enqueue("sub", n, observer));
        }
        await receiver.WaitForCountAsync(1, Deadline);
        dispatcher.Remove("sub");

        // The first is in flight (rendered once); the four queued behind it were dropped without being rendered.
        Assert.Equal(1, notifications[0].Renders);
        Assert.All(notifications.Skip(1), n => Assert.Equal(0, n.Renders));
        Assert.Equal(4, observer.Drops.Count);
        Assert.Equal(0, Sequence(Assert.Single(receiver.Requests)));
    }

    [Fact]
    public async Task EnqueueDeferred_RenderThrows_CompletedAsFailureAndQueueGoesOn()
    {
        await using var receiver = await NotificationReceiver.StartAsync();
        await using var services = Notify.Services();
        var dispatcher = services.Dispatcher();
        var observer = new RecordingObserver();

        Assert.True(dispatcher.Enqueue("sub", new CountingNotification(Notify.Message(receiver.Url()), fail: true), observer));
        Assert.True(dispatcher.Enqueue("sub", Notify.Message(receiver.Url(), Notify.Sequenced(7)), observer));

        await observer.WaitForResultsAsync(2, Deadline);
        Assert.False(observer.Results[0].Success);
        Assert.False(observer.Results[0].Retryable);
        Assert.Contains("could not be rendered", observer.Results[0].Error, StringComparison.Ordinal);
        Assert.True(observer.Results[1].Success, observer.Results[1].Error);
        Assert.Equal(7, Sequence(Assert.Single(receiver.Requests)));
        Assert.Equal(0, dispatcher.Pending);
    }

    /// <summary>A deferred notification that counts its renderings (and can fail to render).</summary>
    private sealed class CountingNotification(NotificationMessage message, bool fail = false) : IDeferredNotification
    {
        private int _renders;

        public int Renders => Volatile.Read(ref _renders);

        public Uri Endpoint => message.Endpoint;

        public TimeSpan Cooldown => message.Cooldown;

        public NotificationMessage Render()
        {
            Interlocked.Increment(ref _renders);
            return fail ? throw new InvalidDataException("bad stored entity") : message;
        }
    }

    [Fact]
    public async Task Deliver_ThousandKeysIdle_KeepNoQueues()
    {
        await using var receiver = await NotificationReceiver.StartAsync();
        await using var services = Notify.Services();
        var dispatcher = services.Dispatcher();
        var observer = new RecordingObserver();

        for (var k = 0; k < 1000; k++)
        {
            dispatcher.Enqueue($"sub{k}", Notify.Message(receiver.Url()), observer);
        }

        await observer.WaitForResultsAsync(1000, Deadline);
        await Eventually.WaitUntilAsync(() => dispatcher.QueueCount == 0, Deadline, $"idle queues to retire ({dispatcher.QueueCount} left)");
        Assert.Equal(0, dispatcher.Pending);
    }

    [Fact]
    public async Task StopAsync_DrainsWhatItCanThenDropsTheRest()
    {
        await using var slow = await NotificationReceiver.StartAsync(async (_, _, ct) =>
        {
            await Task.Delay(20, ct);
            return 204;
        });
        await using var dead = await NotificationReceiver.StartAsync((_, _, ct) => NotificationReceiver.Hang(ct));
        // A drain time well above what the ten 20 ms notifications need even on a loaded CI machine.
        await using var services = Notify.Services(options => options.DrainTime = TimeSpan.FromSeconds(3));
        var dispatcher = services.Dispatcher();
        var slowObserver = new RecordingObserver();
        var deadObserver = new RecordingObserver();
        for (var i = 0; i < 10; i++)
        {
            dispatcher.Enqueue("slow", Notify.Message(slow.Url()), slowObserver);
        }
        for (var i = 0; i < 5; i++)
        {
            dispatcher.Enqueue("dead", Notify.Message(dead.Url(), timeout: TimeSpan.FromSeconds(60)), deadObserver);
        }
        await dead.WaitForCountAsync(1, Deadline);

        var clock = Stopwatch.StartNew();
        await dispatcher.StopAsync(CancellationToken.None).WaitAsync(Deadline);
        clock.Stop();

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2.9), TimeSpan.FromSeconds(10));
        Assert.Equal(10, slowObserver.Results.Count);
        Assert.All(slowObserver.Results, r => Assert.True(r.Success, r.Error));
        Assert.Empty(deadObserver.Results);
        Assert.Equal(Enumerable.Repeat("shutting down", 5), deadObserver.Drops);
        Assert.Equal(0, dispatcher.Pending);
        Assert.Equal(5, dispatcher.Dropped);

        var late = new RecordingObserver();
        Assert.False(dispatcher.Enqueue("slow", Notify.Message(slow.Url()), late));
        Assert.Equal(["shutting down"], late.Drops);
    }

    [Fact]
    public async Task StopAsync_NothingInFlight_ReturnsAtOnce()
    {
        await using var services = Notify.Services();
        var clock = Stopwatch.StartNew();

        await services.Dispatcher().StopAsync(CancellationToken.None).WaitAsync(Deadline);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"stop took {clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task Send_UnsupportedScheme_FailsWithoutRetry()
    {
        await using var services = Notify.Services(FastRetries);
        var observer = new RecordingObserver();

        services.Dispatcher().Enqueue("sub", Notify.Message(new Uri("ftp://127.0.0.1/x")), observer);

        await observer.WaitForResultsAsync(1, Deadline);
        var result = Assert.Single(observer.Results);
        Assert.False(result.Retryable);
        Assert.Contains("'ftp'", result.Error);
    }
}
