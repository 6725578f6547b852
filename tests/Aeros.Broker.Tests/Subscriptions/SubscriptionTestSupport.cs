using Aeros.Broker.Postgres;
using Aeros.Testing;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Aeros.Broker.Notifications;
using Aeros.Broker.Subscriptions;
using Aeros.Broker.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Aeros.Broker.Tests.Subscriptions;

/// <summary>A dispatcher that records what it is given; tests complete deliveries by hand.</summary>
internal sealed class FakeDispatcher : INotificationDispatcher
{
    private readonly Lock _gate = new();
    private readonly List<(string Key, NotificationMessage Message, IDeliveryObserver Observer)> _queued = [];
    private readonly List<string> _removed = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When set, the next enqueues are refused (queue full) and the observer is told.</summary>
    public bool Full { get; set; }

    public long Pending => 0;

    public long Dropped { get; private set; }

    /// <summary>When set, Enqueue waits for it (a stalled matching thread, to fill the change queue).</summary>
    public ManualResetEventSlim? Gate { get; set; }

    /// <summary>Admits everything: the tests exercise refusals through <see cref="Full"/> in Enqueue.</summary>
    public bool TryAdmit(string queueKey, Uri endpoint, IDeliveryObserver observer) => true;

    /// <summary>Renders at once (on the matching thread), so tests see the body the real dispatcher would send.</summary>
    public bool Enqueue(string queueKey, IDeferredNotification notification, IDeliveryObserver observer)
    {
        var message = notification.Render();
        Gate?.Wait(TimeSpan.FromSeconds(30));
        if (Full)
        {
            Dropped++;
            observer.Dropped("queue full");
            return false;
        }
        lock (_gate)
        {
            _queued.Add((queueKey, message, observer));
            _changed.TrySetResult();
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        return true;
    }

    public void Remove(string queueKey)
    {
        lock (_gate)
        {
            _removed.Add(queueKey);
        }
    }

    public IReadOnlyList<string> Removed
    {
        get
        {
            lock (_gate)
            {
                return [.. _removed];
            }
        }
    }

    public IReadOnlyList<(string Key, NotificationMessage Message, IDeliveryObserver Observer)> Queued
    {
        get
        {
            lock (_gate)
            {
                return [.. _queued];
            }
        }
    }

    /// <summary>The notifications of one subscription (parsed bodies), in order.</summary>
    public IReadOnlyList<JsonObject> For(string subscriptionId) =>
        [.. Queued.Where(q => q.Key.EndsWith("\n" + subscriptionId, StringComparison.Ordinal)).Select(q => JsonNode.Parse(q.Message.Body.Span)!.AsObject())];

    /// <summary>Waits until the subscription has at least <paramref name="count"/> notifications.</summary>
    public async Task<IReadOnlyList<JsonObject>> WaitForAsync(string subscriptionId, int count, TimeSpan? deadline = null)
    {
        var limit = deadline ?? TimeSpan.FromSeconds(10);
        using var cts = new CancellationTokenSource(limit);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }
            var found = For(subscriptionId);
            if (found.Count >= count)
            {
                return found;
            }
            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Subscription {subscriptionId} got {found.Count} notifications, expected {count} within {limit.TotalSeconds} s.");
            }
        }
    }
}

