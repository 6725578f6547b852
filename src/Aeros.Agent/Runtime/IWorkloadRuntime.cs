using Aeros.Agent.Workloads;

namespace Aeros.Agent.Runtime;

/// <summary>
/// Runs workloads of one <see cref="WorkloadKind"/>: starts, watches, stops them and reads their output. The
/// workload manager supervises; a runtime only does what it is told.
/// </summary>
public interface IWorkloadRuntime
{
    /// <summary>The kind of workload this runtime runs.</summary>
    WorkloadKind Kind { get; }

    /// <summary>Whether this runtime works on this node, and if not, why.</summary>
    Task<RuntimeProbe> ProbeAsync(CancellationToken cancellationToken);

    /// <summary>Starts a run of <paramref name="spec"/>. Throws <see cref="WorkloadStartException"/> when it cannot.</summary>
    Task<WorkloadInstance> StartAsync(WorkloadSpec spec, CancellationToken cancellationToken);

    /// <summary>
    /// Takes over a run left by an earlier agent (its <see cref="WorkloadInstance.Id"/> from the state file).
    /// Returns null when there is nothing to adopt; a run that cannot be supervised is stopped first.
    /// </summary>
    Task<WorkloadInstance?> AdoptAsync(WorkloadSpec spec, string instanceId, CancellationToken cancellationToken);

    /// <summary>Waits until the run ends.</summary>
    Task<WorkloadExit> WaitForExitAsync(WorkloadInstance instance, CancellationToken cancellationToken);

    /// <summary>Stops the run: a polite signal, then a kill after <paramref name="grace"/>; a container is also removed.</summary>
    Task StopAsync(WorkloadInstance instance, TimeSpan grace, CancellationToken cancellationToken);

    /// <summary>The last <paramref name="tail"/> lines of the workload's output (stdout and stderr).</summary>
    Task<IReadOnlyList<string>> ReadLogsAsync(WorkloadSpec spec, WorkloadInstance? instance, int tail, CancellationToken cancellationToken);
}

/// <summary>Whether a runtime works here.</summary>
/// <param name="Available">True when workloads of its kind can run.</param>
/// <param name="Version">The runtime's version, if it has one.</param>
/// <param name="Reason">Why it is not available.</param>
public sealed record RuntimeProbe(bool Available, string? Version, string? Reason);

/// <summary>How a run ended.</summary>
/// <param name="ExitCode">The exit code, when known.</param>
/// <param name="Reason">What happened when there is more to say (killed by a signal, container vanished, ...).</param>
public readonly record struct WorkloadExit(int? ExitCode, string? Reason);

/// <summary>One run of a workload.</summary>
public abstract class WorkloadInstance
{
    /// <summary>What identifies the run across agent restarts (kept in the state file).</summary>
    public abstract string Id { get; }

    /// <summary>The process id, for a process.</summary>
    public virtual int? Pid => null;

    /// <summary>The container id, for a container.</summary>
    public virtual string? ContainerId => null;

    /// <summary>Whether output cannot be written to the log files now.</summary>
    public virtual bool LogsDegraded => false;

    /// <summary>When the run started.</summary>
    public required DateTimeOffset StartedAt { get; init; }
}

/// <summary>A workload could not be started.</summary>
public sealed class WorkloadStartException : AerosException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Why, for the workload's status.</param>
    /// <param name="permanent">True when retrying cannot help (command or image does not exist).</param>
    /// <param name="inner">The failure underneath.</param>
    public WorkloadStartException(string message, bool permanent, Exception? inner = null) : base(message, inner) => Permanent = permanent;

    /// <summary>True when retrying cannot help until the spec changes.</summary>
    public bool Permanent { get; }
}
