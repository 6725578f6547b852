using Aeros.Abstractions.Continuum;
using Aeros.Continuum;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Llo;

/// <summary>What a reconcile asks of the loop.</summary>
internal enum ReconcileOutcome
{
    /// <summary>Converged (or nothing for this LLO to do).</summary>
    Done,

    /// <summary>Look again after <see cref="ReconcileResult.Delay"/> (a workload is still starting).</summary>
    RequeueAfter,

    /// <summary>Something failed that may work later: retry with the key's backoff.</summary>
    Retry,
}

/// <summary>The result of one reconcile.</summary>
internal readonly record struct ReconcileResult(ReconcileOutcome Outcome, TimeSpan Delay = default, string? Error = null)
{
    public static ReconcileResult Done { get; } = new(ReconcileOutcome.Done);

    public static ReconcileResult After(TimeSpan delay) => new(ReconcileOutcome.RequeueAfter, delay);

    public static ReconcileResult Retry(string error) => new(ReconcileOutcome.Retry, default, error);
}

/// <summary>
/// Reconciles one component: reads the desired state from the broker (the component, the domain's elements) and the
/// actual state from the agents (their workload lists) every time, keeps exactly one workload
/// (<see cref="WorkloadNaming.Name"/> of the component's generation) on the component's element, stops every other
/// copy on the domain's agents (stale-copy fencing), and writes the status back with a read-check-write.
/// Nothing is remembered between calls but the caller's failure clock, so a restarted LLO converges the same way.
/// </summary>
internal sealed partial class ComponentReconciler(LloBroker broker, AgentClient agents, IOptions<LloOptions> options, ILogger<ComponentReconciler> logger)
{
    private static readonly TimeSpan PollStarting = TimeSpan.FromMilliseconds(500);

    private readonly LloOptions _options = options.Value;

    private string DomainUrn => ContinuumIds.Domain(_options.DomainName!);

    /// <summary>The elements of this LLO's domain (their <c>domain</c> relationship).</summary>
    public async Task<IReadOnlyList<InfrastructureElement>> DomainElementsAsync(ContinuumClient client, CancellationToken cancellationToken)
    {
        var urn = DomainUrn;
        var elements = await client.QueryAsync<InfrastructureElement>($"domain==\"{urn}\"", local: true, cancellationToken: cancellationToken);
        // The query may be federated: keep only this domain's elements.
        return elements.Where(e => e.Domain == urn).ToList();
    }

