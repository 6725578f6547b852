namespace Aeros.Abstractions.Continuum;

/// <summary>A low-level orchestrator of a domain (<c>LowLevelOrchestrator</c>); id <see cref="ContinuumIds.LowLevelOrchestrator"/>.</summary>
public sealed record LowLevelOrchestrator : ContinuumEntity
{
    /// <summary>The domain it belongs to (Relationship, a Domain URN).</summary>
    public string? Domain { get; init; }

    /// <summary>The runtime it orchestrates (<c>orchestrationType</c>).</summary>
    public ContainerTechnology? OrchestrationType { get; init; }
}
