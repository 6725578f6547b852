using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;
using Aeros.Continuum;
using Aeros.Orchestration.Blueprints;
using Aeros.Orchestration.Placement;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Hlo;

/// <summary>The outcome of a request that changes a service.</summary>
internal enum HloOutcome
{
    /// <summary>Accepted: the work continues in the background.</summary>
    Accepted,

    /// <summary>The service does not exist.</summary>
    NotFound,

    /// <summary>The service exists already (or its components of an earlier deployment are still being removed).</summary>
    Conflict,

    /// <summary>Another domain that handles the service could not be reached.</summary>
    BadGateway,
}

/// <summary>
/// The High-Level Orchestrator of one domain (docs/orchestration.md): writes a submitted service to the broker, places
/// its components with the <see cref="PlacementEngine"/> on the domain's elements (or, when nothing local fits, on the
/// federated view, handing the service to the chosen domain's HLO), re-places components of lost or alerted elements,
/// and removes services. All state is in the broker: a restarted HLO finds its work again (<see cref="RescanAsync"/>).
/// </summary>
internal sealed partial class HloOrchestrator(
    HloBroker broker,
    IPlacementSolver solver,
    HloQueue queue,
    HandoffClient handoffs,
    HloMetrics metrics,
    IOptions<HloOptions> options,
    TimeProvider time,
    ILogger<HloOrchestrator> logger)
{
    /// <summary>The Aeros attribute of a Service holding the submitted blueprint text (what a hand-off sends on).</summary>
    public const string BlueprintAttribute = "blueprint";

    /// <summary>The Aeros attribute of a Service received by hand-off: the domain it came from (such a service is never handed on).</summary>
    public const string HandoffFromAttribute = "handoffFrom";

    /// <summary>The Aeros attribute of a Service handed to another domain: <c>pending</c> until that domain accepted it, then <c>done</c>.</summary>
    public const string HandoffStateAttribute = "handoffState";

    private const string HandoffPending = "pending";

    // One placement at a time per domain, so every decision sees the capacity the previous ones took.
    private readonly SemaphoreSlim _placementLock = new(1, 1);

    // Elements a component must avoid at its next placement (alerts, losses); in memory only (see docs/orchestration.md).
    private readonly ConcurrentDictionary<string, HashSet<string>> _exclusions = new(StringComparer.Ordinal);

    /// <summary>This domain's name.</summary>
    public string DomainName => options.Value.DomainName!;

    /// <summary>This domain's URN (<c>urn:ngsi-ld:Domain:&lt;name&gt;</c>).</summary>
    public string DomainUrn => ContinuumIds.Domain(DomainName);

    /// <summary>
    /// Writes a new service (Service Deploying, components Locating, requirements, ports, connections) and queues its
    /// placement. <paramref name="handoffFrom"/>: the domain that handed it here (then it is never handed on).
    /// </summary>
    public async Task<HloOutcome> SubmitAsync(string serviceId, ServiceBlueprint blueprint, string text, string? handoffFrom, CancellationToken cancellationToken)
    {
        var client = await broker.ClientAsync(cancellationToken);
        if (await client.GetRawAsync(serviceId, local: true, cancellationToken) is not null
            || (await ComponentsAsync(client, serviceId, cancellationToken)).Count > 0)
        {
            return HloOutcome.Conflict;
        }
        var entities = BlueprintMapper.ToEntities(serviceId, blueprint);
        var service = entities.Service with { DomainHandler = DomainUrn };
        await client.UpsertManyAsync([service, .. entities.Components, .. entities.Requirements, .. entities.Ports, .. entities.Connections], cancellationToken);
        var extra = new Dictionary<string, object?> { [BlueprintAttribute] = text };
        if (handoffFrom is not null)
        {
            extra[HandoffFromAttribute] = handoffFrom;
        }
        await client.MergeAsync(serviceId, extra, cancellationToken);
        LogSubmitted(logger, serviceId, entities.Components.Count, handoffFrom ?? "-");
        queue.Add(serviceId);
        return HloOutcome.Accepted;
    }

    /// <summary>
    /// Re-allocates a service: with a blueprint, the new one replaces the old (components no longer in it are removed,
    /// the others written again and placed anew); without, every component is placed again (Migrating).
    /// </summary>
    public async Task<HloOutcome> ReallocateAsync(string serviceId, ServiceBlueprint? blueprint, string? text, CancellationToken cancellationToken)
    {
        var client = await broker.ClientAsync(cancellationToken);
        var raw = await client.GetRawAsync(serviceId, local: true, cancellationToken);
        if (raw is null)
        {
            return HloOutcome.NotFound;
        }
        var service = ContinuumMapper.FromNgsiLd<Service>(raw);
        if (service.DomainHandler is { } handler && handler != DomainUrn)
        {
            var forwarded = await handoffs.ForwardAsync(client, handler, HttpMethod.Put, serviceId, text, DomainName, cancellationToken);
            return forwarded.Ok ? HloOutcome.Accepted : forwarded.Status == 404 ? HloOutcome.NotFound : HloOutcome.BadGateway;
        }
        var existing = await ComponentsAsync(client, serviceId, cancellationToken);
        if (blueprint is null)
        {
            foreach (var c in existing.Where(c => c.ServiceComponentStatus is not ServiceComponentStatus.Removing))
            {
                await client.MergeAsync(c.Id, new Dictionary<string, object?>
                {
                    ["serviceComponentStatus"] = ServiceComponentStatus.Migrating,
                    ["statusReason"] = "re-allocation requested",
                }, cancellationToken);
            }
        }
        else
        {
            var entities = BlueprintMapper.ToEntities(serviceId, blueprint);
            var byId = existing.ToDictionary(c => c.Id, StringComparer.Ordinal);
            var keep = entities.Components.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in existing.Where(c => !keep.Contains(c.Id) && c.ServiceComponentStatus != ServiceComponentStatus.Removing))
            {
                await client.MergeAsync(gone.Id, new Dictionary<string, object?> { ["serviceComponentStatus"] = ServiceComponentStatus.Removing }, cancellationToken);
            }
            // Keep each component's generation (and element until re-placed) so the next decision raises it: the LLO
            // applies a changed spec only with a new generation.
            var components = entities.Components.Select(c => byId.TryGetValue(c.Id, out var old)
                ? c with { Generation = old.Generation, InfrastructureElement = old.InfrastructureElement, ServiceComponentStatus = ServiceComponentStatus.Migrating }
                : c).ToList();
            var service2 = entities.Service with { DomainHandler = DomainUrn };
            await client.UpsertManyAsync([service2, .. components, .. entities.Requirements, .. entities.Ports, .. entities.Connections], cancellationToken);
            await client.MergeAsync(serviceId, new Dictionary<string, object?> { [BlueprintAttribute] = text }, cancellationToken);
        }
        queue.Add(serviceId);
        return HloOutcome.Accepted;
    }

    /// <summary>
    /// Removes a service: its components become Removing (the LLO stops their copies and deletes them), its network
    /// connections and the Service entity are deleted at once; components left without their service are set Removing
    /// again by every rescan until the LLO has deleted them. A handed-off service is deleted in the handling domain first.
    /// </summary>
    public async Task<HloOutcome> DeleteAsync(string serviceId, CancellationToken cancellationToken)
    {
        var client = await broker.ClientAsync(cancellationToken);
        var raw = await client.GetRawAsync(serviceId, local: true, cancellationToken);
        var components = await ComponentsAsync(client, serviceId, cancellationToken);
        if (raw is null && components.Count == 0)
        {
            return HloOutcome.NotFound;
        }
        if (raw is not null && ContinuumMapper.FromNgsiLd<Service>(raw).DomainHandler is { } handler && handler != DomainUrn)
        {
            var forwarded = await handoffs.ForwardAsync(client, handler, HttpMethod.Delete, serviceId, null, DomainName, cancellationToken);
            if (!forwarded.Ok && forwarded.Status != 404)
            {
                return HloOutcome.BadGateway;
            }
        }
        await MarkRemovingAsync(client, components, cancellationToken);
        if (raw is not null)
        {
            await client.DeleteAsync(serviceId, cancellationToken);
        }
        LogDeleted(logger, serviceId, components.Count);
        return HloOutcome.Accepted;
    }

    /// <summary>
    /// An element asks for re-orchestration (aerOS ie-alert): the named components (or every one on it) are placed again
    /// away from it. Returns the components that will move; NotFound when the element has none of them.
    /// </summary>
    public async Task<(HloOutcome Outcome, IReadOnlyList<string> Components)> AlertAsync(string elementId, string reason, IReadOnlyList<string>? named,
        CancellationToken cancellationToken)
    {
        var client = await broker.ClientAsync(cancellationToken);
        var onElement = await client.QueryAsync<ServiceComponent>($"infrastructureElement==\"{elementId}\"", local: true, cancellationToken: cancellationToken);
        var moving = onElement.Where(c => c.ServiceComponentStatus is ServiceComponentStatus.Starting or ServiceComponentStatus.Running
                or ServiceComponentStatus.Overload or ServiceComponentStatus.Failed)
            .Where(c => named is null || named.Contains(c.Id, StringComparer.Ordinal))
            .ToList();
        if (moving.Count == 0)
        {
            return (HloOutcome.NotFound, []);
        }
        foreach (var c in moving)
        {
            Exclude(c.Id, elementId);
            await client.MergeAsync(c.Id, new Dictionary<string, object?>
            {
                ["serviceComponentStatus"] = ServiceComponentStatus.Migrating,
                ["statusReason"] = $"alert from {elementId}: {reason}",
            }, cancellationToken);
        }
        foreach (var service in moving.Select(c => c.Service).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            queue.Add(service);
        }
        LogAlert(logger, elementId, moving.Count, reason);
        return (HloOutcome.Accepted, moving.Select(c => c.Id).ToList());
    }

    /// <summary>
    /// Failover (the LLO's <see cref="Llo.IComponentReplacer"/>): the component becomes Migrating and is placed again at
    /// once, away from <paramref name="lostElementId"/>. Idempotent: nothing happens when it is no longer on that element.
    /// </summary>
    public async Task ReplaceAsync(string componentId, string lostElementId, CancellationToken cancellationToken)
    {
        var client = await broker.ClientAsync(cancellationToken);
        var component = await client.GetAsync<ServiceComponent>(componentId, local: true, cancellationToken);
        if (component is null || component.InfrastructureElement != lostElementId || component.Service is null
            || component.ServiceComponentStatus is not (ServiceComponentStatus.Starting or ServiceComponentStatus.Running
                or ServiceComponentStatus.Overload or ServiceComponentStatus.Migrating))
        {
            return;
        }
        Exclude(componentId, lostElementId);
        if (component.ServiceComponentStatus != ServiceComponentStatus.Migrating)
        {
            await client.MergeAsync(componentId, new Dictionary<string, object?>
            {
                ["serviceComponentStatus"] = ServiceComponentStatus.Migrating,
                ["statusReason"] = $"element {lostElementId} lost",
            }, cancellationToken);
        }
        LogFailover(logger, componentId, lostElementId);
        await ProcessAsync(component.Service, "failover", cancellationToken);
    }

    /// <summary>
    /// Does what the broker says is left to do for a service: places its Locating and Migrating components (or hands it
    /// to another domain), sets components of a deleted service Removing, removes leftovers of a handed-off service.
    /// </summary>
    public async Task ProcessAsync(string serviceId, string kind, CancellationToken cancellationToken)
    {
        var client = await broker.ClientAsync(cancellationToken);
        var raw = await client.GetRawAsync(serviceId, local: true, cancellationToken);
        var components = await ComponentsAsync(client, serviceId, cancellationToken);
        if (raw is null)
        {
            // Deleted (a crash may have come between the delete and the Removing writes): remove what is left.
            await MarkRemovingAsync(client, components, cancellationToken);
            return;
        }
        var service = ContinuumMapper.FromNgsiLd<Service>(raw);
        if (service.DomainHandler is { } handler && handler != DomainUrn)
        {
            // A hand-off a crash interrupted is finished; a finished one needs nothing here.
            if (StringAttribute(raw, HandoffStateAttribute) == HandoffPending)
            {
                await HandOffAsync(client, serviceId, raw, handler, cancellationToken);
            }
            return;
        }
        if (!components.Any(Pending))
        {
            return;
        }
        var receivedFrom = StringAttribute(raw, HandoffFromAttribute);
        var start = time.GetTimestamp();
        string? handoffDomain = null;
        await _placementLock.WaitAsync(cancellationToken);
        try
        {
            // Read again under the lock: another placement may have just written this service.
            components = await ComponentsAsync(client, serviceId, cancellationToken);
            var batch = components.Where(Pending).ToList();
            if (batch.Count == 0)
            {
                return;
            }
            var excluded = batch.SelectMany(c => _exclusions.TryGetValue(c.Id, out var set) ? set : []).ToHashSet(StringComparer.Ordinal);
            var localInputs = await PlacementInputs.ReadAsync(client, local: true, cancellationToken);
            var result = solver.Solve(localInputs.Problem(batch, excluded), cancellationToken);
            // Nothing (or not everything) fits here: look at the whole continuum, unless the service was handed here
            // (no loops) or it is a re-placement (a failover stays in the domain).
            if (result.Unplaced > 0 && receivedFrom is null && batch.All(c => c.ServiceComponentStatus == ServiceComponentStatus.Locating))
            {
                var everywhere = await PlacementInputs.ReadAsync(client, local: false, cancellationToken);
                var federated = solver.Solve(everywhere.Problem(batch, excluded), cancellationToken);
                var elementDomains = everywhere.Elements.ToDictionary(e => e.Id, e => e.Domain, StringComparer.Ordinal);
                if (federated.Unplaced == 0)
                {
                    // The domain that got most components takes the whole service.
                    handoffDomain = federated.Decisions
                        .Select(d => elementDomains.GetValueOrDefault(d.NodeId!))
                        .Where(d => d is not null && d != DomainUrn)
                        .GroupBy(d => d!, StringComparer.Ordinal)
                        .OrderByDescending(g => g.Count())
                        .Select(g => g.Key)
                        .FirstOrDefault();
                    if (handoffDomain is null)
                    {
                        result = federated;
                    }
                }
            }
            if (handoffDomain is null)
            {
                await WriteDecisionsAsync(client, batch, result, kind, cancellationToken);
                metrics.DecisionLatency(time.GetElapsedTime(start));
            }
        }
        finally
        {
            _placementLock.Release();
        }
        if (handoffDomain is not null)
        {
            await HandOffAsync(client, serviceId, raw, handoffDomain, cancellationToken);
        }
    }

    /// <summary>
    /// Queues every service with work left in the broker: components Locating or Migrating, components whose service is
    /// gone and not yet Removing, hand-offs a crash interrupted. Runs at start and every rescan period.
    /// </summary>
    public async Task RescanAsync(CancellationToken cancellationToken)
    {
        var client = await broker.ClientAsync(cancellationToken);
        // Components first: a component seen here was written after its service, so the service read next has it too.
        var components = await client.QueryAsync<ServiceComponent>(null, local: true, cancellationToken: cancellationToken);
        var raws = await client.QueryRawAsync(ContinuumMapper.EntityType<Service>(), null, local: true, cancellationToken: cancellationToken);
        var services = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in raws)
        {
            if (raw["id"] is JsonValue v && v.TryGetValue<string>(out var id))
            {
                services.Add(id);
                if (StringAttribute(raw, HandoffStateAttribute) == HandoffPending)
                {
                    queue.Add(id);
                }
            }
        }
        foreach (var c in components)
        {
            if (c.Service is { } serviceId
                && (Pending(c) || (!services.Contains(serviceId) && c.ServiceComponentStatus != ServiceComponentStatus.Removing)))
            {
                queue.Add(serviceId);
            }
        }
    }

    /// <summary>The components of a service in this domain's broker.</summary>
    public static Task<IReadOnlyList<ServiceComponent>> ComponentsAsync(ContinuumClient client, string serviceId, CancellationToken cancellationToken) =>
        client.QueryAsync<ServiceComponent>($"service==\"{serviceId}\"", local: true, cancellationToken: cancellationToken);

    /// <summary>A string Property of a raw entity, or null.</summary>
    public static string? StringAttribute(JsonObject entity, string name) =>
        entity[name] is JsonObject a && a["value"] is JsonValue v && v.TryGetValue<string>(out var s) ? s
        : entity[name] is JsonValue plain && plain.TryGetValue<string>(out var p) ? p : null;

    private static bool Pending(ServiceComponent c) => c.ServiceComponentStatus is ServiceComponentStatus.Locating or ServiceComponentStatus.Migrating;

    private void Exclude(string componentId, string elementId)
    {
        var set = _exclusions.GetOrAdd(componentId, _ => new HashSet<string>(StringComparer.Ordinal));
        lock (set)
        {
            set.Add(elementId);
        }
    }

    private async Task WriteDecisionsAsync(ContinuumClient client, IReadOnlyList<ServiceComponent> batch, PlacementResult result, string kind,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var placed = 0;
        var failed = 0;
        foreach (var decision in result.Decisions)
        {
            var component = batch.First(c => c.Id == decision.ComponentId);
            // Read-check-write: a DELETE may have set it Removing meanwhile.
            var current = await client.GetAsync<ServiceComponent>(component.Id, local: true, cancellationToken);
            if (current is null || !Pending(current))
            {
                continue;
            }
            var record = new ComponentPlacementDecision(decision.Solver, decision.Objective, decision.Reason, now);
            if (decision.NodeId is { } node)
            {
                var generation = (current.Generation ?? 0) + 1;
                await client.MergeAsync(component.Id, new Dictionary<string, object?>
                {
                    ["infrastructureElement"] = new JsonObject { ["type"] = "Relationship", ["object"] = node },
                    ["serviceComponentStatus"] = ServiceComponentStatus.Starting,
                    ["generation"] = generation,
                    ["placementDecision"] = record,
                    ["statusReason"] = null,
                }, cancellationToken);
                _exclusions.TryRemove(component.Id, out _);
                placed++;
                LogPlaced(logger, component.Id, node, generation, decision.Reason);
            }
            else
            {
                await client.MergeAsync(component.Id, new Dictionary<string, object?>
                {
                    ["serviceComponentStatus"] = ServiceComponentStatus.Failed,
                    ["statusReason"] = "no element fits: " + decision.Reason,
                    ["placementDecision"] = record,
                }, cancellationToken);
                failed++;
                LogUnplaced(logger, component.Id, decision.Reason);
            }
        }
        if (placed > 0)
        {
            metrics.Placed(kind, placed);
        }
        if (failed > 0)
        {
            metrics.Unplaced(failed);
        }
    }

    /// <summary>
    /// Hands the service to <paramref name="domainUrn"/>'s HLO. The local entities go first: the federation forwards
    /// deletes to every domain and the entities keep their ids there, so deleting them after the hand-off would delete
    /// the receiver's copies. Steps (each repeatable after a crash): mark the Service (domainHandler, handoffState
    /// pending) → delete the local components, requirements, ports and connections → POST the blueprint → handoffState
    /// done. If the other domain does not accept it, the components are written again as Failed with the reason.
    /// </summary>
    private async Task HandOffAsync(ContinuumClient client, string serviceId, JsonObject raw, string domainUrn, CancellationToken cancellationToken)
    {
        var text = StringAttribute(raw, BlueprintAttribute);
        await client.MergeAsync(serviceId, new Dictionary<string, object?>
        {
            ["domainHandler"] = new JsonObject { ["type"] = "Relationship", ["object"] = domainUrn },
            [HandoffStateAttribute] = HandoffPending,
        }, cancellationToken);
        await DeleteLocalCopiesAsync(client, await ComponentsAsync(client, serviceId, cancellationToken), cancellationToken);
        var outcome = text is null
            ? new ForwardResult(false, 0, "the service has no stored blueprint to send")
            : await handoffs.ForwardAsync(client, domainUrn, HttpMethod.Post, serviceId, text, DomainName, cancellationToken);
        // 409: an earlier attempt (before a crash) already arrived.
        if (outcome.Ok || outcome.Status == 409)
        {
            await client.MergeAsync(serviceId, new Dictionary<string, object?> { [HandoffStateAttribute] = "done" }, cancellationToken);
            metrics.HandedOff(true);
            LogHandedOff(logger, serviceId, domainUrn);
            return;
        }
        metrics.HandedOff(false);
        LogHandoffFailed(logger, serviceId, domainUrn, outcome.Detail);
        var reason = $"nothing fits in {DomainName}; hand-off to {domainUrn} failed: {outcome.Detail}";
        var parsed = text is null ? null : BlueprintParser.Parse(text).Blueprint;
        if (parsed is not null)
        {
            var entities = BlueprintMapper.ToEntities(serviceId, parsed);
            await client.UpsertManyAsync([
                .. entities.Components.Select(c => c with { ServiceComponentStatus = ServiceComponentStatus.Failed, StatusReason = reason }),
                .. entities.Requirements, .. entities.Ports, .. entities.Connections], cancellationToken);
        }
        await client.MergeAsync(serviceId, new Dictionary<string, object?>
        {
            ["domainHandler"] = new JsonObject { ["type"] = "Relationship", ["object"] = DomainUrn },
            [HandoffStateAttribute] = "failed",
        }, cancellationToken);
        metrics.Unplaced(parsed?.Components.Count ?? 1);
    }

    private static async Task MarkRemovingAsync(ContinuumClient client, IReadOnlyList<ServiceComponent> components, CancellationToken cancellationToken)
    {
        foreach (var c in components)
        {
            foreach (var connection in await client.QueryAsync<NetworkConnection>($"linkFrom==\"{c.Id}\"", local: true, cancellationToken: cancellationToken))
            {
                await client.DeleteAsync(connection.Id, cancellationToken);
            }
            if (c.ServiceComponentStatus != ServiceComponentStatus.Removing)
            {
                try
                {
                    await client.MergeAsync(c.Id, new Dictionary<string, object?> { ["serviceComponentStatus"] = ServiceComponentStatus.Removing }, cancellationToken);
                }
                catch (ContinuumClientException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
                {
                    // The LLO deleted it meanwhile.
                }
            }
        }
    }

    /// <summary>Deletes the local entities of a service now handled by another domain (never placed here, so no workload runs).</summary>
    private static async Task DeleteLocalCopiesAsync(ContinuumClient client, IReadOnlyList<ServiceComponent> components, CancellationToken cancellationToken)
    {
        foreach (var c in components)
        {
            foreach (var connection in await client.QueryAsync<NetworkConnection>($"linkFrom==\"{c.Id}\"", local: true, cancellationToken: cancellationToken))
            {
                await client.DeleteAsync(connection.Id, cancellationToken);
            }
            foreach (var port in c.NetworkPorts ?? [])
            {
                await client.DeleteAsync(port, cancellationToken);
            }
            if (c.InfrastructureElementRequirements is { } requirements)
            {
                await client.DeleteAsync(requirements, cancellationToken);
            }
            await client.DeleteAsync(c.Id, cancellationToken);
        }
    }

    [LoggerMessage(EventId = 5400, Level = LogLevel.Information, Message = "Service {ServiceId} submitted with {Components} component(s) (handed off from {From})")]
    private static partial void LogSubmitted(ILogger logger, string serviceId, int components, string from);

    [LoggerMessage(EventId = 5401, Level = LogLevel.Information, Message = "Component {ComponentId} placed on {ElementId} (generation {Generation}): {Reason}")]
    private static partial void LogPlaced(ILogger logger, string componentId, string elementId, long generation, string reason);

    [LoggerMessage(EventId = 5402, Level = LogLevel.Warning, Message = "Component {ComponentId} cannot be placed: {Reason}")]
    private static partial void LogUnplaced(ILogger logger, string componentId, string reason);

    [LoggerMessage(EventId = 5403, Level = LogLevel.Information, Message = "Service {ServiceId} handed off to {Domain}")]
    private static partial void LogHandedOff(ILogger logger, string serviceId, string domain);

    [LoggerMessage(EventId = 5404, Level = LogLevel.Warning, Message = "Hand-off of service {ServiceId} to {Domain} failed: {Detail}")]
    private static partial void LogHandoffFailed(ILogger logger, string serviceId, string domain, string detail);

    [LoggerMessage(EventId = 5405, Level = LogLevel.Information, Message = "Service {ServiceId} deleted ({Components} component(s) set Removing)")]
    private static partial void LogDeleted(ILogger logger, string serviceId, int components);

    [LoggerMessage(EventId = 5406, Level = LogLevel.Information, Message = "Alert from {ElementId}: {Components} component(s) re-placed ({Reason})")]
    private static partial void LogAlert(ILogger logger, string elementId, int components, string reason);

    [LoggerMessage(EventId = 5407, Level = LogLevel.Warning, Message = "Failover: component {ComponentId} leaves lost element {ElementId}")]
    private static partial void LogFailover(ILogger logger, string componentId, string elementId);
}