    /// <summary>Reconciles <paramref name="componentId"/>; <paramref name="failingFor"/> is how long its reconciles have been failing in a row.</summary>
    public async Task<ReconcileResult> ReconcileAsync(string componentId, TimeSpan? failingFor, CancellationToken cancellationToken)
    {
        var client = await broker.ClientAsync(cancellationToken);
        ServiceComponent? component;
        IReadOnlyList<InfrastructureElement> elements;
        try
        {
            component = await client.GetAsync<ServiceComponent>(componentId, local: true, cancellationToken);
            elements = await DomainElementsAsync(client, cancellationToken);
        }
        catch (ContinuumClientException e)
        {
            return ReconcileResult.Retry("broker: " + e.Message);
        }

        var status = component?.ServiceComponentStatus;
        var elementId = component?.InfrastructureElement;
        var generation = component?.Generation ?? 0;
        var target = elementId is null ? null : elements.FirstOrDefault(e => e.Id == elementId);
        var ours = target is not null;
        var unknownElement = false;
        if (component is not null && elementId is not null && target is null)
        {
            try
            {
                unknownElement = await client.GetAsync<InfrastructureElement>(elementId, local: true, cancellationToken) is null;
            }
            catch (ContinuumClientException e)
            {
                return ReconcileResult.Retry("broker: " + e.Message);
            }
        }

        // Actual state: the copies of this component on every agent of the domain.
        var keepName = component is not null && status != ServiceComponentStatus.Removing && ours ? WorkloadNaming.Name(componentId, generation) : null;
        var fence = await FenceAsync(componentId, elements, target?.Id, keepName, cancellationToken);

        if (component is null)
        {
            return fence.Error is null ? ReconcileResult.Done : ReconcileResult.Retry(fence.Error);
        }
        if (status == ServiceComponentStatus.Removing)
        {
            if (!ours && !unknownElement && elementId is not null)
            {
                return ReconcileResult.Done;
            }
            if (fence.Error is not null)
            {
                return ReconcileResult.Retry(fence.Error);
            }
            return await RemoveEntitiesAsync(client, component, cancellationToken);
        }
        if (!ours)
        {
            if (unknownElement && status is ServiceComponentStatus.Starting or ServiceComponentStatus.Running)
            {
                return await WriteStatusAsync(client, component, ServiceComponentStatus.Failed, $"unknown element {elementId}", cancellationToken);
            }
            return fence.Error is null ? ReconcileResult.Done : ReconcileResult.Retry(fence.Error);
        }

        var startable = status is ServiceComponentStatus.Starting or ServiceComponentStatus.Running or ServiceComponentStatus.Overload;
        var result = startable
            ? await EnsureRunningAsync(client, component, target!, fence, failingFor, cancellationToken)
            : status == ServiceComponentStatus.Failed && fence.Kept is { } kept
                // A crash loop that recovered is Running again.
                ? await MapStateAsync(client, component, kept, cancellationToken)
                : ReconcileResult.Done;
        return result.Outcome == ReconcileOutcome.Done && fence.Error is not null ? ReconcileResult.Retry(fence.Error) : result;
    }

    private async Task<ReconcileResult> EnsureRunningAsync(ContinuumClient client, ServiceComponent component, InfrastructureElement target,
        FenceResult fence, TimeSpan? failingFor, CancellationToken cancellationToken)
    {
        if (target.Reachable == false)
        {
            // The element monitor hands its components to the replacer; nothing can start there now.
            return ReconcileResult.Done;
        }
        if (string.IsNullOrWhiteSpace(target.SelfApiUrl))
        {
            return await WriteStatusAsync(client, component, ServiceComponentStatus.Failed,
                $"element {target.Id} has no selfApiUrl: its agent does not say where its API is", cancellationToken);
        }
        var copy = fence.Kept;
        if (copy is null)
        {
            if (fence.TargetError is { } listError)
            {
                return await AgentDownAsync(client, component, target, listError, failingFor, cancellationToken);
            }
            var generation = component.Generation ?? 0;
            IReadOnlyList<NetworkPort> ports;
            try
            {
                ports = await PortsAsync(client, component, cancellationToken);
            }
            catch (ContinuumClientException e)
            {
                return ReconcileResult.Retry("broker: " + e.Message);
            }
            var spec = WorkloadSpecBuilder.Build(component, generation, target.Id, ports, out var specError);
            if (spec is null)
            {
                return await WriteStatusAsync(client, component, ServiceComponentStatus.Failed, specError!, cancellationToken);
            }
            var name = WorkloadNaming.Name(component.Id, generation);
            var put = await agents.PutAsync(target.SelfApiUrl, name, spec, cancellationToken);
            if (put.Rejected is { } refused)
            {
                LogRefused(logger, component.Id, target.Id, refused);
                return await WriteStatusAsync(client, component, ServiceComponentStatus.Failed, refused, cancellationToken);
            }
            if (put.Unreachable is { } down)
            {
                return await AgentDownAsync(client, component, target, down, failingFor, cancellationToken);
            }
            LogStarted(logger, component.Id, generation, target.Id, name);
            copy = put.Value!;
        }
        return await MapStateAsync(client, component, copy, cancellationToken);
    }

    private async Task<ReconcileResult> AgentDownAsync(ContinuumClient client, ServiceComponent component, InfrastructureElement target, string error,
        TimeSpan? failingFor, CancellationToken cancellationToken)
    {
        if (failingFor is { } failing && failing >= _options.StartTimeout)
        {
            return await WriteStatusAsync(client, component, ServiceComponentStatus.Failed,
                $"agent of {target.Id} unreachable for {_options.StartTimeout.TotalSeconds:0.#} s: {error}", cancellationToken);
        }
        return ReconcileResult.Retry(error);
    }

