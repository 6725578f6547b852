using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.JsonLd.Tests.TestSupport;

/// <summary>A real Kestrel server on 127.0.0.1:0 that serves context documents and counts requests per path.</summary>
internal sealed class ContextServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Func<HttpContext, Task>> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _hits = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    private ContextServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; private set; }

    public static async Task<ContextServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new ContextServer(app, "");
        app.Run(server.HandleAsync);
        await app.StartAsync().WaitAsync(TestDeadline.Default);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.BaseUrl = address.TrimEnd('/');
        return server;
    }

    public string Url(string path) => BaseUrl + path;

    public int Hits(string path) => _hits.GetValueOrDefault(path);

    /// <summary>Serves <paramref name="body"/> at <paramref name="path"/> with the given status.</summary>
    public void Serve(string path, string body, int status = StatusCodes.Status200OK, string contentType = "application/ld+json") =>
        _routes[path] = async context =>
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = contentType;
            await context.Response.WriteAsync(body, context.RequestAborted);
        };

    /// <summary>Redirects <paramref name="path"/> to <paramref name="location"/>.</summary>
    public void Redirect(string path, string location) =>
        _routes[path] = context =>
        {
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers.Location = location;
            return Task.CompletedTask;
        };

    /// <summary>Answers at <paramref name="path"/> only once <paramref name="release"/> completes.</summary>
    public void ServeAfter(string path, Task release, string body) =>
        _routes[path] = async context =>
        {
            await release.WaitAsync(context.RequestAborted);
            context.Response.ContentType = "application/ld+json";
            await context.Response.WriteAsync(body, context.RequestAborted);
        };

    /// <summary>Never answers at <paramref name="path"/> (until the client gives up or the server stops).</summary>
    public void Hang(string path) =>
        _routes[path] = async context =>
        {
            using var both = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            try
            {
                await Task.Delay(Timeout.Infinite, both.Token);
            }
            catch (OperationCanceledException)
            {
                // The client gave up, as the test intends.
            }
        };

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync().WaitAsync(TestDeadline.Default);
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        _hits.AddOrUpdate(path, 1, (_, n) => n + 1);
        if (_routes.TryGetValue(path, out var handler))
        {
            await handler(context);
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
        }
    }
}
