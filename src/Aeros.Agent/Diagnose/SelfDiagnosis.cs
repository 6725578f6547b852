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
    private readonly Lock _gate = new();
    // The status of the newest snapshot evaluated, and the status before it: the hysteresis of a snapshot depends on
    // the status of the previous one, and the same snapshot is evaluated several times (API, reporter).
    private DateTimeOffset _newest = DateTimeOffset.MinValue;
    private string? _newestStatus;
    private string? _previousStatus;

    public HealthReport? Current() => awareness.Latest is { } latest ? Evaluate(latest) : null;

    public HealthReport Evaluate(NodeSnapshot snapshot)
    {
        lock (_gate)
        {
            if (snapshot.Timestamp > _newest)
            {
                _previousStatus = _newestStatus;
            }
            var previous = snapshot.Timestamp >= _newest ? _previousStatus : null;
            var report = HealthCalculator.Evaluate(snapshot, inputs.Workloads, inputs.Broker, config.Current, previous);
            if (snapshot.Timestamp >= _newest)
            {
                _newest = snapshot.Timestamp;
                _newestStatus = report.Status;
            }
            return report;
        }
    }
}