    /// <summary>Writes the status the agent's state of the copy stands for.</summary>
    private async Task<ReconcileResult> MapStateAsync(ContinuumClient client, ServiceComponent component, AgentWorkload copy, CancellationToken cancellationToken)
    {
        switch (copy.State)
        {
            case "Running":
                return await WriteStatusAsync(client, component, ServiceComponentStatus.Running, null, cancellationToken);
            case "Failed":
                return await WriteStatusAsync(client, component, ServiceComponentStatus.Failed, copy.LastError ?? "the agent could not run the workload", cancellationToken);
            case "CrashLoop":
                var written = await WriteStatusAsync(client, component, ServiceComponentStatus.Failed,
                    $"crash loop after {copy.Restarts} restarts: {copy.LastError ?? $"exit code {copy.LastExitCode}"}", cancellationToken);
                // The agent keeps restarting it; look again later in case it recovers.
                return written.Outcome == ReconcileOutcome.Done ? ReconcileResult.After(_options.ResyncPeriod) : written;
            case "Exited" when copy.WaitingForRestart:
                return ReconcileResult.After(PollStarting);
            case "Exited" when copy.LastExitCode == 0 && component.IsJob == true:
                return await WriteStatusAsync(client, component, ServiceComponentStatus.Finished, null, cancellationToken);
            case "Exited":
                return await WriteStatusAsync(client, component, ServiceComponentStatus.Failed, $"exited with code {copy.LastExitCode}", cancellationToken);
            default:
                // Pending, Starting, Stopped: not settled yet.
                return ReconcileResult.After(PollStarting);
        }
    }

    /// <summary>
    /// Read-check-write of the status: written only if the component still has the generation and element this
    /// reconcile acted on and is in a status the LLO may change (never over Removing, Migrating, Locating, Finished).
    /// </summary>
    private async Task<ReconcileResult> WriteStatusAsync(ContinuumClient client, ServiceComponent acted, ServiceComponentStatus status, string? reason,
        CancellationToken cancellationToken)
    {
        try
        {
            var current = await client.GetAsync<ServiceComponent>(acted.Id, local: true, cancellationToken);
            if (current is null || (current.Generation ?? 0) != (acted.Generation ?? 0) || current.InfrastructureElement != acted.InfrastructureElement
                || current.ServiceComponentStatus is not (ServiceComponentStatus.Starting or ServiceComponentStatus.Running or ServiceComponentStatus.Overload or ServiceComponentStatus.Failed))
            {
                return ReconcileResult.Done;
            }
            if (current.ServiceComponentStatus == status && current.StatusReason == reason)
            {
                return ReconcileResult.Done;
            }
            await client.MergeAsync(acted.Id, new Dictionary<string, object?>
            {
                ["serviceComponentStatus"] = status,
                ["statusReason"] = reason,
            }, cancellationToken);
            LogStatus(logger, acted.Id, acted.Generation ?? 0, status, reason ?? "");
            return ReconcileResult.Done;
        }
        catch (ContinuumClientException e)
        {
            return ReconcileResult.Retry("broker: " + e.Message);
        }
    }

    private async Task<ReconcileResult> RemoveEntitiesAsync(ContinuumClient client, ServiceComponent component, CancellationToken cancellationToken)
    {
        try
        {
            // The component goes last: until then it still says Removing, so a crash in between is finished on restart.
            foreach (var port in component.NetworkPorts ?? [])
            {
                await client.DeleteAsync(port, cancellationToken);
            }
            await client.DeleteAsync(component.InfrastructureElementRequirements ?? ContinuumIds.Requirements(component.Id), cancellationToken);
            await client.DeleteAsync(component.Id, cancellationToken);
            LogRemoved(logger, component.Id);
            return ReconcileResult.Done;
        }
        catch (ContinuumClientException e)
        {
            return ReconcileResult.Retry("broker: " + e.Message);
        }
    }

