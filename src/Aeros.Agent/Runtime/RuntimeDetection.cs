using Aeros.Agent.Workloads;

namespace Aeros.Agent.Runtime;

/// <summary>Which runtimes work on this node.</summary>
/// <param name="Process">Whether process workloads can run.</param>
/// <param name="Podman">Whether container workloads can run (podman answers).</param>
/// <param name="PodmanVersion">podman's version, when it answers.</param>
/// <param name="PodmanReason">Why podman does not work, when it does not.</param>
public sealed record RuntimeAvailability(bool Process, bool Podman, string? PodmanVersion, string? PodmanReason)
{
    /// <summary>The IE's <c>containerTechnology</c> (the data model's enumeration name): <c>Podman</c>, or null when no container runtime works.</summary>
    public string? ContainerTechnology => Podman ? "Podman" : null;
}

/// <summary>Finds out once which runtimes work here (the answer is cached; <see cref="RefreshAsync"/> asks again).</summary>
public sealed class RuntimeDetection
{
    private readonly IReadOnlyList<IWorkloadRuntime> _runtimes;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private RuntimeAvailability? _current;

    /// <summary>Creates the detection over the registered runtimes.</summary>
    public RuntimeDetection(IEnumerable<IWorkloadRuntime> runtimes) => _runtimes = runtimes.ToArray();

    /// <summary>The last answer, or null before the first detection.</summary>
    public RuntimeAvailability? Current => _current;

    /// <summary>The cached answer, detecting on first use.</summary>
    public async Task<RuntimeAvailability> DetectAsync(CancellationToken cancellationToken) =>
        _current ?? await RefreshAsync(cancellationToken);

    /// <summary>Probes every runtime again.</summary>
    public async Task<RuntimeAvailability> RefreshAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var process = await Probe(WorkloadKind.Process, cancellationToken);
            var podman = await Probe(WorkloadKind.Container, cancellationToken);
            _current = new RuntimeAvailability(process.Available, podman.Available, podman.Version, podman.Reason);
            return _current;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<RuntimeProbe> Probe(WorkloadKind kind, CancellationToken cancellationToken)
    {
        var runtime = _runtimes.FirstOrDefault(r => r.Kind == kind);
        return runtime is null ? new RuntimeProbe(false, null, $"No {kind} runtime is registered.") : await runtime.ProbeAsync(cancellationToken);
    }
}
