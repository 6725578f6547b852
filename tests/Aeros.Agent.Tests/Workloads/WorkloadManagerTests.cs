using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Aeros.Agent.Workloads;

namespace Aeros.Agent.Tests.Workloads;

/// <summary>Supervision of real process workloads (sh, sleep) by the workload manager.</summary>
public sealed class WorkloadManagerTests
{
    [Fact]
    public async Task ApplyAsync_ProcessWorkload_RunsAndStdoutAndStderrReachTheLog()
    {
        await using var fixture = new ManagerFixture();
        var manager = await fixture.StartAsync();

        await manager.ApplyAsync(ManagerFixture.Process("hello", "/bin/sh", "-c", "echo hello-out; echo hello-err >&2; exec sleep 30")).Within("applying");

        var status = await fixture.WaitFor("hello", s => s.State == WorkloadState.Running, "running");
        Assert.NotNull(status.Pid);
        Assert.True(ManagerFixture.Alive(status.Pid!.Value));
        IReadOnlyList<string>? lines = null;
        await TestDeadline.Until(() => (lines = manager.ReadLogsAsync("hello", 10).Result) is { Count: 2 }, "both lines are in the log", () => string.Join("|", lines ?? []));
        Assert.Contains("hello-out", lines!);
        Assert.Contains("hello-err", lines!);
        Assert.True(File.Exists(Path.Combine(fixture.Options.LogDirectory, "hello.log")));
    }

    [Fact]
    public async Task Supervise_KilledWorkload_RestartedWithGrowingBackoff()
    {
        await using var fixture = new ManagerFixture(o => o.InitialBackoff = TimeSpan.FromMilliseconds(300));
        var manager = await fixture.StartAsync();
        await manager.ApplyAsync(ManagerFixture.Process("victim", "sleep", "30")).Within("applying");

        var gaps = new List<TimeSpan>();
        var pids = new HashSet<int>();
        for (var kill = 0; kill < 3; kill++)
        {
            var running = await fixture.WaitFor("victim", s => s.State == WorkloadState.Running && s.Pid is { } p && !pids.Contains(p), $"running after {kill} kill(s)");
            pids.Add(running.Pid!.Value);
            using (var process = System.Diagnostics.Process.GetProcessById(running.Pid.Value))
            {
                process.Kill();
            }
            // The new run's status still carries how the last one ended.
            var restarted = await fixture.WaitFor("victim", s => s.State == WorkloadState.Running && s.Pid != running.Pid, "restarted");
            Assert.Equal(137, restarted.LastExitCode);
            Assert.Equal("killed by signal 9", restarted.LastError);
            Assert.True(restarted.FinishedAt > running.StartedAt);
            gaps.Add(restarted.StartedAt!.Value - restarted.FinishedAt!.Value);
        }

        Assert.Equal(3, manager.Get("victim")!.Restarts);
        Assert.True(gaps[0] >= TimeSpan.FromMilliseconds(300), $"first gap {gaps[0]}");
        Assert.True(gaps[1] >= TimeSpan.FromMilliseconds(600), $"second gap {gaps[1]}");
        Assert.True(gaps[2] >= TimeSpan.FromMilliseconds(1200), $"third gap {gaps[2]}");
        Assert.True(gaps[0] < gaps[1] && gaps[1] < gaps[2], $"gaps grow: {string.Join(", ", gaps)}");
    }

    [Theory]
    [InlineData(RestartPolicy.Never, 0, false)]
    [InlineData(RestartPolicy.Never, 3, false)]
    [InlineData(RestartPolicy.OnFailure, 0, false)]
    [InlineData(RestartPolicy.OnFailure, 3, true)]
    [InlineData(RestartPolicy.Always, 0, true)]
    [InlineData(RestartPolicy.Always, 3, true)]
    public async Task Supervise_RestartPolicyAndExitCode_RestartsOnlyWhenThePolicySays(RestartPolicy policy, int exitCode, bool restarted)
    {
        await using var fixture = new ManagerFixture(o => o.InitialBackoff = TimeSpan.FromMilliseconds(50));
        var manager = await fixture.StartAsync();
        await manager.ApplyAsync(ManagerFixture.Process("p", "/bin/sh", "-c", $"exit {exitCode}") with { RestartPolicy = policy }).Within("applying");

        if (restarted)
        {
            var status = await fixture.WaitFor("p", s => s.Restarts >= 2, "restarted twice");
            Assert.Equal(exitCode, status.LastExitCode);
        }
        else
        {
            // Terminal: exited with no restart planned.
            var status = await fixture.WaitFor("p", s => s.State == WorkloadState.Exited && s.NextRestartAt is null && s.FinishedAt is not null, "exited for good");
            Assert.Equal(0, status.Restarts);
            Assert.Equal(exitCode, status.LastExitCode);
            Assert.Equal(exitCode == 0 ? null : $"exited with code {exitCode}", status.LastError);
        }
    }

