using Aeros.Abstractions.Continuum;
using Aeros.Continuum;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Llo;

/// <summary>
/// The LLO's reconcile loop (a hosted service): <see cref="LloOptions.MaxConcurrency"/> workers take component ids
/// from the <see cref="WorkQueue"/> and reconcile them; keys come from the broker's notifications
/// (<c>POST /llo/v1/notify</c>, the subscription kept alive here) and from a full resync every
/// <see cref="LloOptions.ResyncPeriod"/> or on request (<see cref="RequestResync"/>): every component, and every
/// component named by an LLO workload on the domain's agents. The broker being down is retried, never fatal.
/// </summary>
internal sealed partial class LloController(
    LloBroker broker,
    WorkQueue queue,
    ComponentReconciler reconciler,
    AgentClient agents,
    LloMetrics metrics,
    IOptions<LloOptions> options,
    TimeProvider time,
    ILogger<LloController> logger) : BackgroundService
{
    private readonly LloOptions _options = options.Value;
    private readonly SemaphoreSlim _resyncRequested = new(0, 1);
    private bool _subscribed;
    private bool _brokerDown;

    /// <summary>The id of the LLO's subscription to ServiceComponents.</summary>
    public string SubscriptionId => $"urn:aeros:llo:{_options.DomainName}:components";

    /// <summary>When the last full resync finished, if one did.</summary>
    public DateTimeOffset? LastResync { get; private set; }

    /// <summary>Asks for a full resync now (e.g. an element is back: its stale copies must go).</summary>
    public void RequestResync()
    {
        try
        {
            _resyncRequested.Release();
        }
        catch (SemaphoreFullException)
        {
            // One request pending is enough.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        metrics.ObserveDepth(() => queue.Depth);
        try
        {
            await broker.ClientAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        LogStarted(logger, _options.DomainName!, _options.MaxConcurrency);
        var workers = Enumerable.Range(0, _options.MaxConcurrency).Select(_ => WorkAsync(stoppingToken)).ToList();
        workers.Add(ResyncLoopAsync(stoppingToken));
        await Task.WhenAll(workers);
    }

    private async Task WorkAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            string key;
            try
            {
                key = await queue.TakeAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                var result = await reconciler.ReconcileAsync(key, queue.FailingFor(key), ct);
                switch (result.Outcome)
                {
                    case ReconcileOutcome.Done:
                        queue.Forget(key);
                        metrics.Reconciled("done");
                        break;
                    case ReconcileOutcome.RequeueAfter:
                        queue.Forget(key);
                        queue.AddAfter(key, result.Delay);
                        metrics.Reconciled("requeue");
                        break;
                    default:
                        var delay = queue.AddRateLimited(key);
                        metrics.Reconciled("retry");
                        metrics.Failed();
                        LogRetry(logger, key, delay.TotalMilliseconds, result.Error ?? "");
                        break;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // One component's unexpected error must not stop the others; it is logged and retried.
            catch (Exception e)
#pragma warning restore CA1031
            {
                var delay = queue.AddRateLimited(key);
                metrics.Reconciled("failed");
                metrics.Failed();
                LogReconcileError(logger, e, key, delay.TotalMilliseconds);
            }
            finally
            {
                queue.Done(key);
            }
        }
    }

    private async Task ResyncLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await EnsureSubscriptionAsync(ct);
                await ResyncOnceAsync(ct);
                if (_brokerDown)
                {
                    _brokerDown = false;
                    LogBrokerBack(logger);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (ContinuumClientException e)
            {
                if (!_brokerDown)
                {
                    _brokerDown = true;
                    LogBrokerDown(logger, e.Message);
                }
            }
            try
            {
                // The next pass after the period, or at once when asked for; a broker outage is retried at the check period.
                await _resyncRequested.WaitAsync(_brokerDown ? _options.CheckPeriod * 4 : _options.ResyncPeriod, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Creates the subscription. At the first pass it is deleted and made again (the notification URL may have
    /// changed since the last run); afterwards a conflict (409) means it still exists, anything else re-creates it.
    /// </summary>
    private async Task EnsureSubscriptionAsync(CancellationToken ct)
    {
        var client = await broker.ClientAsync(ct);
        if (!_subscribed)
        {
            await client.UnsubscribeAsync(SubscriptionId, ct);
        }
        try
        {
            await client.SubscribeAsync(new ContinuumSubscription
            {
                Id = SubscriptionId,
                EntityType = ContinuumMapper.EntityType<ServiceComponent>(),
                Endpoint = await broker.NotifyUrlAsync(ct),
                WatchedAttributes = ["infrastructureElement", "serviceComponentStatus", "generation"],
                NotifiedAttributes = ["serviceComponentStatus"],
                Description = $"The LLO of domain {_options.DomainName}: components to run, move or remove.",
            }, ct);
            if (_subscribed)
            {
                LogResubscribed(logger, SubscriptionId);
            }
        }
        catch (ContinuumClientException e) when (e.Status == System.Net.HttpStatusCode.Conflict)
        {
        }
        _subscribed = true;
    }

    /// <summary>Queues every component of the broker and every component an LLO workload on the domain's agents belongs to.</summary>
    internal async Task ResyncOnceAsync(CancellationToken ct)
    {
        var client = await broker.ClientAsync(ct);
        var components = await client.QueryRawAsync(ContinuumMapper.EntityType<ServiceComponent>(), null, local: true, cancellationToken: ct);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var component in components)
        {
            if (component["id"]?.ToString() is { Length: > 0 } id)
            {
                keys.Add(id);
            }
        }
        var elements = await reconciler.DomainElementsAsync(client, ct);
        var lists = await Task.WhenAll(elements.Where(e => !string.IsNullOrWhiteSpace(e.SelfApiUrl)).Select(e => agents.ListAsync(e.SelfApiUrl!, ct)));
        foreach (var list in lists.Where(l => l.Ok))
        {
            foreach (var workload in list.Value!)
            {
                if (workload.ComponentId is { } id && WorkloadNaming.TryParse(workload.Name, out _, out _))
                {
                    keys.Add(id);
                }
            }
        }
        foreach (var key in keys)
        {
            queue.Add(key);
        }
        LastResync = time.GetUtcNow();
        LogResync(logger, keys.Count, elements.Count);
    }

    [LoggerMessage(EventId = 5210, Level = LogLevel.Information, Message = "LLO of domain {Domain} started with {Workers} workers")]
    private static partial void LogStarted(ILogger logger, string domain, int workers);

    [LoggerMessage(EventId = 5211, Level = LogLevel.Debug, Message = "Reconcile of {ComponentId} retried in {DelayMs:0} ms: {Reason}")]
    private static partial void LogRetry(ILogger logger, string componentId, double delayMs, string reason);

    [LoggerMessage(EventId = 5212, Level = LogLevel.Error, Message = "Reconcile of {ComponentId} failed unexpectedly; retried in {DelayMs:0} ms")]
    private static partial void LogReconcileError(ILogger logger, Exception exception, string componentId, double delayMs);

    [LoggerMessage(EventId = 5213, Level = LogLevel.Warning, Message = "The LLO cannot reach its broker; resync and notifications wait for it: {Reason}")]
    private static partial void LogBrokerDown(ILogger logger, string reason);

    [LoggerMessage(EventId = 5214, Level = LogLevel.Information, Message = "The LLO reaches its broker again")]
    private static partial void LogBrokerBack(ILogger logger);

    [LoggerMessage(EventId = 5215, Level = LogLevel.Warning, Message = "The LLO's subscription {SubscriptionId} was gone and is created again")]
    private static partial void LogResubscribed(ILogger logger, string subscriptionId);

    [LoggerMessage(EventId = 5216, Level = LogLevel.Debug, Message = "Resync queued {Components} components ({Elements} elements)")]
    private static partial void LogResync(ILogger logger, int components, int elements);
}
