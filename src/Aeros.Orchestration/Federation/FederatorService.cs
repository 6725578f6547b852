using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Federation;

/// <summary>
/// Runs the federation reconcile loop: once the host listens, a pass right away, then a pass every
/// <see cref="FederationOptions.ResyncInterval"/> while everything is in sync, or after an exponential back-off
/// (<see cref="FederationOptions.RetryBaseDelay"/> doubled per failed pass, at most
/// <see cref="FederationOptions.RetryMaxDelay"/>, with jitter) while some domain or peer is unreachable.
/// </summary>
internal sealed partial class FederatorService(
    DomainFederator federator,
    FederationEndpoints endpoints,
    IOptions<FederationOptions> options,
    IHostApplicationLifetime lifetime,
    IServer server,
    ILogger<FederatorService> logger) : BackgroundService
{
    private readonly FederationOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The server's addresses are known only once it listens (port 0 picks one).
        using (var started = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, lifetime.ApplicationStarted))
        {
            try
            {
                await Task.Delay(Timeout.Infinite, started.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
            }
        }
        if (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        var brokerUrl = ListeningUrl(server);
        endpoints.Set(brokerUrl, _options.PublicUrl ?? brokerUrl);
        LogStarted(logger, _options.DomainName, endpoints.PublicUrl!, _options.Peers.Count);

        var failedPasses = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            bool complete;
            try
            {
                complete = await federator.SyncOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            failedPasses = complete ? 0 : failedPasses + 1;
            var delay = complete ? _options.ResyncInterval : Backoff(_options, failedPasses, Random.Shared.NextDouble());
            try
            {
                await federator.WaitForNextPassAsync(delay, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The delay after the n-th failed pass in a row: base × 2^(n−1), capped at the maximum, with ±20 % jitter
    /// (<paramref name="random"/> in [0, 1)) so that domains restarted together do not retry in step.
    /// </summary>
    internal static TimeSpan Backoff(FederationOptions options, int failedPasses, double random)
    {
        var exponent = Math.Clamp(failedPasses - 1, 0, 30);
        var raw = options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, exponent);
        var capped = Math.Min(raw, options.RetryMaxDelay.TotalMilliseconds);
        var jitter = 0.8 + (random * 0.4);
        return TimeSpan.FromMilliseconds(Math.Min(capped * jitter, options.RetryMaxDelay.TotalMilliseconds));
    }

    /// <summary>The first address the server listens at, with a wildcard host replaced by the loopback address.</summary>
    internal static Uri ListeningUrl(IServer server)
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("The host listens at no address; the federator needs the broker's URL.");
        var uri = new Uri(address.Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal)
            .Replace("://[::]", "://[::1]", StringComparison.Ordinal));
        return uri;
    }

    [LoggerMessage(EventId = 3050, Level = LogLevel.Information, Message = "Federator of domain {Domain} started at {PublicUrl} with {PeerCount} peer(s)")]
    private static partial void LogStarted(ILogger logger, string domain, Uri publicUrl, int peerCount);
}
