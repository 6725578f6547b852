using Aeros.Agent.Reporting;
using Aeros.Agent.Workloads;

namespace Aeros.Agent.Diagnose;

/// <summary>
/// The diagnose inputs of the running agent: workload counts from the workload manager (none when the module is not
/// added) and broker reachability from the broker reporter.
/// </summary>
internal sealed class AgentDiagnoseInputs(IWorkloadManager? workloads, ReportingStats reporting) : IDiagnoseInputs
{
    public WorkloadCounts Workloads => workloads?.Summary is { } s ? new WorkloadCounts(s.Total, s.Running, s.Failed, s.CrashLooping, s.Restarts) : WorkloadCounts.None;

    public BrokerReachability Broker => reporting.Reachability;
}