/// <summary>
/// A broker on Kestrel at 127.0.0.1 with a fake dispatcher (and optionally a fake clock), restartable on the same
/// data directory.
/// </summary>
internal sealed class SubscriptionHost : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private WebApplication? _app;
    private readonly bool _ownsDirectory;

    private SubscriptionHost(string dataDirectory, bool ownsDirectory, FakeTimeProvider? clock, bool realDispatcher = false)
    {
        RealDispatcher = realDispatcher;
        DataDirectory = dataDirectory;
        _ownsDirectory = ownsDirectory;
        Clock = clock;
    }

    public string DataDirectory { get; }

    public FakeTimeProvider? Clock { get; }

    public FakeDispatcher Dispatcher { get; } = new();

    /// <summary>Whether the delivery module's dispatcher is used instead of <see cref="Dispatcher"/>.</summary>
    public bool RealDispatcher { get; }

    public HttpClient Client { get; private set; } = null!;

    public IServiceProvider Services => _app!.Services;

    public SubscriptionNotifier Notifier => Services.GetRequiredService<SubscriptionNotifier>();

    /// <summary>Changes to the subscription options (after the test defaults).</summary>
    public Action<SubscriptionOptions>? ConfigureSubscriptions { get; private init; }

    public static async Task<SubscriptionHost> StartAsync(FakeTimeProvider? clock = null, string? dataDirectory = null, bool realDispatcher = false,
        Action<SubscriptionOptions>? configure = null)
    {
        var host = new SubscriptionHost(dataDirectory ?? Path.Combine(Path.GetTempPath(), "aeros-subs-" + Guid.NewGuid().ToString("N")), dataDirectory is null, clock, realDispatcher)
        {
            ConfigureSubscriptions = configure,
        };
        await host.StartAppAsync();
        return host;
    }

    private async Task StartAppAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (!RealDispatcher)
        {
            builder.Services.AddSingleton<INotificationDispatcher>(Dispatcher);
        }
        if (Clock is not null)
        {
            builder.Services.AddSingleton<TimeProvider>(Clock);
        }
        builder.Services.Configure<SubscriptionOptions>(o =>
        {
            o.StatsFlushInterval = TimeSpan.FromMilliseconds(200);
            ConfigureSubscriptions?.Invoke(o);
        });
        builder.Services.AddAerosBroker(o =>
        {
            o.DataDirectory = DataDirectory;
            TestStore.Apply(o);
        });
        builder.Services.AddAerosPostgresStore();
        _app = builder.Build();
        _app.MapAerosBroker();
        using var cts = new CancellationTokenSource(Deadline);
        await _app.StartAsync(cts.Token);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Client = new HttpClient { BaseAddress = new Uri(address), Timeout = Deadline };
    }

    /// <summary>Stops the host (flushing what it keeps in memory) and starts a new one on the same data.</summary>
    public async Task<SubscriptionHost> RestartAsync()
    {
        await StopAppAsync();
        var next = new SubscriptionHost(DataDirectory, _ownsDirectory, Clock, RealDispatcher) { ConfigureSubscriptions = ConfigureSubscriptions };
        await next.StartAppAsync();
        return next;
    }

    private async Task StopAppAsync()
    {
        Client?.Dispose();
        if (_app is not null)
        {
            using var cts = new CancellationTokenSource(Deadline);
            await _app.StopAsync(cts.Token);
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAppAsync();
        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json = null, string? link = null,
        string? accept = null, string? tenant = null, string contentType = "application/json")
    {
        using var request = Ngsi.Request(method, path, json is null ? null : Ngsi.Json(json, contentType), link, accept, tenant);
        return await Client.SendAsync(request).WaitAsync(Deadline);
    }

    /// <summary>Creates a subscription and returns its id (asserting 201).</summary>
    public async Task<string> SubscribeAsync(string json, string? link = null, string? tenant = null)
    {
        using var response = await SendAsync(HttpMethod.Post, "/subscriptions", json, link, tenant: tenant);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"subscribe: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response.Headers.Location!.OriginalString["/ngsi-ld/v1/subscriptions/".Length..];
    }

    public async Task WriteEntityAsync(HttpMethod method, string path, string json, HttpStatusCode expected, string? link = null, string? tenant = null)
    {
        using var response = await SendAsync(method, path, json, link, tenant: tenant);
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async Task DeleteAsync(string path, string? tenant = null)
    {
        using var response = await SendAsync(HttpMethod.Delete, path, tenant: tenant);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"DELETE {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Waits until the matching loop has processed <paramref name="count"/> changes in total.</summary>
    public async Task WaitProcessedAsync(long count)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (Notifier.ProcessedChanges < count)
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new TimeoutException($"Only {Notifier.ProcessedChanges} of {count} changes were matched within 10 s.");
            }
            await Task.Delay(5);
        }
    }

    /// <summary>Waits until the notifier has handed <paramref name="count"/> notifications to the dispatcher in total.</summary>
    public async Task WaitQueuedAsync(long count, TimeSpan deadline)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (Notifier.Queued < count)
        {
            if (watch.Elapsed > deadline)
            {
                throw new TimeoutException($"Only {Notifier.Queued} of {count} notifications were queued within {deadline.TotalSeconds} s.");
            }
            await Task.Delay(5);
        }
    }

    public async Task<JsonObject> GetSubscriptionAsync(string id, string? link = null)
    {
        using var response = await SendAsync(HttpMethod.Get, "/subscriptions/" + id, link: link);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Ngsi.ReadJsonAsync(response))!.AsObject();
    }
}
