using System.Text.Json.Nodes;
using Aeros.Orchestration.Llo;

namespace Aeros.Orchestration.Tests.Scenarios;

/// <summary>
/// Issue 5's end-to-end scenarios on a real local continuum (<c>aeros up --domains 2 --ies-per-domain 2</c>), driven by
/// the client commands as a user types them: deploy, cross-domain placement, agent failover, delete, domain host crash.
/// Security is on (the default of <c>aeros up</c>) in all of them; the deploy scenarios also run with <c>--no-security</c>.
/// The failover and crash scenarios restart the agent and the domain host with the credentials the state file records.
/// </summary>
[Trait("Category", "Slow")]
public sealed class OrchestrationScenarioTests
{
    private static readonly TimeSpan DeployDeadline = TimeSpan.FromSeconds(150);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Deploy_HelloWebSample_RunsOnAFeasibleIeAndServesItsPage(bool security)
    {
        await using var continuum = await ScenarioContinuum.StartAsync(2, 2, security);
        var (file, port) = continuum.SampleWithFreePort("hello-web.yaml", 18081);

        var (code, _, output) = await continuum.AerosAsync(DeployDeadline, "deploy", file, "--id", "hello-web", "--timeout", "120");

        Assert.True(code == 0, output);
        Assert.Contains("hello-web: Running on urn:ngsi-ld:InfrastructureElement:", output, StringComparison.Ordinal);
        var component = (await continuum.ServiceAsync("hello-web"))!["components"]!.AsArray().Single()!;
        var ie = (string)component["infrastructureElement"]!;
        Assert.Contains(ie, continuum.State.Agents.Select(a => a.IeId));
        Assert.Equal("Running", (string?)component["status"]);
        Assert.False(string.IsNullOrEmpty((string?)component["decision"]?["reason"]), component.ToJsonString());
        var workload = WorkloadNaming.Name((string)component["id"]!, (long)component["generation"]!);
        Assert.Contains(workload, await continuum.WorkloadsAsync(ie));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var page = "";
        await TestDeadline.Until(async () =>
        {
            try
            {
                page = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/"));
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "the web server answers", TimeSpan.FromSeconds(30));
        Assert.Contains("Hello from Aeros (hello-web sample)", page, StringComparison.Ordinal);

        var (logsCode, logs, logsOutput) = await continuum.AerosAsync(TimeSpan.FromSeconds(60), "logs", "hello-web/hello-web", "--output", "json");
        Assert.True(logsCode == 0, logsOutput);
        Assert.Equal(workload, (string?)JsonNode.Parse(logs)!["workload"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Deploy_SecondDomainSample_RunsInDomain2(bool security)
    {
        await using var continuum = await ScenarioContinuum.StartAsync(2, 2, security);
        var (file, port) = continuum.SampleWithFreePort("second-domain.yaml", 18085);

        var (code, _, output) = await continuum.AerosAsync(DeployDeadline, "deploy", file, "--id", "remote", "--domain", "domain1", "--timeout", "120");

        Assert.True(code == 0, output);
        var service = await continuum.ServiceAsync("remote");
        var component = service!["components"]!.AsArray().Single()!;
        Assert.StartsWith("urn:ngsi-ld:InfrastructureElement:domain2:", (string)component["infrastructureElement"]!, StringComparison.Ordinal);
        Assert.Equal("Running", (string?)component["status"]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await TestDeadline.Until(async () =>
        {
            try
            {
                return (await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/"))).Contains("Hello from domain2", StringComparison.Ordinal);
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "the domain2 web server answers", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Failover_AgentSigkilled_ComponentRunningOnAnotherIeAndStaleCopyStoppedWhenItReturns()
    {
        await using var continuum = await ScenarioContinuum.StartAsync(2, 2);
        var file = WriteSleeper(continuum.Data, "sleeper");
        var (code, _, output) = await continuum.AerosAsync(DeployDeadline, "deploy", file, "--timeout", "120");
        Assert.True(code == 0, output);
        var before = (await continuum.ServiceAsync("sleeper"))!["components"]!.AsArray().Single()!;
        var lost = (string)before["infrastructureElement"]!;
        var componentId = (string)before["id"]!;

        continuum.KillAgent(lost);

        JsonNode? after = null;
        await TestDeadline.Until(async () =>
        {
            after = (await continuum.ServiceAsync("sleeper"))?["components"]?.AsArray().Single();
            return (string?)after?["status"] == "Running" && (string?)after["infrastructureElement"] != lost;
        }, $"the component runs elsewhere after {lost} was killed", TimeSpan.FromSeconds(60), async () => after?.ToJsonString() ?? "(no service)");
        var now = (string)after!["infrastructureElement"]!;
        Assert.True((long)after["generation"]! > (long)before["generation"]!, after.ToJsonString());
        Assert.Contains(WorkloadNaming.Name(componentId, (long)after["generation"]!), await continuum.WorkloadsAsync(now));

        // The lost IE returns: its stale copy (old generation) is stopped, the component stays where it is.
        continuum.RestartAgent(lost);
        var hash = WorkloadNaming.Hash(componentId);
        await TestDeadline.Until(async () => await continuum.WorkloadsOrNullAsync(lost) is { } left && left.All(w => !w.Contains(hash, StringComparison.Ordinal)),
            "the returned IE answers and runs no copy of the component", TimeSpan.FromSeconds(60));
        Assert.Equal(now, (string?)(await continuum.ServiceAsync("sleeper"))!["components"]![0]!["infrastructureElement"]);
    }

    [Fact]
    public async Task Delete_RunningService_StoppedOnEveryAgent()
    {
        await using var continuum = await ScenarioContinuum.StartAsync(2, 2);
        var file = WriteSleeper(continuum.Data, "doomed");
        var (code, _, output) = await continuum.AerosAsync(DeployDeadline, "deploy", file, "--timeout", "120");
        Assert.True(code == 0, output);
        var componentId = (string)(await continuum.ServiceAsync("doomed"))!["components"]![0]!["id"]!;

        (code, _, output) = await continuum.AerosAsync(TimeSpan.FromSeconds(120), "delete", "doomed", "--wait", "--timeout", "90");

        Assert.True(code == 0, output);
        Assert.Null(await continuum.ServiceAsync("doomed"));
        var hash = WorkloadNaming.Hash(componentId);
        await TestDeadline.Until(async () =>
        {
            foreach (var agent in continuum.State.Agents)
            {
                if ((await continuum.WorkloadsAsync(agent.IeId)).Any(w => w.Contains(hash, StringComparison.Ordinal)))
                {
                    return false;
                }
            }
            return true;
        }, "no agent runs the deleted component", TimeSpan.FromSeconds(60));
        (code, _, output) = await continuum.AerosAsync(TimeSpan.FromSeconds(60), "delete", "doomed");
        Assert.True(code == 5, output);
    }

    [Fact]
    public async Task DomainHostSigkilledMidDeploy_ConvergesAfterRestartWithOneCopy()
    {
        await using var continuum = await ScenarioContinuum.StartAsync(2, 2);
        var file = WriteSleeper(continuum.Data, "survivor");
        var (code, _, output) = await continuum.AerosAsync(TimeSpan.FromSeconds(60), "deploy", file, "--no-wait");
        Assert.True(code == 0, output);

        continuum.KillDomain("domain1");
        continuum.RestartDomain("domain1");

        JsonNode? component = null;
        await TestDeadline.Until(async () =>
        {
            try
            {
                component = (await continuum.ServiceAsync("survivor"))?["components"]?.AsArray().SingleOrDefault();
            }
            catch (InvalidOperationException)
            {
                return false; // the domain host is still starting
            }
            return (string?)component?["status"] == "Running";
        }, "the service converges after the domain host restarts", TimeSpan.FromSeconds(150), async () => component?.ToJsonString() ?? "(none)");
        var hash = WorkloadNaming.Hash((string)component!["id"]!);
        var copies = 0;
        foreach (var agent in continuum.State.Agents)
        {
            copies += (await continuum.WorkloadsAsync(agent.IeId)).Count(w => w.Contains(hash, StringComparison.Ordinal));
        }
        Assert.Equal(1, copies);
    }

    /// <summary>A one-component process blueprint that sleeps (cheap, no port): the failover, delete and crash scenarios' workload.</summary>
    internal static string WriteSleeper(string directory, string name)
    {
        var file = Path.Combine(directory, name + ".yaml");
        File.WriteAllText(file, $$"""
            tosca_definitions_version: tosca_simple_yaml_1_3
            node_templates:
              {{name}}:
                type: tosca.nodes.Container.Application
                artifacts:
                  sleeper:
                    type: aeros.artifacts.Deployment.Process
                    file: /bin/sleep
                    args: ["3600"]
            """);
        return file;
    }
}
