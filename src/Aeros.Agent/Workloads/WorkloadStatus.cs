using System.Text.Json.Nodes;

namespace Aeros.Agent.Workloads;

/// <summary>Where a workload is in its life.</summary>
public enum WorkloadState
{
    /// <summary>Accepted, not started yet.</summary>
    Pending,

    /// <summary>Being started.</summary>
    Starting,

    /// <summary>Running.</summary>
    Running,

    /// <summary>Ended; waiting for a restart if its policy asks for one (see <see cref="WorkloadStatus.NextRestartAt"/>).</summary>
    Exited,

    /// <summary>Cannot run (its command or image does not exist, ...); not retried until the spec changes.</summary>
    Failed,

    /// <summary>Failed quickly several times in a row; still restarted, with a long backoff.</summary>
    CrashLoop,

    /// <summary>Stopped by the agent (removed, or the agent is shutting down).</summary>
    Stopped,
}

/// <summary>A snapshot of one workload.</summary>
public sealed record WorkloadStatus
{
    /// <summary>The workload's name.</summary>
    public required string Name { get; init; }

    /// <summary>Process or container.</summary>
    public required WorkloadKind Kind { get; init; }

    /// <summary>The current state.</summary>
    public required WorkloadState State { get; init; }

    /// <summary>The process id of a running process workload.</summary>
    public int? Pid { get; init; }

    /// <summary>The container id of a container workload.</summary>
    public string? ContainerId { get; init; }

    /// <summary>How many times the agent restarted the workload (kept across agent restarts).</summary>
    public int Restarts { get; init; }

    /// <summary>The exit code of the last run, if known.</summary>
    public int? LastExitCode { get; init; }

    /// <summary>Why the workload last failed or ended abnormally.</summary>
    public string? LastError { get; init; }

    /// <summary>When the current or last run started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the last run ended.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>When the next restart is due, while waiting for one.</summary>
    public DateTimeOffset? NextRestartAt { get; init; }

    /// <summary>Whether the workload's log files cannot be written (full disk, ...): output is dropped meanwhile.</summary>
    public bool LogsDegraded { get; init; }

    /// <summary>The status as JSON (camelCase, enums as names, times in ISO 8601).</summary>
    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["kind"] = Kind.ToString(),
        ["state"] = State.ToString(),
        ["pid"] = Pid,
        ["containerId"] = ContainerId,
        ["restarts"] = Restarts,
        ["lastExitCode"] = LastExitCode,
        ["lastError"] = LastError,
        ["startedAt"] = StartedAt?.ToString("O"),
        ["finishedAt"] = FinishedAt?.ToString("O"),
        ["nextRestartAt"] = NextRestartAt?.ToString("O"),
        ["logsDegraded"] = LogsDegraded,
    };
}

/// <summary>Counts over all workloads, for the self-diagnose and <c>/metrics</c>.</summary>
/// <param name="Total">Desired workloads.</param>
/// <param name="Running">Workloads running now.</param>
/// <param name="Failed">Workloads in state Failed.</param>
/// <param name="CrashLooping">Workloads in state CrashLoop.</param>
/// <param name="Restarts">Restarts summed over the current workloads.</param>
public sealed record WorkloadSummary(int Total, int Running, int Failed, int CrashLooping, long Restarts);

/// <summary>Tells that a workload's status changed.</summary>
/// <param name="Status">The new status.</param>
/// <param name="Removed">True when the workload was removed (the status is its last one).</param>
public sealed record WorkloadStatusChange(WorkloadStatus Status, bool Removed);
