using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Broker.Tests.Distribution;

/// <summary>One request a <see cref="FakeContextSource"/> received.</summary>
public sealed record ReceivedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// A tiny Kestrel on 127.0.0.1:0 that plays a context source: it records every request and answers with the
/// handler the test gives (garbage, a hang, a fixed body). Hanging handlers are released when it is disposed.
/// </summary>
public sealed class FakeContextSource : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();

    private FakeContextSource(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Cancelled when the source is disposed, so that handlers that hang can end.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public static async Task<FakeContextSource> StartAsync(Func<HttpContext, FakeContextSource, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var source = new FakeContextSource(app);
        app.Run(async http =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync(http.RequestAborted);
            source.Requests.Enqueue(new ReceivedRequest(http.Request.Method, http.Request.Path + http.Request.QueryString,
                http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body));
            await handler(http, source);
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await app.StartAsync(cts.Token);
        source.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return source;
    }

    /// <summary>A source that answers every request with the given status, content type and body.</summary>
    public static Task<FakeContextSource> AnsweringAsync(int status, string body, string contentType = "application/json") =>
        StartAsync(async (http, _) =>
        {
            http.Response.StatusCode = status;
            http.Response.ContentType = contentType;
            await http.Response.WriteAsync(body);
        });

    /// <summary>A source that accepts requests and never answers (until it is disposed).</summary>
    public static Task<FakeContextSource> HangingAsync() =>
        StartAsync(async (http, source) =>
        {
            using var released = CancellationTokenSource.CreateLinkedTokenSource(source.Stopping, http.RequestAborted);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, released.Token);
            }
            catch (OperationCanceledException)
            {
                // Released: the test ended or the broker gave up.
            }
        });

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}
