using Aeros.Abstractions.Continuum;
using Aeros.Continuum;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Llo;

/// <summary>
/// Loss detection (a hosted service): every <see cref="LloOptions.CheckPeriod"/> it reads the domain's elements and
/// judges each one's <c>heartbeat</c> by when this LLO last saw it advance (on the LLO's own clock, so clock skew
/// between nodes does not matter). An element whose heartbeat has not advanced for <see cref="LloOptions.HeartbeatGrace"/>
/// is marked <c>reachable</c> false with <c>unreachableSince</c>, and its Starting/Running components go to the
/// <see cref="IComponentReplacer"/>; when its heartbeat advances again it is marked reachable and a resync stops its
/// stale copies. An element lost <see cref="LloOptions.FlapCount"/> times within <see cref="LloOptions.FlapWindow"/>
/// stays unreachable for <see cref="LloOptions.FlapHold"/> after it is back (flap dampening). After a broker outage
/// every element's clock restarts: the broker's silence says nothing about the agents.
/// </summary>
internal sealed partial class ElementMonitor(
    LloBroker broker,
    ComponentReconciler reconciler,
    IComponentReplacer replacer,
    LloController controller,
    LloMetrics metrics,
    IOptions<LloOptions> options,
    TimeProvider time,
    ILogger<ElementMonitor> logger) : BackgroundService
{
    private readonly LloOptions _options = options.Value;
    private readonly Dictionary<string, Watch> _watches = new(StringComparer.Ordinal);
    private bool _brokerDown;
    private DateTimeOffset? _quietUntil;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await broker.ClientAsync(stoppingToken);
            using var timer = new PeriodicTimer(_options.CheckPeriod, time);
            do
            {
                try
                {
                    await CheckOnceAsync(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    throw;
                }
#pragma warning disable CA1031 // Loss detection must outlive one bad check; the failure is logged and the next check runs.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    LogCheckCrashed(logger, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One check of every element of the domain.</summary>
    internal async Task CheckOnceAsync(CancellationToken ct)
    {
        var client = await broker.ClientAsync(ct);
        IReadOnlyList<InfrastructureElement> elements;
        try
        {
            elements = await reconciler.DomainElementsAsync(client, ct);
        }
        catch (ContinuumClientException e)
        {
            if (!_brokerDown)
            {
                _brokerDown = true;
                LogBrokerDown(logger, e.Message);
            }
            return;
        }
        var now = time.GetUtcNow();
        _quietUntil ??= now + _options.RecoveryGrace;
        if (_brokerDown)
        {
            _brokerDown = false;
            _quietUntil = now + _options.RecoveryGrace;
            foreach (var watch in _watches.Values)
            {
                watch.LastSeen = now;
            }
        }
        foreach (var element in elements)
        {
            try
            {
                await CheckAsync(client, element, now, ct);
            }
            catch (ContinuumClientException e)
            {
                LogCheckFailed(logger, element.Id, e.Message);
            }
        }
        metrics.Unreachable(elements.Count(e => e.Reachable == false));
    }

    private async Task CheckAsync(ContinuumClient client, InfrastructureElement element, DateTimeOffset now, CancellationToken ct)
    {
        if (element.Heartbeat is not { } heartbeat)
        {
            return;
        }
        if (!_watches.TryGetValue(element.Id, out var watch))
        {
            // First sight (also after an LLO restart): the heartbeat's own time, unless it lies in the future.
            watch = new Watch { Heartbeat = heartbeat, LastSeen = heartbeat < now ? heartbeat : now };
            if (element.Reachable == false)
            {
                // Lost before this LLO started: count it, so an element flapping across LLO restarts is still dampened.
                watch.Losses.Add(element.UnreachableSince ?? now);
            }
            _watches[element.Id] = watch;
        }
        else if (heartbeat != watch.Heartbeat)
        {
            watch.Heartbeat = heartbeat;
            watch.LastSeen = now;
        }

        var silent = now - watch.LastSeen;
        if (silent > _options.HeartbeatGrace && now >= _quietUntil)
        {
            watch.HoldUntil = null;
            if (element.Reachable != false)
            {
                await client.MergeAsync(element.Id, new Dictionary<string, object?> { ["reachable"] = false, ["unreachableSince"] = now }, ct);
                watch.Losses.Add(now);
                watch.Handed.Clear();
                metrics.ElementLost();
                LogLost(logger, element.Id, silent.TotalSeconds);
            }
            await HandOverAsync(client, element.Id, watch, ct);
            return;
        }

        if (silent > _options.HeartbeatGrace)
        {
            // Still silent, but within the recovery grace: no judgment yet.
            return;
        }
        if (element.Reachable == false)
        {
            watch.Losses.RemoveAll(t => now - t > _options.FlapWindow);
            if (watch.Losses.Count >= _options.FlapCount)
            {
                if (watch.HoldUntil is null)
                {
                    watch.HoldUntil = now + _options.FlapHold;
                    LogHeld(logger, element.Id, watch.Losses.Count, _options.FlapWindow.TotalSeconds, _options.FlapHold.TotalSeconds);
                }
                if (now < watch.HoldUntil)
                {
                    return;
                }
            }
            await client.MergeAsync(element.Id, new Dictionary<string, object?> { ["reachable"] = true, ["unreachableSince"] = null }, ct);
            watch.HoldUntil = null;
            watch.Handed.Clear();
            LogBack(logger, element.Id);
            // Its stale copies (components moved away meanwhile) are stopped by the resync.
            controller.RequestResync();
        }
        else if (element.Reachable is null)
        {
            await client.MergeAsync(element.Id, new Dictionary<string, object?> { ["reachable"] = true }, ct);
        }
    }

    /// <summary>Gives every Starting/Running component on the lost element to the replacer, once per (component, generation).</summary>
    private async Task HandOverAsync(ContinuumClient client, string elementId, Watch watch, CancellationToken ct)
    {
        var components = await client.QueryAsync<ServiceComponent>($"infrastructureElement==\"{elementId}\"", local: true, cancellationToken: ct);
        foreach (var component in components)
        {
            if (component.InfrastructureElement != elementId
                || component.ServiceComponentStatus is not (ServiceComponentStatus.Starting or ServiceComponentStatus.Running or ServiceComponentStatus.Overload))
            {
                continue;
            }
            var key = (component.Id, component.Generation ?? 0);
            if (watch.Handed.Contains(key))
            {
                continue;
            }
            try
            {
                await replacer.ReplaceAsync(component.Id, elementId, ct);
                watch.Handed.Add(key);
                LogHandedOver(logger, component.Id, key.Item2, elementId);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // A failing replacer is logged and asked again at the next check.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogReplaceFailed(logger, e, component.Id, elementId);
            }
        }
    }

    private sealed class Watch
    {
        public DateTimeOffset Heartbeat { get; set; }

        public DateTimeOffset LastSeen { get; set; }

        public List<DateTimeOffset> Losses { get; } = [];

        public DateTimeOffset? HoldUntil { get; set; }

        public HashSet<(string ComponentId, long Generation)> Handed { get; } = [];
    }

    [LoggerMessage(EventId = 5230, Level = LogLevel.Warning, Message = "Element {ElementId} lost: no heartbeat for {Seconds:0.0} s; marked unreachable")]
    private static partial void LogLost(ILogger logger, string elementId, double seconds);

    [LoggerMessage(EventId = 5231, Level = LogLevel.Information, Message = "Element {ElementId} is back: marked reachable")]
    private static partial void LogBack(ILogger logger, string elementId);

    [LoggerMessage(EventId = 5232, Level = LogLevel.Warning, Message = "Element {ElementId} is flapping ({Losses} losses within {WindowSeconds:0} s): kept unreachable for {HoldSeconds:0} s")]
    private static partial void LogHeld(ILogger logger, string elementId, int losses, double windowSeconds, double holdSeconds);

    [LoggerMessage(EventId = 5233, Level = LogLevel.Information, Message = "Component {ComponentId} (generation {Generation}) on lost element {ElementId} handed to the replacer")]
    private static partial void LogHandedOver(ILogger logger, string componentId, long generation, string elementId);

    [LoggerMessage(EventId = 5234, Level = LogLevel.Error, Message = "The replacer failed for component {ComponentId} on lost element {ElementId}; asked again at the next check")]
    private static partial void LogReplaceFailed(ILogger logger, Exception exception, string componentId, string elementId);

    [LoggerMessage(EventId = 5235, Level = LogLevel.Warning, Message = "The element monitor cannot read the elements from the broker; loss detection pauses: {Reason}")]
    private static partial void LogBrokerDown(ILogger logger, string reason);

    [LoggerMessage(EventId = 5237, Level = LogLevel.Error, Message = "An element check failed unexpectedly; the next check runs as usual")]
    private static partial void LogCheckCrashed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5236, Level = LogLevel.Warning, Message = "Checking element {ElementId} failed: {Reason}")]
    private static partial void LogCheckFailed(ILogger logger, string elementId, string reason);
}
