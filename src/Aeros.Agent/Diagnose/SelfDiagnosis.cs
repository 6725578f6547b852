using Aeros.Agent.Awareness;

namespace Aeros.Agent.Diagnose;

/// <summary>Self-diagnose of the running agent: the health of the latest snapshot.</summary>
public interface ISelfDiagnosis
{
    /// <summary>The report for the latest snapshot; null before the first sample.</summary>
    HealthReport? Current();

    /// <summary>The report for a given snapshot with the current inputs and configuration.</summary>
    HealthReport Evaluate(NodeSnapshot snapshot);
}

internal sealed class SelfDiagnosis(INodeAwareness awareness, IDiagnoseInputs inputs, AgentConfigStore config) : ISelfDiagnosis
{
    public HealthReport? Current() => awareness.Latest is { } latest ? Evaluate(latest) : null;

    public HealthReport Evaluate(NodeSnapshot snapshot) => HealthCalculator.Evaluate(snapshot, inputs.Workloads, inputs.Broker, config.Current);
}
