using Aeros.Gateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aeros.Hosting;

/// <summary>
/// The gateway in front of a secured domain host: a second web host on the domain's public URLs whose backends are the
/// domain's internal loopback URL. Started once the domain's own server listens, stopped before it stops, so no request
/// reaches a backend that is not there and none arrives at the public URL unchecked.
/// </summary>
internal sealed partial class SecureFront(
    IReadOnlyList<string> publicUrls,
    IEnumerable<KeyValuePair<string, string?>> settings,
    Action<GatewayOptions> configureGateway,
    IServer server,
    ILogger<SecureFront> logger) : IHostedLifecycleService, IAsyncDisposable
{
    private WebApplication? _gateway;

    /// <summary>The addresses the gateway listens at (once started).</summary>
    public IReadOnlyList<string> Urls => _gateway is { } g ? [.. g.Urls] : publicUrls;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        var internalUrl = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("The domain host listens at no internal address.");
        var gateway = GatewayHost.Create(string.Join(';', publicUrls), settings, configureGateway);
        await gateway.StartAsync(cancellationToken);
        _gateway = gateway;
        LogFrontStarted(logger, string.Join(", ", gateway.Urls), internalUrl);
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (_gateway is { } gateway)
        {
            await gateway.StopAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _gateway, null) is { } gateway)
        {
            await gateway.DisposeAsync();
        }
    }

    [LoggerMessage(EventId = 6410, Level = LogLevel.Information, Message = "Secure front started: the gateway at {PublicUrls} guards the domain's APIs at {InternalUrl}")]
    private static partial void LogFrontStarted(ILogger logger, string publicUrls, string internalUrl);
}
