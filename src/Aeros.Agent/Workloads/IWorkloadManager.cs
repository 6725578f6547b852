namespace Aeros.Agent.Workloads;

/// <summary>
/// The node's workloads: desired specs kept in a local state file and supervised — restarted by their policy with
/// exponential backoff, marked CrashLoop after repeated quick failures, Failed when they cannot run at all.
/// </summary>
public interface IWorkloadManager
{
    /// <summary>Creates or updates a workload (an update stops the old run first). Throws <see cref="WorkloadSpecException"/> for an invalid spec.</summary>
    Task<WorkloadStatus> ApplyAsync(WorkloadSpec spec, CancellationToken cancellationToken = default);

    /// <summary>Stops and forgets a workload. False when there is none of that name.</summary>
    Task<bool> RemoveAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Every workload's status, by name.</summary>
    IReadOnlyList<WorkloadStatus> List();

    /// <summary>One workload's status, or null.</summary>
    WorkloadStatus? Get(string name);

    /// <summary>One workload's spec, or null.</summary>
    WorkloadSpec? GetSpec(string name);

    /// <summary>The last <paramref name="tail"/> lines of a workload's output, or null when there is no such workload.</summary>
    Task<IReadOnlyList<string>?> ReadLogsAsync(string name, int tail, CancellationToken cancellationToken = default);

    /// <summary>Counts over all workloads.</summary>
    WorkloadSummary Summary { get; }

    /// <summary>Raised after a workload's status changed (from the supervisor's thread; handlers must be quick and not throw).</summary>
    event EventHandler<WorkloadStatusChange>? StatusChanged;
}

/// <summary>A workload spec is invalid.</summary>
public sealed class WorkloadSpecException : AerosException
{
    /// <summary>Creates the exception with every error.</summary>
    public WorkloadSpecException(IReadOnlyList<string> errors) : base("Invalid workload spec: " + string.Join(" ", errors)) => Errors = errors;

    /// <summary>Every error of the spec.</summary>
    public IReadOnlyList<string> Errors { get; }
}
