namespace Aeros.Abstractions.Continuum;

/// <summary>One container or process of a service (<c>ServiceComponent</c>); id <see cref="ContinuumIds.ServiceComponent"/>.</summary>
public sealed record ServiceComponent : ContinuumEntity
{
    /// <summary>The element it is placed on (Relationship).</summary>
    public string? InfrastructureElement { get; init; }

    /// <summary>Its service (Relationship).</summary>
    public string? Service { get; init; }

    /// <summary>State (Relationship to <c>urn:ngsi-ld:ServiceComponentStatus:*</c>).</summary>
    public ServiceComponentStatus? ServiceComponentStatus { get; init; }

    /// <summary>Its requirements (Relationship <c>infrastructureElementRequirements</c>).</summary>
    public string? InfrastructureElementRequirements { get; init; }

    /// <summary>Container image (or the command for the process runtime).</summary>
    public string? ContainerImage { get; init; }

    /// <summary>Command-line arguments.</summary>
    public IReadOnlyList<KeyValueEntry>? CliArgs { get; init; }

    /// <summary>Environment variables.</summary>
    public IReadOnlyList<KeyValueEntry>? EnvVars { get; init; }

    /// <summary>Its ports (Relationship to NetworkPort entities).</summary>
    public IReadOnlyList<string>? NetworkPorts { get; init; }

    /// <summary>Its storage (Relationship to PersistentStorage entities).</summary>
    public IReadOnlyList<string>? PersistentStorage { get; init; }

    /// <summary>Whether it runs to completion.</summary>
    public bool? IsJob { get; init; }

    /// <summary>Whether its ports are exposed outside the element.</summary>
    public bool? ExposePorts { get; init; }

    /// <summary>Whether the image repository is private.</summary>
    public bool? IsPrivate { get; init; }

    /// <summary>User name for a private repository.</summary>
    public string? RepoUsername { get; init; }

    /// <summary>Password for a private repository.</summary>
    public string? RepoPassword { get; init; }

    /// <summary>Its IP address in the service overlay.</summary>
    public string? OverlayNetworkIP { get; init; }

    /// <summary>CPU it uses, cores.</summary>
    public double? CurrentCpuUsage { get; init; }

    /// <summary>Memory it uses, MB.</summary>
    public double? CurrentMemoryUsage { get; init; }

    /// <summary>
    /// Aeros extension: the executable when the component runs as a host process (the blueprint's process artifact)
    /// instead of a container; null for containers.
    /// </summary>
    public string? ProcessCommand { get; init; }

    /// <summary>Aeros extension: the arguments of <see cref="ProcessCommand"/>, in order.</summary>
    public IReadOnlyList<string>? ProcessArgs { get; init; }

    /// <summary>
    /// Aeros extension: raised by the HLO at every (re)placement, so the LLO can tell the current copy of a component
    /// from a stale one left on an element that was lost and came back.
    /// </summary>
    public long? Generation { get; init; }

    /// <summary>Aeros extension: why the component is in its status (the constraint nothing satisfies, the start error...).</summary>
    public string? StatusReason { get; init; }

    /// <summary>Aeros extension: why the HLO chose <see cref="InfrastructureElement"/> (or why nothing fits), written with every decision.</summary>
    public ComponentPlacementDecision? PlacementDecision { get; init; }
}

/// <summary>
/// Aeros extension: the HLO's placement decision for a component (attribute <c>placementDecision</c>, a Property whose
/// value is a JSON object; see docs/orchestration.md, "How to read a decision").
/// </summary>
/// <param name="Solver">The solver that decided: <c>heuristic</c> or <c>cp-sat</c>.</param>
/// <param name="Objective">The component's share of the objective (lower is better); null when it was not placed.</param>
/// <param name="Reason">Why the element won, or which constraint nothing satisfies.</param>
/// <param name="DecidedAt">When the HLO decided.</param>
public sealed record ComponentPlacementDecision(string Solver, double? Objective, string Reason, DateTimeOffset DecidedAt);