    private static async Task<IReadOnlyList<NetworkPort>> PortsAsync(ContinuumClient client, ServiceComponent component, CancellationToken cancellationToken)
    {
        var ports = new List<NetworkPort>();
        foreach (var id in component.NetworkPorts ?? [])
        {
            if (await client.GetAsync<NetworkPort>(id, local: true, cancellationToken) is { } port)
            {
                ports.Add(port);
            }
        }
        return ports;
    }

    /// <summary>What fencing found: the copy to keep (on the target), an error listing the target, and the first other error.</summary>
    private sealed record FenceResult(AgentWorkload? Kept, string? TargetError, string? Error);

    /// <summary>
    /// Lists the copies of the component on every agent of the domain and deletes every one but <paramref name="keepName"/>
    /// on <paramref name="keepElement"/>. Agents of elements marked unreachable that do not answer are skipped (their
    /// copies are fenced when they are back); any other failure is reported so the reconcile is retried.
    /// </summary>
    private async Task<FenceResult> FenceAsync(string componentId, IReadOnlyList<InfrastructureElement> elements, string? keepElement, string? keepName,
        CancellationToken cancellationToken)
    {
        var hash = WorkloadNaming.Hash(componentId);
        var withAgents = elements.Where(e => !string.IsNullOrWhiteSpace(e.SelfApiUrl)).ToList();
        var lists = await Task.WhenAll(withAgents.Select(e => agents.ListAsync(e.SelfApiUrl!, cancellationToken)));
        AgentWorkload? kept = null;
        string? targetError = null;
        string? error = null;
        for (var i = 0; i < withAgents.Count; i++)
        {
            var element = withAgents[i];
            var list = lists[i];
            if (!list.Ok)
            {
                if (element.Id == keepElement)
                {
                    targetError = list.Unreachable;
                }
                else if (element.Reachable != false)
                {
                    error ??= list.Unreachable;
                }
                continue;
            }
            foreach (var copy in list.Value!.Where(w => IsCopyOf(w, componentId, hash)))
            {
                if (element.Id == keepElement && copy.Name == keepName)
                {
                    kept = copy;
                    continue;
                }
                var deleted = await agents.DeleteAsync(element.SelfApiUrl!, copy.Name, cancellationToken);
                if (deleted.Ok)
                {
                    LogFenced(logger, copy.Name, componentId, copy.Generation ?? -1, element.Id);
                }
                else
                {
                    error ??= deleted.Unreachable;
                }
            }
        }
        return new FenceResult(kept, targetError, error);
    }

    private static bool IsCopyOf(AgentWorkload workload, string componentId, string hash) =>
        workload.ComponentId is { } id
            ? id == componentId
            : WorkloadNaming.TryParse(workload.Name, out var h, out _) && h == hash;

    [LoggerMessage(EventId = 5200, Level = LogLevel.Information, Message = "Component {ComponentId} generation {Generation}: workload {Workload} started on {ElementId}")]
    private static partial void LogStarted(ILogger logger, string componentId, long generation, string elementId, string workload);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "Component {ComponentId} generation {Generation} is {Status} {Reason}")]
    private static partial void LogStatus(ILogger logger, string componentId, long generation, ServiceComponentStatus status, string reason);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Information, Message = "Stopped workload {Workload} of component {ComponentId} (generation {Generation}) on {ElementId}: not the current copy")]
    private static partial void LogFenced(ILogger logger, string workload, string componentId, long generation, string elementId);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Warning, Message = "The agent of {ElementId} refused component {ComponentId}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string componentId, string elementId, string reason);

    [LoggerMessage(EventId = 5204, Level = LogLevel.Information, Message = "Component {ComponentId} removed: its workloads are stopped and its entities deleted")]
    private static partial void LogRemoved(ILogger logger, string componentId);
}
