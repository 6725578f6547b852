using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Aeros.Testing;

namespace Aeros.Agent.Tests.Scenarios;

/// <summary>
/// Issue 4's "done when": a real <c>aeros agent</c> process next to the real broker — the IE entity appears within 2 s,
/// a killed workload is restarted with backoff, workloads keep running while the broker is down and the IE registers
/// again when it returns, and a podman workload runs a real container.
/// </summary>
[Trait("Category", "Slow")]
public sealed class AgentScenarioTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the agent-only executable aeros-agent (what a node installs, published as NativeAOT)
    public async Task Agent_Started_IeEntityInTheBrokerWithin2sWithTheDataModelAttributes(bool agentOnlyExecutable)
    {
        await using var node = await AgentNode.StartAsync(agentOnlyExecutable: agentOnlyExecutable);

        JsonObject? entity = null;
        // The wait is generous (a loaded CI machine); the 2 s requirement is checked on the agent's own clock below.
        await TestDeadline.Until(async () => (entity = await node.EntityAsync()) is not null, "the IE entity is in the broker", TimeSpan.FromSeconds(10),
            describe: () => Task.FromResult(node.Agent.Output));

        // The agent's own clock: from its start to the heartbeat of its registration.
        Assert.InRange(AgentNode.Heartbeat(entity!) - node.StartedAt, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        Assert.Equal("InfrastructureElement", entity!["type"]!.GetValue<string>());
        Assert.Matches("^urn:ngsi-ld:InfrastructureElement:scn:", node.IeId);
        AssertRelationship(entity, "domain", "urn:ngsi-ld:Domain:scn");
        AssertRelationship(entity, "infrastructureElementTier", "urn:ngsi-ld:InfrastructureElementTier:Edge");
        Assert.Matches("^urn:ngsi-ld:InfrastructureElementStatus:(Ready|Overloaded)$", Relationship(entity, "infrastructureElementStatus"));
        Assert.Matches("^urn:ngsi-ld:CpuArchitecture:(AMD64|ARM64|ARM32|PPC64LE|RISC-V|S390X|MIPS64LE)$", Relationship(entity, "cpuArchitecture"));
        Assert.Matches("^urn:ngsi-ld:LowLevelOrchestrator:scn:(Podman|Process)$", Relationship(entity, "lowLevelOrchestrator"));
        var memTotalMb = long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        Assert.Equal(memTotalMb, entity["ramCapacity"]!["value"]!.GetValue<double>(), 0.01);
        Assert.Equal("Megabytes (MB)", entity["ramCapacity"]!["unitCode"]!.GetValue<string>());
        Assert.True(entity["cpuCores"]!["value"]!.GetValue<int>() >= 1);
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/hostname").Trim(), entity["hostname"]!["value"]!.GetValue<string>());
        Assert.Equal("Linux", entity["operatingSystem"]!["value"]!.GetValue<string>());
        foreach (var name in new[] { "currentCpuUsage", "availableRam", "currentRamUsagePct", "currentPowerConsumption", "energyEfficiencyRatio", "healthScore", "healthBreakdown", "realTimeCapable", "gpu" })
        {
            Assert.True(entity[name] is not null, $"{name} is missing: {entity.ToJsonString()}");
        }

        // With podman here, containerTechnology comes with the registration or as a change once the detection answered.
        if (PodmanEnvironment.PodmanPath is not null)
        {
            await TestDeadline.Until(async () => (await node.EntityAsync())?["containerTechnology"]?["value"]?.GetValue<string>() == "Podman",
                "containerTechnology Podman is reported", TimeSpan.FromSeconds(40));
        }

        // The heartbeat keeps advancing (every 5 s by default).
        var first = AgentNode.Heartbeat((await node.EntityAsync())!);
        await TestDeadline.Until(async () => AgentNode.Heartbeat((await node.EntityAsync())!) > first, "the heartbeat advances", TimeSpan.FromSeconds(12));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Agent_WorkloadProcessKilled_RestartedAfterTheBackoff(bool agentOnlyExecutable)
    {
        await using var node = await AgentNode.StartAsync(agentOnlyExecutable: agentOnlyExecutable);
        await node.PutWorkloadAsync("sleeper", """{"kind": "Process", "command": "sleep", "args": ["300"]}""");
        var first = await RunningAsync(node, "sleeper", previousPid: null);

        using (var process = Process.GetProcessById(first.Pid))
        {
            process.Kill();
        }

        var second = await RunningAsync(node, "sleeper", previousPid: first.Pid);
        var status = await node.WorkloadAsync("sleeper");
        Assert.Equal(1, status["restarts"]!.GetValue<int>());
        var finished = DateTimeOffset.Parse(status["finishedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        // The first restart waits the initial backoff (1 s).
        Assert.True(second.StartedAt - finished >= TimeSpan.FromSeconds(0.9), $"restarted {(second.StartedAt - finished).TotalSeconds} s after the kill");
        Assert.Equal(1, await node.MetricAsync("aeros_workload_restarts_total"));
        Assert.Equal(1, await node.MetricAsync("aeros_workloads{state=\"running\"}"));
    }

    [Fact]
    public async Task Agent_BrokerDownThenBack_WorkloadsKeepRunningAndTheIeRegistersAgain()
    {
        await using var node = await AgentNode.StartAsync();
        await TestDeadline.Until(async () => await node.EntityAsync() is not null, "the IE entity is in the broker", TimeSpan.FromSeconds(20));
        await node.PutWorkloadAsync("keeper", """{"kind": "Process", "command": "sleep", "args": ["300"]}""");
        var run = await RunningAsync(node, "keeper", previousPid: null);
        var before = AgentNode.Heartbeat((await node.EntityAsync())!);

        await node.Broker.StopAsync().Within("stopping the broker");
        await TestDeadline.Until(async () => await node.MetricAsync("aeros_broker_reachable") == 0, "the agent sees the broker down", TimeSpan.FromSeconds(15));
        var attempts = await node.MetricAsync("aeros_broker_registration_attempts_total") ?? 0;
        await TestDeadline.Until(async () => await node.MetricAsync("aeros_broker_registration_attempts_total") >= attempts + 2,
            "the agent retries", TimeSpan.FromSeconds(15));
        var during = await node.WorkloadAsync("keeper");
        Assert.Equal("Running", during["state"]!.GetValue<string>());
        Assert.Equal(run.Pid, during["pid"]!.GetValue<int>());
        Assert.False(Process.GetProcessById(run.Pid).HasExited);

        await node.Broker.RestartAsync().Within("restarting the broker on the same port");

        await TestDeadline.Until(async () => await node.MetricAsync("aeros_reports_total{kind=\"registration\"}") == 2, "the IE registers again", TimeSpan.FromSeconds(30),
            describe: () => Task.FromResult(node.Agent.Output));
        await TestDeadline.Until(async () => AgentNode.Heartbeat((await node.EntityAsync())!) > before, "the heartbeat advances again", TimeSpan.FromSeconds(10));
        Assert.Equal(1, await node.MetricAsync("aeros_broker_reachable"));
        Assert.Equal(1, await node.MetricAsync("aeros_broker_outages_total"));
        // One line when the outage began and one when it ended, whatever the number of attempts.
        Assert.Equal(1, node.LogCount(4301));
        Assert.Equal(1, node.LogCount(4302));
        var after = await node.WorkloadAsync("keeper");
        Assert.Equal(run.Pid, after["pid"]!.GetValue<int>());
        Assert.Equal(0, after["restarts"]!.GetValue<int>());
    }

    [PodmanFact]
    public async Task Agent_PodmanWorkloadThroughTheApi_RunsARealContainer()
    {
        await PodmanEnvironment.EnsureImageAsync().Within("importing the busybox image", TimeSpan.FromMinutes(3));
        var name = "web-" + Guid.NewGuid().ToString("N")[..8];
        var hostPort = AerosProcess.FreePort();
        await using var node = await AgentNode.StartAsync(new Dictionary<string, string> { ["CONTAINERS_CONF"] = PodmanEnvironment.ContainersConf });
        try
        {
            await node.PutWorkloadAsync(name, $$"""
                {"kind": "Container", "image": "{{PodmanEnvironment.Image}}", "command": "httpd", "args": ["-f", "-p", "8080", "-h", "/www"],
                 "ports": ["{{hostPort}}:8080/tcp"], "memoryLimit": "64m", "restartPolicy": "Always"}
                """);
            await TestDeadline.Until(async () => (await node.WorkloadAsync(name))["state"]!.GetValue<string>() == "Running", "the container runs",
                TimeSpan.FromSeconds(90), describe: async () => (await node.WorkloadAsync(name)).ToJsonString());
            using var web = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            string? page = null;
            await TestDeadline.Until(async () =>
            {
                try
                {
                    page = await web.GetStringAsync($"http://127.0.0.1:{hostPort}/index.html");
                    return true;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "the container answers on its published port", TimeSpan.FromSeconds(20));
            Assert.Equal("aeros busybox\n", page);
            Assert.NotNull((await node.WorkloadAsync(name))["containerId"]?.GetValue<string>());
            await TestDeadline.Until(async () => (await node.EntityAsync())?["containerTechnology"]?["value"]?.GetValue<string>() == "Podman",
                "containerTechnology Podman is reported", TimeSpan.FromSeconds(40));

            // httpd as PID 1 ignores SIGTERM: the stop waits podman's stop timeout (10 s) before the kill.
            using var slow = new HttpClient { BaseAddress = node.Http.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            using var deleted = await slow.DeleteAsync($"/self/v1/workloads/{name}").Within("deleting the workload", TimeSpan.FromSeconds(60));
            Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);
        }
        finally
        {
            // Containers outlive a killed agent by design; the test removes its own.
            await PodmanEnvironment.RunAsync("rm", "-f", "--time", "1", "aeros-" + name).Within("removing the container", TimeSpan.FromMinutes(2));
        }
    }

    private static async Task<(int Pid, DateTimeOffset StartedAt)> RunningAsync(AgentNode node, string name, int? previousPid)
    {
        JsonObject? status = null;
        await TestDeadline.Until(async () =>
        {
            status = await node.WorkloadAsync(name);
            return status["state"]!.GetValue<string>() == "Running" && status["pid"] is JsonValue pid && pid.GetValue<int>() != previousPid;
        }, previousPid is null ? $"{name} runs" : $"{name} runs again", TimeSpan.FromSeconds(20), describe: () => Task.FromResult(status?.ToJsonString() ?? ""));
        return (status!["pid"]!.GetValue<int>(), DateTimeOffset.Parse(status["startedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture));
    }

    private static string Relationship(JsonObject entity, string name)
    {
        Assert.Equal("Relationship", entity[name]?["type"]?.GetValue<string>());
        return entity[name]!["object"]!.GetValue<string>();
    }

    private static void AssertRelationship(JsonObject entity, string name, string target) => Assert.Equal(target, Relationship(entity, name));
}
