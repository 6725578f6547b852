using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Aeros.Iam.Tests.TestSupport;

/// <summary>A loopback HTTP server that records each request's path and Authorization header and answers with <c>respond</c>.</summary>
internal sealed class RecordingServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RecordingServer(WebApplication app)
    {
        _app = app;
        BaseUrl = new Uri(app.Urls.First().TrimEnd('/') + "/");
    }

    public Uri BaseUrl { get; }

    /// <summary>(path, Authorization header or null) of every request, in arrival order.</summary>
    public ConcurrentQueue<(string Path, string? Authorization)> Requests { get; } = new();

    public static async Task<RecordingServer> StartAsync(Func<HttpContext, Task> respond)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        RecordingServer? server = null;
        app.Run(async http =>
        {
            server!.Requests.Enqueue((http.Request.Path + http.Request.QueryString, http.Request.Headers.Authorization.FirstOrDefault()));
            await respond(http);
        });
        try
        {
            await app.StartAsync().Within("starting a recording server");
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        server = new RecordingServer(app);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync().Within("stopping a recording server");
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }
}
