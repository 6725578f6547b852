namespace Aeros.Agent.Diagnose;

/// <summary>Counts of the node's workloads for the health score.</summary>
/// <param name="Total">All workloads the agent manages.</param>
/// <param name="Running">Workloads running now.</param>
/// <param name="Failed">Workloads that failed and are not restarted.</param>
/// <param name="CrashLooping">Workloads in a crash loop (restarting with back-off).</param>
/// <param name="Restarts">Restarts since the agent started.</param>
public readonly record struct WorkloadCounts(int Total, int Running, int Failed, int CrashLooping, long Restarts)
{
    /// <summary>No workloads.</summary>
    public static WorkloadCounts None => default;
}

/// <summary>Whether the domain broker answered the agent's last attempt.</summary>
public enum BrokerReachability
{
    /// <summary>Not known (nothing has been sent yet, or no reporter is running).</summary>
    Unknown,

    /// <summary>The last request succeeded.</summary>
    Reachable,

    /// <summary>The last request failed (transport error, timeout or 5xx).</summary>
    Unreachable,
}

/// <summary>
/// What self-diagnose needs beyond the node snapshot: workload counts (from the workload manager) and broker
/// reachability (from the broker reporter). Those components replace the default registration with their own.
/// </summary>
public interface IDiagnoseInputs
{
    /// <summary>The workloads now.</summary>
    WorkloadCounts Workloads { get; }

    /// <summary>Whether the broker is reachable now.</summary>
    BrokerReachability Broker { get; }
}

/// <summary>
/// The inputs while no workload manager or broker reporter is wired into the host: no workloads (workload factor 1)
/// and broker unknown (the broker factor is left out of the score, not counted as healthy).
/// </summary>
internal sealed class NoDiagnoseInputs : IDiagnoseInputs
{
    public WorkloadCounts Workloads => WorkloadCounts.None;

    public BrokerReachability Broker => BrokerReachability.Unknown;
}
