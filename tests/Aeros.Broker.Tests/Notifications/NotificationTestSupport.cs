using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Aeros.Broker.Notifications;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Broker.Tests.Notifications;

/// <summary>One request a <see cref="NotificationReceiver"/> got.</summary>
internal sealed record ReceivedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string? ContentType, string Body);

/// <summary>
/// A real HTTP receiver on Kestrel at 127.0.0.1:0 that records every request and answers with the status
/// <see cref="Respond"/> picks (default 204). It also counts how many requests are being handled at once.
/// </summary>
internal sealed class NotificationReceiver : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private WebApplication _app = null!;
    private int _inFlight;
    private int _maxInFlight;
    private int _count;

    private NotificationReceiver()
    {
    }

    /// <summary>
    /// Chooses the response of a request (its 0-based index over all requests): a status code, after waiting as
    /// long as the receiver should look slow. The token ends when the receiver stops or the client gives up.
    /// </summary>
    public Func<ReceivedRequest, int, CancellationToken, Task<int>> Respond { get; set; } = (_, _, _) => Task.FromResult(204);

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    public int Count => Volatile.Read(ref _count);

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public Uri Url(string path = "/notify") => new(BaseAddress, path);

    /// <summary>A response that never comes (until the client gives up or the receiver stops): a dead receiver.</summary>
    public static async Task<int> Hang(CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return 204;
    }

    public static async Task<NotificationReceiver> StartAsync(Func<ReceivedRequest, int, CancellationToken, Task<int>>? respond = null)
    {
        var receiver = new NotificationReceiver();
        if (respond is not null)
        {
            receiver.Respond = respond;
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        receiver._app = builder.Build();
        receiver._app.Run(receiver.HandleAsync);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await receiver._app.StartAsync(cts.Token);
        receiver.BaseAddress = new Uri(receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        try
        {
            int max;
            while (inFlight > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, inFlight, max) != max)
            {
            }
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var request = new ReceivedRequest(context.Request.Method, context.Request.Path, headers, context.Request.ContentType, body);
            _requests.Enqueue(request);
            var index = Interlocked.Increment(ref _count) - 1;
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            try
            {
                context.Response.StatusCode = await Respond(request, index, linked.Token);
            }
            catch (OperationCanceledException)
            {
                context.Abort();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public Task WaitForCountAsync(int count, TimeSpan timeout) =>
        Eventually.WaitUntilAsync(() => Count >= count, timeout, $"receiver to get {count} requests (got {Count})");

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}

/// <summary>Records what the dispatcher tells about one subscription's notifications.</summary>
internal sealed class RecordingObserver : IDeliveryObserver
{
    private readonly ConcurrentQueue<DeliveryResult> _results = new();
    private readonly ConcurrentQueue<string> _drops = new();

    public IReadOnlyList<DeliveryResult> Results => [.. _results];

    public IReadOnlyList<string> Drops => [.. _drops];

    public void Completed(DeliveryResult result, DateTimeOffset at) => _results.Enqueue(result);

    public void Dropped(string reason) => _drops.Enqueue(reason);

    public Task WaitForResultsAsync(int count, TimeSpan timeout) =>
        Eventually.WaitUntilAsync(() => _results.Count >= count, timeout, $"{count} completed notifications (got {_results.Count})");

    public Task WaitForOutcomesAsync(int count, TimeSpan timeout) =>
        Eventually.WaitUntilAsync(() => _results.Count + _drops.Count >= count, timeout,
            $"{count} completed or dropped notifications (got {_results.Count} completed, {_drops.Count} dropped)");
}

/// <summary>Waits for a condition with a deadline; the failure says which condition did not hold.</summary>
internal static class Eventually
{
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:F1} s waiting for {what}.");
            }
            await Task.Delay(10);
        }
    }
}

/// <summary>Builds messages and real dispatchers (with the real channels) for the tests.</summary>
internal static class Notify
{
    public const string Link = "<https://example.org/ctx.jsonld>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"";

    public static NotificationMessage Message(
        Uri endpoint,
        string body = """{"id":"urn:ngsi-ld:Notification:1","type":"Notification","data":[]}""",
        TimeSpan? timeout = null,
        TimeSpan? cooldown = null,
        IReadOnlyList<KeyValuePair<string, string>>? receiverInfo = null,
        IReadOnlyList<KeyValuePair<string, string>>? notifierInfo = null,
        string contentType = "application/json",
        string? link = Link,
        string tenant = "") =>
        new(endpoint, contentType, link, receiverInfo ?? [], notifierInfo ?? [], tenant, Encoding.UTF8.GetBytes(body),
            timeout ?? TimeSpan.FromSeconds(10), cooldown ?? TimeSpan.Zero);

    public static string Sequenced(int sequence) =>
        $$"""{"id":"urn:ngsi-ld:Notification:{{sequence}}","type":"Notification","seq":{{sequence}},"data":[]}""";

    /// <summary>A service provider with the notification module as the broker registers it.</summary>
    public static ServiceProvider Services(Action<NotificationOptions>? configure = null, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        if (time is not null)
        {
            services.AddSingleton(time);
        }
        services.AddAerosNotifications(configure);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public static NotificationDispatcher Dispatcher(this ServiceProvider services) => services.GetRequiredService<NotificationDispatcher>();
}

/// <summary>Sums the measurements of one meter factory's notification counters.</summary>
internal sealed class NotificationMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _totals = new(StringComparer.Ordinal);

    public NotificationMetrics(IServiceProvider services)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Other tests' dispatchers publish meters of the same name: listen only to this provider's.
            if (instrument.Meter.Name == NotificationInstruments.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
            _totals.AddOrUpdate(instrument.Name, value, (_, total) => total + value));
        _listener.Start();
    }

    public long Total(string instrument) => _totals.GetValueOrDefault(instrument);

    public long Observe(string instrument)
    {
        _totals.TryRemove(instrument, out _);
        _listener.RecordObservableInstruments();
        return _totals.GetValueOrDefault(instrument);
    }

    public void Dispose() => _listener.Dispose();
}
