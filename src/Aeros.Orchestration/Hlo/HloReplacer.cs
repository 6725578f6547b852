using Aeros.Orchestration.Llo;

namespace Aeros.Orchestration.Hlo;

/// <summary>
/// The HLO's failover for the LLO: a component of a lost element is placed again away from it (Migrating → a decision
/// with generation + 1 → Starting). Replaces the LLO's default replacer (registered before <c>AddAerosLlo</c>).
/// </summary>
internal sealed class HloReplacer(HloOrchestrator orchestrator) : IComponentReplacer
{
    public Task ReplaceAsync(string componentId, string lostElementId, CancellationToken cancellationToken) =>
        orchestrator.ReplaceAsync(componentId, lostElementId, cancellationToken);
}
