using Aeros.Broker;
using Aeros.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Testing;

/// <summary>
/// The real Aeros broker on Kestrel at 127.0.0.1 with its store in a temporary directory. It can be stopped and
/// started again on the same port and data directory ("broker down, broker back"); disposing stops it and deletes
/// the directory.
/// </summary>
public sealed class TestBroker : IAsyncDisposable
{
    /// <summary>The longest a start or stop may take.</summary>
    public static readonly TimeSpan StartStopTimeout = TimeSpan.FromSeconds(30);

    private readonly Action<BrokerOptions>? _configure;
    private WebApplication? _app;
    private int _port;

    private TestBroker(Action<BrokerOptions>? configure)
    {
        _configure = configure;
    }

    /// <summary>The broker's Aeros log lines at warning and above, across restarts (for failure messages).</summary>
    public RecordingLoggerProvider Logs { get; } = new();

    /// <summary>The broker's data directory (kept across restarts).</summary>
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "aeros-test-" + Guid.NewGuid().ToString("N"));

    /// <summary>The broker's root URL, e.g. <c>http://127.0.0.1:41234/</c> (the API is under <c>ngsi-ld/v1</c>).</summary>
    public Uri Url => _port == 0 ? throw new InvalidOperationException("The broker was never started.") : new Uri($"http://127.0.0.1:{_port}/");

    /// <summary>Whether the broker is running now.</summary>
    public bool IsRunning => _app is not null;

    /// <summary>Starts a broker on a free port; <paramref name="configure"/> adjusts its options.</summary>
    public static async Task<TestBroker> StartAsync(Action<BrokerOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        var broker = new TestBroker(configure);
        try
        {
            await broker.RestartAsync(cancellationToken);
            return broker;
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the broker again on the same port and data directory (after <see cref="StopAsync"/>).</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        if (_app is not null)
        {
            throw new InvalidOperationException("The broker is running.");
        }
        var app = BrokerHost.Create($"http://127.0.0.1:{_port}", options =>
        {
            options.DataDirectory = DataDirectory;
            _configure?.Invoke(options);
            TestStore.Apply(options);
        }, configureLogging: logging => logging.AddProvider(Logs));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartStopTimeout);
        try
        {
            await app.StartAsync(timeout.Token);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _port = new Uri(address).Port;
        _app = app;
    }

    /// <summary>Stops the broker (its port closes; the data directory stays).</summary>
    public async Task StopAsync()
    {
        var app = _app;
        if (app is null)
        {
            return;
        }
        _app = null;
        using var timeout = new CancellationTokenSource(StartStopTimeout);
        try
        {
            await app.StopAsync(timeout.Token);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    /// <summary>A client for the broker's root URL (the caller disposes it).</summary>
    public HttpClient CreateHttpClient() => new() { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