    [Fact]
    public async Task Supervise_JobThatSucceeds_IsNotRestarted()
    {
        await using var fixture = new ManagerFixture(o => o.InitialBackoff = TimeSpan.FromMilliseconds(50));
        var manager = await fixture.StartAsync();
        await manager.ApplyAsync(ManagerFixture.Process("job", "/bin/sh", "-c", "echo done") with { IsJob = true, RestartPolicy = RestartPolicy.OnFailure }).Within("applying");

        var status = await fixture.WaitFor("job", s => s.State == WorkloadState.Exited && s.NextRestartAt is null && s.FinishedAt is not null, "completed");
        Assert.Equal(0, status.Restarts);
        Assert.Equal(0, status.LastExitCode);
    }

    [Fact]
    public async Task Supervise_QuickFailuresInARow_EnterCrashLoopAndKeepRetrying()
    {
        await using var fixture = new ManagerFixture(o =>
        {
            o.InitialBackoff = TimeSpan.FromMilliseconds(20);
            o.CrashLoopThreshold = 3;
        });
        var manager = await fixture.StartAsync();
        var firstCrashLoop = new TaskCompletionSource<WorkloadStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.StatusChanged += (_, change) =>
        {
            if (change.Status.State == WorkloadState.CrashLoop)
            {
                firstCrashLoop.TrySetResult(change.Status);
            }
        };
        await manager.ApplyAsync(ManagerFixture.Process("crasher", "/bin/sh", "-c", "exit 1")).Within("applying");

        var status = await firstCrashLoop.Task.Within("the workload enters CrashLoop");
        Assert.Equal(2, status.Restarts);
        Assert.Equal(1, status.LastExitCode);
        Assert.Equal(TimeSpan.FromMilliseconds(80), status.NextRestartAt!.Value - status.FinishedAt!.Value);
        await fixture.WaitFor("crasher", s => s.Restarts >= 3, "restarted while crash-looping");
        // The delays grow, so the workload spends most of its time in CrashLoop from now on.
        await fixture.WaitFor("crasher", s => s.State == WorkloadState.CrashLoop && manager.Summary.CrashLooping == 1, "counted as crash-looping");
    }

    [Fact]
    public async Task Supervise_StableRuns_BackoffStartsOverEachTime()
    {
        await using var fixture = new ManagerFixture(o =>
        {
            o.InitialBackoff = TimeSpan.FromMilliseconds(100);
            o.StablePeriod = TimeSpan.FromMilliseconds(200);
        });
        var manager = await fixture.StartAsync();
        var delays = new ConcurrentQueue<TimeSpan>();
        manager.StatusChanged += (_, change) =>
        {
            if (change.Status.NextRestartAt is { } next)
            {
                delays.Enqueue(next - change.Status.FinishedAt!.Value);
            }
        };
        await manager.ApplyAsync(ManagerFixture.Process("steady", "/bin/sh", "-c", "sleep 0.4; exit 1")).Within("applying");

        await TestDeadline.Until(() => delays.Count >= 3, "three restarts were planned", () => string.Join(", ", delays));
        Assert.All(delays.Take(3), d => Assert.Equal(TimeSpan.FromMilliseconds(100), d));
        Assert.NotEqual(WorkloadState.CrashLoop, manager.Get("steady")!.State);
    }

    [Theory]
    [InlineData("/nonexistent/aeros-no-such-command")]
    [InlineData("aeros-no-such-command-on-path")]
    public async Task Apply_NonexistentCommand_FailedWithReasonAndNoRestartLoop(string command)
    {
        await using var fixture = new ManagerFixture(o => o.InitialBackoff = TimeSpan.FromMilliseconds(10));
        var manager = await fixture.StartAsync();
        var starts = 0;
        manager.StatusChanged += (_, change) =>
        {
            if (change.Status.State == WorkloadState.Starting)
            {
                Interlocked.Increment(ref starts);
            }
        };
        await manager.ApplyAsync(ManagerFixture.Process("ghost", command)).Within("applying");

        var status = await fixture.WaitFor("ghost", s => s.State == WorkloadState.Failed, "failed");
        Assert.Contains($"The command '{command}' cannot be started", status.LastError);
        Assert.Equal(0, status.Restarts);
        Assert.Equal(1, Volatile.Read(ref starts));
        Assert.Equal(1, manager.Summary.Failed);
    }

