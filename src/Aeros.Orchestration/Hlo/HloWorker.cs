using Aeros.Continuum;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Hlo;

/// <summary>
/// Runs the HLO's background work: <see cref="HloOptions.QueueConcurrency"/> workers take services from the
/// <see cref="HloQueue"/>, and a rescan at start and every <see cref="HloOptions.RescanPeriod"/> queues whatever the
/// broker says is unfinished (crash-only: nothing the HLO must remember lives only in memory, except alert exclusions).
/// A failure of one service is logged and retried by the next rescan, never fatal.
/// </summary>
internal sealed partial class HloWorker(
    HloQueue queue,
    HloOrchestrator orchestrator,
    IOptions<HloOptions> options,
    TimeProvider time,
    ILogger<HloWorker> logger) : BackgroundService
{
    /// <summary>When the last rescan completed.</summary>
    public DateTimeOffset? LastRescan { get; private set; }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(logger, orchestrator.DomainName, options.Value.QueueConcurrency);
        var loops = Enumerable.Range(0, options.Value.QueueConcurrency).Select(_ => WorkAsync(stoppingToken)).Append(RescanLoopAsync(stoppingToken));
        return Task.WhenAll(loops);
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            string serviceId;
            try
            {
                serviceId = await queue.TakeAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                await orchestrator.ProcessAsync(serviceId, "deploy", stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is ContinuumClientException or HttpRequestException or InvalidOperationException or ArgumentException)
            {
                LogFailed(logger, serviceId, e.Message);
            }
        }
    }

    private async Task RescanLoopAsync(CancellationToken stoppingToken)
    {
        var brokerDown = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await orchestrator.RescanAsync(stoppingToken);
                LastRescan = time.GetUtcNow();
                if (brokerDown)
                {
                    brokerDown = false;
                    LogBrokerBack(logger);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is ContinuumClientException or HttpRequestException or InvalidOperationException)
            {
                if (!brokerDown)
                {
                    brokerDown = true;
                    LogRescanFailed(logger, e.Message);
                }
            }
            try
            {
                await Task.Delay(options.Value.RescanPeriod, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 5410, Level = LogLevel.Information, Message = "HLO of domain {Domain} started with {Workers} worker(s)")]
    private static partial void LogStarted(ILogger logger, string domain, int workers);

    [LoggerMessage(EventId = 5411, Level = LogLevel.Warning, Message = "Work on service {ServiceId} failed (the next rescan retries it): {Error}")]
    private static partial void LogFailed(ILogger logger, string serviceId, string error);

    [LoggerMessage(EventId = 5412, Level = LogLevel.Warning, Message = "HLO rescan cannot read the broker: {Error}")]
    private static partial void LogRescanFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 5413, Level = LogLevel.Information, Message = "HLO rescan reads the broker again")]
    private static partial void LogBrokerBack(ILogger logger);
}
