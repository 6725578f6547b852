using System.Net;
using System.Net.Sockets;
using Aeros.Agent.Runtime;
using Aeros.Agent.Tests.Workloads;
using Aeros.Agent.Workloads;

namespace Aeros.Agent.Tests.Runtime;

/// <summary>Real containers through podman, from the local busybox image (see DEVELOPERS.md).</summary>
public sealed class PodmanRuntimeTests
{

    private static WorkloadSpec Httpd(string name, int port) => new()
    {
        Name = name, Kind = WorkloadKind.Container, Image = PodmanEnvironment.Image, Command = "httpd", Args = ["-f", "-v", "-p", "8080", "-h", "/www"],
        Ports = [new PortMapping(port, 8080, "tcp")], Env = new Dictionary<string, string> { ["AEROS"] = "yes" }, CpuLimit = 0.5, MemoryLimit = 64L * 1024 * 1024,
    };

    [PodmanFact]
    public async Task Apply_BusyboxHttpd_ServesOnItsPortAndIsRemovedWithTheWorkload()
    {
        await PodmanEnvironment.EnsureImageAsync().Within("importing the busybox image", TimeSpan.FromMinutes(3));
        await using var fixture = new ManagerFixture();
        var manager = await fixture.StartAsync();
        var port = TestPorts.Free();

        await manager.ApplyAsync(Httpd("web", port)).Within("applying");

        var status = await fixture.WaitFor("web", s => s.State == WorkloadState.Running, "running");
        Assert.NotNull(status.ContainerId);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string? body = null;
        await TestDeadline.Until(() =>
        {
            try
            {
                body = http.GetStringAsync($"http://127.0.0.1:{port}/index.html").Result;
                return true;
            }
            catch (AggregateException)
            {
                return false;
            }
        }, "httpd answers on the published port");
        Assert.Equal("aeros busybox\n", body);
        Assert.Equal("true", await PodmanEnvironment.OutputAsync("container", "inspect", "--format", "{{.State.Running}}", status.ContainerId!).Within("inspecting"));
        Assert.Equal(64L * 1024 * 1024, long.Parse(await PodmanEnvironment.OutputAsync("container", "inspect", "--format", "{{.HostConfig.Memory}}", status.ContainerId!).Within("inspecting memory")));
        Assert.Contains("AEROS=yes", await PodmanEnvironment.OutputAsync("container", "inspect", "--format", "{{.Config.Env}}", status.ContainerId!).Within("inspecting env"));

        Assert.True(await manager.RemoveAsync("web").Within("removing", TimeSpan.FromSeconds(60)));

        Assert.Equal(1, await PodmanEnvironment.RunAsync("container", "exists", status.ContainerId!).Within("checking the container is gone"));
    }

    [PodmanFact]
    public async Task Supervise_ContainerThatExits_RestartedAndLogsRead()
    {
        await PodmanEnvironment.EnsureImageAsync().Within("importing the busybox image", TimeSpan.FromMinutes(3));
        await using var fixture = new ManagerFixture(o => o.InitialBackoff = TimeSpan.FromMilliseconds(200));
        var manager = await fixture.StartAsync();

        await manager.ApplyAsync(new WorkloadSpec
        {
            Name = "blink", Kind = WorkloadKind.Container, Image = PodmanEnvironment.Image, Command = "sh", Args = ["-c", "echo blink-$AEROS; sleep 0.5; exit 4"],
            Env = new Dictionary<string, string> { ["AEROS"] = "on" }, RestartPolicy = RestartPolicy.OnFailure,
        }).Within("applying");

        var status = await fixture.WaitFor("blink", s => s.Restarts >= 1 && s.State == WorkloadState.Running, "restarted after exiting with 4", TimeSpan.FromSeconds(60));
        Assert.Equal(4, status.LastExitCode);
        IReadOnlyList<string>? lines = null;
        await TestDeadline.Until(() => (lines = manager.ReadLogsAsync("blink", 10).Result) is { Count: > 0 }, "the container's output is read", () => string.Join("|", lines ?? []));
        Assert.Equal("blink-on", lines![^1]);
    }

