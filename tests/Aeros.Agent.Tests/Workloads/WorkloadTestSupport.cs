using System.Diagnostics;
using Aeros.Agent.Runtime;
using Aeros.Agent.Workloads;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.Tests.Workloads;

/// <summary>A workload manager with the real runtimes over a temporary state directory, stopped and cleaned at the end.</summary>
internal sealed class ManagerFixture : IAsyncDisposable
{
    private readonly List<WorkloadManager> _managers = [];

    public ManagerFixture(Action<WorkloadOptions>? configure = null, string? stateDirectory = null)
    {
        Options = new WorkloadOptions
        {
            StateDirectory = stateDirectory ?? Path.Combine(Path.GetTempPath(), "aeros-wl-" + Guid.NewGuid().ToString("N")),
            InitialBackoff = TimeSpan.FromMilliseconds(100),
            MaxBackoff = TimeSpan.FromSeconds(5),
            StablePeriod = TimeSpan.FromMinutes(1),
            StopTimeout = TimeSpan.FromSeconds(2),
            ContainerPollInterval = TimeSpan.FromMilliseconds(200),
            ContainersConf = PodmanEnvironment.ContainersConf,
            PodmanPullPolicy = "never",
        };
        configure?.Invoke(Options);
        OwnsDirectory = stateDirectory is null;
    }

    public WorkloadOptions Options { get; }

    public bool OwnsDirectory { get; set; }

    public WorkloadManager Manager { get; private set; } = null!;

    public ProcessRuntime ProcessRuntime { get; private set; } = null!;

    /// <summary>Creates and starts a manager over the fixture's state directory (a second call is an agent restart).</summary>
    public async Task<WorkloadManager> StartAsync()
    {
        var options = Microsoft.Extensions.Options.Options.Create(Options);
        var errors = new WorkloadOptionsValidator().Validate(null, Options);
        Assert.True(errors.Succeeded, errors.FailureMessage);
        ProcessRuntime = new ProcessRuntime(options, TimeProvider.System, NullLogger<ProcessRuntime>.Instance);
        var podman = new PodmanRuntime(new PodmanCli(options, TimeProvider.System), options, TimeProvider.System, NullLogger<PodmanRuntime>.Instance);
        Manager = new WorkloadManager([ProcessRuntime, podman], options, TimeProvider.System, NullLogger<WorkloadManager>.Instance);
        _managers.Add(Manager);
        await Manager.StartAsync(CancellationToken.None).Within("starting the workload manager");
        return Manager;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var manager in _managers)
            {
                // Containers too: a test must not leave any behind.
                Options.StopContainersOnShutdown = true;
                foreach (var status in manager.List())
                {
                    await manager.RemoveAsync(status.Name).Within("removing workload " + status.Name + " at the end");
                }
                await manager.StopAsync(CancellationToken.None).Within("stopping the workload manager");
            }
        }
        finally
        {
            if (OwnsDirectory)
            {
                try
                {
                    Directory.Delete(Options.StateDirectory, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    public static WorkloadSpec Process(string name, string command, params string[] args) =>
        new() { Name = name, Kind = WorkloadKind.Process, Command = command, Args = args };

    /// <summary>Waits for the workload to reach <paramref name="state"/> and returns its status.</summary>
    public async Task<WorkloadStatus> WaitFor(string name, Func<WorkloadStatus, bool> condition, string what, TimeSpan? deadline = null)
    {
        WorkloadStatus? status = null;
        await TestDeadline.Until(() => (status = Manager.Get(name)) is { } s && condition(s), $"workload {name} {what}",
            () => $"Last status: {Manager.Get(name)}", deadline);
        return status!;
    }

    /// <summary>Whether the process exists and is not a zombie.</summary>
    public static bool Alive(int pid) => ProcessRuntime.ReadStartTicks(pid) is not null;
}