    [Fact]
    public async Task Apply_MissingWorkingDirectory_Failed()
    {
        await using var fixture = new ManagerFixture();
        var manager = await fixture.StartAsync();
        await manager.ApplyAsync(ManagerFixture.Process("nowhere", "sleep", "5") with { WorkingDirectory = "/nonexistent/dir" }).Within("applying");

        var status = await fixture.WaitFor("nowhere", s => s.State == WorkloadState.Failed, "failed");
        Assert.Equal("The working directory '/nonexistent/dir' does not exist.", status.LastError);
    }

    [Fact]
    public async Task Apply_InvalidSpec_ThrowsWithEveryError()
    {
        await using var fixture = new ManagerFixture();
        var manager = await fixture.StartAsync();

        var e = await Assert.ThrowsAsync<WorkloadSpecException>(() => manager.ApplyAsync(new WorkloadSpec { Name = "bad name", Kind = WorkloadKind.Process, CpuLimit = 1 })).Within("applying");

        Assert.Equal(3, e.Errors.Count);
        Assert.Empty(manager.List());
    }

    [Fact]
    public async Task Apply_SameSpecAgain_KeepsTheRun_ChangedSpec_ReplacesIt()
    {
        await using var fixture = new ManagerFixture();
        var manager = await fixture.StartAsync();
        var spec = ManagerFixture.Process("svc", "sleep", "30");
        await manager.ApplyAsync(spec).Within("applying");
        var first = await fixture.WaitFor("svc", s => s.State == WorkloadState.Running, "running");

        await manager.ApplyAsync(ManagerFixture.Process("svc", "sleep", "30")).Within("applying the same spec");
        Assert.Equal(first.Pid, manager.Get("svc")!.Pid);

        await manager.ApplyAsync(spec with { Env = new Dictionary<string, string> { ["A"] = "1" } }).Within("applying a changed spec");
        var second = await fixture.WaitFor("svc", s => s.State == WorkloadState.Running, "running again");
        Assert.NotEqual(first.Pid, second.Pid);
        Assert.False(ManagerFixture.Alive(first.Pid!.Value), "the old run is stopped");
        Assert.Equal("1", manager.GetSpec("svc")!.Env["A"]);
    }

    [Fact]
    public async Task Remove_RunningWorkload_StopsItAndForgetsIt()
    {
        await using var fixture = new ManagerFixture();
        var manager = await fixture.StartAsync();
        var removed = new TaskCompletionSource<WorkloadStatusChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        manager.StatusChanged += (_, change) =>
        {
            if (change.Removed)
            {
                removed.TrySetResult(change);
            }
        };
        await manager.ApplyAsync(ManagerFixture.Process("gone", "sleep", "30")).Within("applying");
        var running = await fixture.WaitFor("gone", s => s.State == WorkloadState.Running, "running");

        Assert.True(await manager.RemoveAsync("gone").Within("removing"));

        Assert.Null(manager.Get("gone"));
        Assert.False(ManagerFixture.Alive(running.Pid!.Value));
        Assert.Equal("gone", (await removed.Task.Within("the removal event")).Status.Name);
        Assert.False(await manager.RemoveAsync("gone").Within("removing again"));
        Assert.Equal(new WorkloadSummary(0, 0, 0, 0, 0), manager.Summary);
    }

    [Fact]
    public async Task StateFile_AfterApply_HoldsTheSpecAndRunWrittenAtomically()
    {
        await using var fixture = new ManagerFixture();
        var manager = await fixture.StartAsync();
        await manager.ApplyAsync(ManagerFixture.Process("kept", "sleep", "30") with { DeclaredPorts = [8080] }).Within("applying");
        var running = await fixture.WaitFor("kept", s => s.State == WorkloadState.Running, "running");

        JsonNode? file = null;
        await TestDeadline.Until(() => (file = JsonNode.Parse(File.ReadAllText(fixture.Options.StateFile)))?["workloads"]?[0]?["instanceId"] is not null, "the run is in the state file");
        Assert.Equal(1, file!["version"]!.GetValue<int>());
        Assert.Equal("kept", file["workloads"]![0]!["spec"]!["name"]!.GetValue<string>());
        Assert.StartsWith($"pid:{running.Pid}:", file["workloads"]![0]!["instanceId"]!.GetValue<string>());
        Assert.False(File.Exists(fixture.Options.StateFile + ".tmp"));
    }

