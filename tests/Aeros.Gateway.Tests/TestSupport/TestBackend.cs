using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Gateway.Tests.TestSupport;

/// <summary>
/// A real Kestrel backend on 127.0.0.1 that counts every request it gets and echoes what it saw as JSON. It can hold
/// requests at a gate (to keep them in flight), answer a health path with a chosen status, and serve extra fixed
/// responses by path.
/// </summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _hits;
    private int _healthHits;

    private TestBackend(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    public Uri Url { get; private set; } = null!;

    /// <summary>Requests other than health probes.</summary>
    public int Hits => Volatile.Read(ref _hits);

    public int HealthHits => Volatile.Read(ref _healthHits);

    public ConcurrentQueue<(string Method, string PathAndQuery, bool HadAuthorization, long BodyBytes)> Requests { get; } = new();

    public string HealthPath { get; set; } = "/health";

    public int HealthStatus { get; set; } = 200;

    /// <summary>While set, requests wait on it (after being counted).</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>Fixed answers by exact path: status, content type, body.</summary>
    public ConcurrentDictionary<string, (int Status, string ContentType, string Body)> Fixed { get; } = new(StringComparer.Ordinal);

    public static async Task<TestBackend> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var backend = new TestBackend(app, name);
        app.Run(backend.HandleAsync);
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        backend.Url = new Uri(address.TrimEnd('/') + "/");
        return backend;
    }

    private async Task HandleAsync(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "";
        if (path == HealthPath)
        {
            Interlocked.Increment(ref _healthHits);
            http.Response.StatusCode = HealthStatus;
            return;
        }
        Interlocked.Increment(ref _hits);
        long bodyBytes = 0;
        var buffer = new byte[8192];
        int n;
        while ((n = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
        {
            bodyBytes += n;
        }
        Requests.Enqueue((http.Request.Method, path + http.Request.QueryString.Value, http.Request.Headers.Authorization.Count > 0, bodyBytes));
        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        if (Fixed.TryGetValue(path, out var fixedAnswer))
        {
            http.Response.StatusCode = fixedAnswer.Status;
            http.Response.ContentType = fixedAnswer.ContentType;
            await http.Response.WriteAsync(fixedAnswer.Body);
            return;
        }
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(new JsonObject
        {
            ["backend"] = Name,
            ["method"] = http.Request.Method,
            ["path"] = path,
            ["query"] = http.Request.QueryString.Value,
            ["bodyBytes"] = bodyBytes,
        }.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        Gate?.TrySetResult();
        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await _app.DisposeAsync();
    }
}