    [PodmanFact]
    public async Task Apply_NonexistentImage_FailedWithReason()
    {
        await using var fixture = new ManagerFixture();
        var manager = await fixture.StartAsync();

        await manager.ApplyAsync(new WorkloadSpec { Name = "noimage", Kind = WorkloadKind.Container, Image = "localhost/aeros-no-such-image:1" }).Within("applying");

        var status = await fixture.WaitFor("noimage", s => s.State == WorkloadState.Failed, "failed", TimeSpan.FromSeconds(60));
        Assert.Contains("image not known", status.LastError);
        Assert.Equal(0, status.Restarts);
    }

    [PodmanFact]
    public async Task Apply_CommandMissingInImage_FailedWithReason()
    {
        await PodmanEnvironment.EnsureImageAsync().Within("importing the busybox image", TimeSpan.FromMinutes(3));
        await using var fixture = new ManagerFixture();
        var manager = await fixture.StartAsync();

        await manager.ApplyAsync(new WorkloadSpec { Name = "nocmd", Kind = WorkloadKind.Container, Image = PodmanEnvironment.Image, Command = "aeros-nope" }).Within("applying");

        var status = await fixture.WaitFor("nocmd", s => s.State == WorkloadState.Failed, "failed", TimeSpan.FromSeconds(60));
        Assert.Contains("not found", status.LastError);
        Assert.Equal(1, await PodmanEnvironment.RunAsync("container", "exists", PodmanRuntime.ContainerName("nocmd")).Within("checking nothing is left"));
    }

    [PodmanFact]
    public async Task StateFile_NewManager_AdoptsTheRunningContainer()
    {
        await PodmanEnvironment.EnsureImageAsync().Within("importing the busybox image", TimeSpan.FromMinutes(3));
        await using var fixture = new ManagerFixture();
        var first = await fixture.StartAsync();
        await first.ApplyAsync(new WorkloadSpec { Name = "keep", Kind = WorkloadKind.Container, Image = PodmanEnvironment.Image, Command = "sleep", Args = ["300"] }).Within("applying");
        var before = await fixture.WaitFor("keep", s => s.State == WorkloadState.Running, "running", TimeSpan.FromSeconds(60));
        await first.StopAsync(CancellationToken.None).Within("stopping the first manager");
        Assert.Equal("true", await PodmanEnvironment.OutputAsync("container", "inspect", "--format", "{{.State.Running}}", before.ContainerId!).Within("inspecting"));

        await fixture.StartAsync();

        var after = await fixture.WaitFor("keep", s => s.State == WorkloadState.Running, "adopted", TimeSpan.FromSeconds(60));
        Assert.Equal(before.ContainerId, after.ContainerId);
        Assert.Equal(0, after.Restarts);
    }

    [Fact]
    public void RunArguments_FullSpec_MapsToPodmanFlags()
    {
        var args = PodmanRuntime.RunArguments(Httpd("web", 18080) with { Credentials = new RegistryCredentials("u", "p") }, "never");

        Assert.Equal(
        [
            "run", "-d", "--name", "aeros-web", "--label", "aeros.workload=web", "--pull", "never", "--cpus", "0.5", "--memory", "67108864",
            "-p", "18080:8080/tcp", "-e", "AEROS=yes", "--creds", "u:p", "--entrypoint", "httpd", PodmanEnvironment.Image, "-f", "-v", "-p", "8080", "-h", "/www",
        ], args);
    }

    [Fact]
    public void Parse_InspectOutput_ReadsStateAndExitCode()
    {
        var state = PodmanRuntime.Parse("""[{"Id":"abc","State":{"Status":"exited","Running":false,"ExitCode":3,"OOMKilled":false,"Error":"","StartedAt":"2026-01-01T00:00:00Z"}}]""");

        Assert.Equal(new PodmanRuntime.ContainerState(false, 3, "", false, DateTimeOffset.Parse("2026-01-01T00:00:00Z")), state);
        Assert.True(PodmanRuntime.Parse("""[{"State":{"Status":"running","Running":true,"ExitCode":0}}]""")!.Value.Running);
        Assert.Null(PodmanRuntime.Parse("not json"));
    }
}
