using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Testing;

/// <summary>An HTTP endpoint on 127.0.0.1 that records every JSON body POSTed to it (NGSI-LD notifications).</summary>
public sealed class NotificationListener : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<JsonObject> _received = Channel.CreateUnbounded<JsonObject>();

    private NotificationListener(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The URL to POST notifications to (<c>http://127.0.0.1:port/notify</c>).</summary>
    public Uri Url { get; }

    /// <summary>Starts a listener on a free port.</summary>
    public static async Task<NotificationListener> StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        NotificationListener? listener = null;
        app.MapPost("/notify", async (HttpContext http) =>
        {
            if (await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted) is JsonObject body)
            {
                listener!._received.Writer.TryWrite(body);
            }
            return Results.NoContent();
        });
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        listener = new NotificationListener(app, new Uri(new Uri(address), "/notify"));
        return listener;
    }

    /// <summary>The next notification whose body matches <paramref name="match"/>, waiting at most <paramref name="timeout"/>.</summary>
    public async Task<JsonObject> WaitForAsync(Func<JsonObject, bool> match, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(match);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var body = await _received.Reader.ReadAsync(cts.Token);
                if (match(body))
                {
                    return body;
                }
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"No matching notification arrived within {timeout}.");
        }
    }

    /// <summary>Takes a notification that has arrived already, if any (does not wait).</summary>
    public bool TryTake(out JsonObject body) => _received.Reader.TryRead(out body!);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }
}
