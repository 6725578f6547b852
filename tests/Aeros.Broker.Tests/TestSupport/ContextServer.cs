using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Broker.Tests.TestSupport;

/// <summary>A small Kestrel on 127.0.0.1:0 that serves user @context documents to the broker under test.</summary>
public sealed class ContextServer : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, string> _documents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _hits = new(StringComparer.Ordinal);
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Serves <paramref name="document"/> at <c>/{name}</c> and returns its absolute URL.</summary>
    public string Serve(string name, string document)
    {
        _documents[name] = document;
        return new Uri(BaseAddress, name).ToString();
    }

    /// <summary>Stops serving <c>/{name}</c> (it answers 404 from now on).</summary>
    public void Remove(string name) => _documents.TryRemove(name, out _);

    /// <summary>How many times <c>/{name}</c> was downloaded.</summary>
    public int Hits(string name) => _hits.GetValueOrDefault(name);

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapGet("/{name}", (string name) =>
        {
            _hits.AddOrUpdate(name, 1, (_, n) => n + 1);
            return _documents.TryGetValue(name, out var document)
                ? Results.Text(document, "application/ld+json")
                : Results.NotFound();
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _app.StartAsync(cts.Token);
        BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _app.StopAsync(cts.Token);
            await _app.DisposeAsync();
        }
    }
}
