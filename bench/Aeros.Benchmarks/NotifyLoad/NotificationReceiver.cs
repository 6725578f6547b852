using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Aeros.Benchmarks.NotifyLoad;

/// <summary>
/// The subscribers of <c>notify-load</c>: a slim Kestrel app on a loopback port, in the driver's process.
/// <c>POST /notify</c> records when each notified write (the <c>op</c> number in the keyValues body) arrived;
/// <c>POST /slow</c> answers after a delay, like an overloaded receiver.
/// </summary>
internal sealed class NotificationReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private long[] arrivals = [];
    private long received;
    private long unparsable;

    private NotificationReceiver(WebApplication app, Uri baseAddress)
    {
        this.app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>How long <c>/slow</c> waits before answering.</summary>
    public static TimeSpan SlowDelay { get; } = TimeSpan.FromSeconds(2);

    /// <summary>Notifications received on <c>/notify</c> since start.</summary>
    public long Received => Interlocked.Read(ref received);

    /// <summary>Bodies that did not carry an <c>op</c> number.</summary>
    public long Unparsable => Interlocked.Read(ref unparsable);

    /// <summary>Starts recording arrivals for writes numbered below <paramref name="operations"/> (0 = not recorded).</summary>
    public void Track(int operations) => arrivals = new long[operations];

    /// <summary>When the notification of write <paramref name="op"/> arrived (Stopwatch timestamp), or 0.</summary>
    public long ArrivalOf(long op) => op < arrivals.Length ? Volatile.Read(ref arrivals[op]) : 0;

    public static async Task<NotificationReceiver> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        NotificationReceiver? self = null;
        app.MapPost("/notify", async (HttpContext http) =>
        {
            var body = await ReadAsync(http.Request);
            self!.Record(body);
            return Results.NoContent();
        });
        app.MapPost("/slow", async (HttpContext http) =>
        {
            await ReadAsync(http.Request);
            await Task.Delay(SlowDelay, http.RequestAborted);
            return Results.NoContent();
        });
        await app.StartAsync(cancellationToken);
        var address = app.Urls.Select(u => new Uri(u)).First();
        self = new NotificationReceiver(app, new Uri($"http://127.0.0.1:{address.Port}/"));
        return self;
    }

    private static async Task<byte[]> ReadAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        return buffer.ToArray();
    }

    private void Record(byte[] body)
    {
        var now = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref received);
        var op = FindOp(body);
        if (op < 0)
        {
            Interlocked.Increment(ref unparsable);
            return;
        }
        var known = arrivals;
        if (op < known.Length)
        {
            Interlocked.CompareExchange(ref known[op], now, 0);
        }
    }

    /// <summary>The first number named <c>op</c> in the body (the keyValues rendering of the written attribute), or -1.</summary>
    private static long FindOp(byte[] body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("op"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var op))
                    {
                        return op;
                    }
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        continue; // normalized: {"type": "Property", "value": n} — keep reading for "value"
                    }
                }
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("value"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value))
                    {
                        return value;
                    }
                }
            }
        }
        catch (JsonException)
        {
        }
        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync(CancellationToken.None);
        await app.DisposeAsync();
    }
}