    [Fact]
    public async Task StateFile_NewManagerAfterCleanStop_RestartsTheWorkloads()
    {
        await using var fixture = new ManagerFixture();
        var first = await fixture.StartAsync();
        await first.ApplyAsync(ManagerFixture.Process("a", "sleep", "30")).Within("applying a");
        await first.ApplyAsync(ManagerFixture.Process("b", "sleep", "30")).Within("applying b");
        var before = await fixture.WaitFor("b", s => s.State == WorkloadState.Running, "b running");
        await fixture.WaitFor("a", s => s.State == WorkloadState.Running, "a running");
        await first.StopAsync(CancellationToken.None).Within("stopping the first manager");
        Assert.False(ManagerFixture.Alive(before.Pid!.Value), "process workloads stop with the agent");

        var second = await fixture.StartAsync();

        var after = await fixture.WaitFor("b", s => s.State == WorkloadState.Running, "b running under the new manager");
        await fixture.WaitFor("a", s => s.State == WorkloadState.Running, "a running under the new manager");
        Assert.NotEqual(before.Pid, after.Pid);
        Assert.Equal(["a", "b"], second.List().Select(s => s.Name));
    }

    [Fact]
    public async Task StateFile_NewManagerAfterCrash_StopsTheOrphanAndRestartsIt()
    {
        await using var fixture = new ManagerFixture(o => o.InitialBackoff = TimeSpan.FromMilliseconds(100));
        var first = await fixture.StartAsync();
        await first.ApplyAsync(ManagerFixture.Process("orphan", "sleep", "30")).Within("applying");
        var before = await fixture.WaitFor("orphan", s => s.State == WorkloadState.Running, "running");
        await TestDeadline.Until(() => File.ReadAllText(fixture.Options.StateFile).Contains($"pid:{before.Pid}:", StringComparison.Ordinal), "the run is in the state file");
        await first.AbandonAsync().Within("abandoning the first manager");
        Assert.True(ManagerFixture.Alive(before.Pid!.Value), "a crashed agent leaves its process behind");

        await fixture.StartAsync();

        var after = await fixture.WaitFor("orphan", s => s.State == WorkloadState.Running && s.Pid != before.Pid, "running again");
        await TestDeadline.Until(() => !ManagerFixture.Alive(before.Pid!.Value), "the orphan is stopped");
        Assert.True(ManagerFixture.Alive(after.Pid!.Value));
    }

    [Fact]
    public async Task StateFile_Corrupt_ManagerStartsEmptyAndKeepsTheFileAside()
    {
        await using var fixture = new ManagerFixture();
        Directory.CreateDirectory(fixture.Options.StateDirectory);
        await File.WriteAllTextAsync(fixture.Options.StateFile, "{ not json");

        var manager = await fixture.StartAsync();

        Assert.Empty(manager.List());
        Assert.Equal("{ not json", await File.ReadAllTextAsync(fixture.Options.StateFile + ".bad"));
    }

    [Fact]
    public async Task Logs_FullDisk_WorkloadKeepsRunningAndStatusSaysLogsDegraded()
    {
        await using var fixture = new ManagerFixture();
        Directory.CreateDirectory(fixture.Options.LogDirectory);
        // Every write to /dev/full fails with ENOSPC, as on a full disk.
        File.CreateSymbolicLink(Path.Combine(fixture.Options.LogDirectory, "chatty.log"), "/dev/full");
        var manager = await fixture.StartAsync();

        await manager.ApplyAsync(ManagerFixture.Process("chatty", "/bin/sh", "-c", "while true; do echo line; sleep 0.02; done")).Within("applying");

        var status = await fixture.WaitFor("chatty", s => s.LogsDegraded, "reporting degraded logs");
        Assert.Equal(WorkloadState.Running, status.State);
        Assert.Equal(0, status.Restarts);
        Assert.True(ManagerFixture.Alive(status.Pid!.Value));
    }

    [Fact]
    public void Backoff_QuickFailures_DoublesUpToTheMaximum()
    {
        var options = new WorkloadOptions { InitialBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromMinutes(5) };

        var delays = Enumerable.Range(1, 12).Select(n => WorkloadManager.Backoff(options, n).TotalSeconds).ToArray();

        Assert.Equal([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300], delays);
    }
}
