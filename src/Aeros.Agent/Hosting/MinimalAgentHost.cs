using System.Net;
using Aeros.Agent.SelfApi.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.Hosting;

/// <summary>
/// The agent without ASP.NET Core and without the Generic Host (<see cref="AgentHost.CreateMinimal"/>): a service
/// provider with the agent's usual registrations, its hosted services started and stopped in order, and the agent's own
/// HTTP/1.1 server (<see cref="Http1Server"/>) serving the same self-API routes as Kestrel does in <c>aeros agent</c>.
/// A hosted service that fails stops the agent, as the Generic Host does.
/// </summary>
public sealed partial class MinimalAgentHost : IAgentHost
{
    private readonly ServiceProvider _provider;
    private readonly IReadOnlyList<IPEndPoint> _endpoints;
    private readonly Http1Server _server;
    private readonly AgentLifetime _lifetime;
    private readonly ILogger _logger;
    private readonly List<IHostedService> _started = [];
    private int _state; // 0 new, 1 started, 2 stopped

    internal MinimalAgentHost(ServiceProvider provider, IReadOnlyList<IPEndPoint> endpoints, IEnumerable<SelfApiRoute> routes)
    {
        _provider = provider;
        _endpoints = endpoints;
        _lifetime = provider.GetRequiredService<AgentLifetime>();
        _logger = provider.GetRequiredService<ILoggerFactory>().CreateLogger("Aeros.Agent.Hosting");
        var router = new SelfApiRouter(routes);
        var dispatch = SelfApiFilters.Wrap(router.DispatchAsync);
        _server = provider.GetRequiredService<Http1ServerFactory>().Create(request => dispatch(request));
    }

    /// <summary>
    /// Builds a host of <paramref name="services"/> (logging and the server's registrations are added when missing)
    /// serving <paramref name="routes"/> on <paramref name="urls"/>; a URL the server cannot serve is an
    /// <see cref="OptionsValidationException"/> listing every such URL.
    /// </summary>
    internal static MinimalAgentHost Create(IServiceCollection services, string urls, IEnumerable<SelfApiRoute> routes)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(urls);
        var endpoints = Http1Server.ParseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), out var errors);
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(nameof(SelfApiServerOptions), typeof(SelfApiServerOptions), errors);
        }
        services.AddLogging();
        services.AddSelfApiServer();
        services.TryAddSingleton<AgentLifetime>();
        services.TryAddSingleton<IHostApplicationLifetime>(sp => sp.GetRequiredService<AgentLifetime>());
        return new MinimalAgentHost(services.BuildServiceProvider(), endpoints, routes);
    }

    /// <inheritdoc />
    public IServiceProvider Services => _provider;

    /// <inheritdoc />
    public IReadOnlyList<string> Urls => _server.Addresses;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The agent host was started already.");
        }
        // ValidateOnStart: every options error at once (OptionsValidationException), before anything runs.
        _provider.GetService<IStartupValidator>()?.Validate();
        foreach (var service in _provider.GetServices<IHostedService>())
        {
            await service.StartAsync(cancellationToken);
            _started.Add(service);
            if (service is BackgroundService background && background.ExecuteTask is { } running)
            {
                _ = WatchAsync(background.GetType().Name, running);
            }
        }
        await _server.StartAsync(_endpoints);
        _lifetime.NotifyStarted();
    }

    /// <inheritdoc />
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken = default)
    {
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (_lifetime.ApplicationStopping.Register(() => stopping.TrySetResult()))
        using (cancellationToken.Register(() => stopping.TrySetResult()))
        {
            await stopping.Task;
        }
        await StopAsync(CancellationToken.None);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return;
        }
        _lifetime.StopApplication();
        // The server first: no new work reaches services that are stopping.
        await _server.StopAsync(cancellationToken);
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            try
            {
                await _started[i].StopAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.StopFailed(_logger, e, _started[i].GetType().Name);
            }
        }
        _lifetime.NotifyStopped();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _server.DisposeAsync();
        await _provider.DisposeAsync();
    }

    private async Task WatchAsync(string name, Task running)
    {
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            Log.ServiceFailed(_logger, e, name);
            _lifetime.StopApplication();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4340, Level = LogLevel.Critical, Message = "The agent's {Service} failed; the agent stops")]
        public static partial void ServiceFailed(ILogger logger, Exception exception, string service);

        [LoggerMessage(EventId = 4341, Level = LogLevel.Error, Message = "Stopping the agent's {Service} failed")]
        public static partial void StopFailed(ILogger logger, Exception exception, string service);
    }
}

/// <summary>The minimal host's <see cref="IHostApplicationLifetime"/> (the reporter waits for <c>ApplicationStarted</c> to learn the bound port).</summary>
internal sealed class AgentLifetime : IHostApplicationLifetime, IDisposable
{
    private readonly CancellationTokenSource _started = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _stopped = new();

    public CancellationToken ApplicationStarted => _started.Token;

    public CancellationToken ApplicationStopping => _stopping.Token;

    public CancellationToken ApplicationStopped => _stopped.Token;

    public void StopApplication() => Fire(_stopping);

    internal void NotifyStarted() => Fire(_started);

    internal void NotifyStopped() => Fire(_stopped);

    public void Dispose()
    {
        _started.Dispose();
        _stopping.Dispose();
        _stopped.Dispose();
    }

    private static void Fire(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}

/// <summary>
/// Builds the <see cref="Http1Server"/> from the container's options, clock and logger, and tells where it listens
/// (the reporter advertises that address as the IE's <c>selfApiUrl</c>).
/// </summary>
internal sealed class Http1ServerFactory(IServiceProvider services, IOptions<SelfApiServerOptions> options, TimeProvider time, ILogger<Http1Server> logger)
    : ISelfApiListener
{
    private Http1Server? _server;

    public IReadOnlyList<string> Addresses => _server?.Addresses ?? [];

    public Http1Server Create(Func<SelfApiRequest, ValueTask<SelfApiResponse>> dispatch) => _server = new(dispatch, services, options, time, logger);
}
