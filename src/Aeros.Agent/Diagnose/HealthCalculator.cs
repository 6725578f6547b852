using System.Globalization;
using Aeros.Agent.Awareness;

namespace Aeros.Agent.Diagnose;

/// <summary>
/// The health score as a composite indicator (normalise, weight, aggregate):
/// <list type="number">
/// <item>Normalise: each factor <c>f</c> maps its input <c>x</c> to [0, 1] with a falling ramp,
/// <c>f = 1</c> for <c>x ≤ good</c>, <c>f = 0</c> for <c>x ≥ bad</c>, linear in between. CPU, memory, disk: usage %;
/// network: lost packets % of the period; workloads: failed + crash-looping as % of all (good = 0); broker: 1 reachable,
/// 0 unreachable. An unknown input (broker never contacted, disk unreadable) makes the factor unknown.</item>
/// <item>Weight: the configured weights of the known factors, divided by their sum.</item>
/// <item>Aggregate: the weighted arithmetic mean; hard floor rule: if any factor with a weight above 0 is 0, the score is
/// at most <see cref="HealthThresholds.ZeroFactorCap"/> (a dead factor cannot be averaged away by healthy ones).</item>
/// </list>
/// Status: <c>Maintenance</c> if configured; else <c>Overloaded</c> if CPU ≥ overloadCpu, RAM ≥ overloadMemory or
/// score &lt; overloadScore (when the broker is the only factor at 0, the score before the cap: an unreachable broker
/// is not an overloaded node); else <c>Ready</c>.
/// </summary>
public static class HealthCalculator
{
    /// <summary>The falling ramp: 1 up to <paramref name="good"/>, 0 from <paramref name="bad"/>, linear between.</summary>
    public static double Ramp(double x, double good, double bad) =>
        x <= good ? 1 : x >= bad ? 0 : (bad - x) / (bad - good);

    /// <summary>
    /// Diagnoses <paramref name="snapshot"/> with the workload counts and broker reachability given. With
    /// <paramref name="previousStatus"/> <c>Overloaded</c>, the thresholds to leave it are the recovery ones
    /// (hysteresis: overload thresholds less <see cref="HealthThresholds.RecoveryMargin"/>, score plus
    /// <see cref="HealthThresholds.RecoveryScoreMargin"/>).
    /// </summary>
    public static HealthReport Evaluate(NodeSnapshot snapshot, WorkloadCounts workloads, BrokerReachability broker, AgentConfig config,
        string? previousStatus = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(config);
        var t = config.Thresholds;
        var w = config.Weights;
        var failing = workloads.Failed + workloads.CrashLooping;
        double workloadPct = workloads.Total > 0 ? 100.0 * Math.Min(failing, workloads.Total) / workloads.Total : 0;
        double? brokerInput = broker switch
        {
            BrokerReachability.Reachable => 1,
            BrokerReachability.Unreachable => 0,
            _ => null,
        };
        var raw = new (string Name, double Weight, double? Input, double? Value)[]
        {
            (HealthFactors.Cpu, w.Cpu, snapshot.CurrentCpuUsage, Ramp(snapshot.CurrentCpuUsage, t.CpuGood, t.CpuBad)),
            (HealthFactors.Memory, w.Memory, snapshot.CurrentRamUsagePct, Ramp(snapshot.CurrentRamUsagePct, t.MemoryGood, t.MemoryBad)),
            (HealthFactors.Disk, w.Disk, snapshot.CurrentDiskUsagePct, snapshot.CurrentDiskUsagePct is { } d ? Ramp(d, t.DiskGood, t.DiskBad) : null),
            (HealthFactors.Network, w.Network, snapshot.NetLossPct, Ramp(snapshot.NetLossPct, t.NetworkLossGood, t.NetworkLossBad)),
            (HealthFactors.Workloads, w.Workloads, workloadPct, Ramp(workloadPct, 0, t.WorkloadFailureBad)),
            (HealthFactors.Broker, w.Broker, brokerInput, brokerInput),
        };
        var knownWeight = raw.Where(f => f.Value is not null).Sum(f => f.Weight);
        var factors = new List<HealthFactor>(raw.Length);
        double score = 1;
        var reasons = new List<string>();
        if (knownWeight > 0)
        {
            score = 0;
            foreach (var f in raw)
            {
                var effective = f.Value is null ? 0 : f.Weight / knownWeight;
                score += effective * (f.Value ?? 0);
            }
        }
        foreach (var f in raw)
        {
            factors.Add(new HealthFactor(f.Name, f.Value is { } v ? Math.Round(v, 4) : null, f.Weight,
                f.Value is null || knownWeight <= 0 ? 0 : Math.Round(f.Weight / knownWeight, 4), f.Input));
        }
        var zero = raw.Where(f => f.Weight > 0 && f.Value == 0).Select(f => f.Name).ToList();
        // The status describes the node: a lost broker caps the score (it is worth knowing) but does not make a healthy
        // node Overloaded, so the status threshold then looks at the score before the cap.
        var statusScore = zero is [HealthFactors.Broker] ? Math.Round(Math.Clamp(score, 0, 1), 4) : (double?)null;
        if (zero.Count > 0 && score > t.ZeroFactorCap)
        {
            score = t.ZeroFactorCap;
            reasons.Add($"score capped at {t.ZeroFactorCap.ToString(CultureInfo.InvariantCulture)}: factor {string.Join(", ", zero)} is 0");
        }
        score = Math.Round(Math.Clamp(score, 0, 1), 4);
        string status;
        if (config.Maintenance)
        {
            status = "Maintenance";
            reasons.Add("maintenance is set in the configuration");
        }
        else
        {
            var recovering = previousStatus == "Overloaded";
            var cpuLimit = recovering ? t.OverloadCpu - t.RecoveryMargin : t.OverloadCpu;
            var memoryLimit = recovering ? t.OverloadMemory - t.RecoveryMargin : t.OverloadMemory;
            var scoreLimit = recovering ? t.OverloadScore + t.RecoveryScoreMargin : t.OverloadScore;
            var still = recovering ? " (not yet recovered)" : "";
            // A threshold of 100 % switches that check off: a saturated CPU (exactly 100 %) must not count as over it.
            if (t.OverloadCpu < 100 && snapshot.CurrentCpuUsage >= cpuLimit)
            {
                reasons.Add(Inv($"CPU usage {snapshot.CurrentCpuUsage} % >= {cpuLimit} %{still}"));
            }
            if (t.OverloadMemory < 100 && snapshot.CurrentRamUsagePct >= memoryLimit)
            {
                reasons.Add(Inv($"RAM usage {snapshot.CurrentRamUsagePct} % >= {memoryLimit} %{still}"));
            }
            if ((statusScore ?? score) < scoreLimit)
            {
                reasons.Add(Inv($"health score {statusScore ?? score} < {scoreLimit}{still}"));
            }
            status = reasons.Any(r => !r.StartsWith("score capped", StringComparison.Ordinal)) ? "Overloaded" : "Ready";
        }
        return new HealthReport(snapshot.Timestamp, score, status, reasons, factors);
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
