using Aeros.Abstractions.Continuum;
using Aeros.Orchestration.Llo;

namespace Aeros.Orchestration.Tests.Llo;

/// <summary>The LLO against a real broker and real <c>aeros agent</c> processes.</summary>
[Trait("Category", "Slow")]
public sealed class LloIntegrationTests
{
    private const string ComponentId = "urn:ngsi-ld:Service:s1:Component:web";

    [Fact]
    public async Task Reconcile_StartingThenGenerationBump_RunsOneCopyOnTheCurrentElementOnly()
    {
        await using var bed = await LloTestbed.StartAsync();
        var n1 = await bed.StartAgentAsync("n1");
        var n2 = await bed.StartAgentAsync("n2");
        await bed.StartLloAsync();

        await bed.PlaceAsync(ComponentId, n1.ElementId, generation: 1);

        await bed.WaitForStatusAsync(ComponentId, ServiceComponentStatus.Running);
        Assert.Equal([(WorkloadNaming.Name(ComponentId, 1), "Running")], await n1.LloWorkloadsAsync());
        Assert.Empty(await n2.LloWorkloadsAsync());
        Assert.Null((await bed.ComponentAsync(ComponentId))!.StatusReason);

        // Re-placement: the HLO writes the other element with generation 2.
        await bed.PlaceAsync(ComponentId, n2.ElementId, generation: 2);

        await TestDeadline.Until(async () => (await n2.LloWorkloadsAsync()) is [(var name, "Running")] && name == WorkloadNaming.Name(ComponentId, 2)
            && (await n1.LloWorkloadsAsync()).Count == 0, "the copy moved from n1 to n2", TimeSpan.FromSeconds(60), async () => bed.Logs.Text);
        await bed.WaitForStatusAsync(ComponentId, ServiceComponentStatus.Running);
        var component = await bed.ComponentAsync(ComponentId);
        Assert.Equal(n2.ElementId, component!.InfrastructureElement);
        Assert.Equal(2, component.Generation);
    }

    [Fact]
    public async Task Reconcile_Removing_StopsTheWorkloadAndDeletesItsEntities()
    {
        await using var bed = await LloTestbed.StartAsync();
        var n1 = await bed.StartAgentAsync("n1");
        await bed.StartLloAsync();
        var portId = ContinuumIds.NetworkPort(ComponentId, "http");
        var requirementsId = ContinuumIds.Requirements(ComponentId);
        await bed.Client.UpsertManyAsync([
            new NetworkPort { Id = portId, PortNumber = AerosProcess.FreePort(), PortProtocol = PortProtocol.TCP },
            new InfrastructureElementRequirements { Id = requirementsId, CpuRequest = 0.1 },
        ]).Within("writing the port and requirements");
        var component = await bed.PlaceAsync(ComponentId, n1.ElementId, generation: 1);
        await bed.UpsertAsync(component with { NetworkPorts = [portId], InfrastructureElementRequirements = requirementsId });
        await bed.WaitForStatusAsync(ComponentId, ServiceComponentStatus.Running);

        await bed.Client.MergeAsync(ComponentId, new Dictionary<string, object?> { ["serviceComponentStatus"] = ServiceComponentStatus.Removing }).Within("setting Removing");

        await TestDeadline.Until(async () => await bed.Client.GetRawAsync(ComponentId) is null, "the component entity is deleted", TimeSpan.FromSeconds(60),
            async () => bed.Logs.Text);
        Assert.Empty(await n1.LloWorkloadsAsync());
        Assert.Null(await bed.Client.GetRawAsync(portId).Within("reading the port"));
        Assert.Null(await bed.Client.GetRawAsync(requirementsId).Within("reading the requirements"));
    }

    [Fact]
    public async Task Reconcile_AgentRefusesTheSpec_FailedWithTheAgentsErrors()
    {
        await using var bed = await LloTestbed.StartAsync();
        var n1 = await bed.StartAgentAsync("n1");
        await bed.StartLloAsync();

        // The agent refuses environment variable names that are not [A-Za-z_][A-Za-z0-9_]*.
        await bed.PlaceAsync(ComponentId, n1.ElementId, 1, env: [new KeyValueEntry("1-bad", "x")]);

        await bed.WaitForStatusAsync(ComponentId, ServiceComponentStatus.Failed);
        var reason = (await bed.ComponentAsync(ComponentId))!.StatusReason;
        Assert.NotNull(reason);
        Assert.Contains("400", reason, StringComparison.Ordinal);
        Assert.Contains("1-bad", reason, StringComparison.Ordinal);
        Assert.Empty(await n1.LloWorkloadsAsync());
    }

    [Fact]
    public async Task Reconcile_MissingCommand_FailedWithTheAgentsReason()
    {
        await using var bed = await LloTestbed.StartAsync();
        var n1 = await bed.StartAgentAsync("n1");
        await bed.StartLloAsync();

        await bed.PlaceAsync(ComponentId, n1.ElementId, 1, command: "/nonexistent/aeros-no-such-binary", args: []);

        await bed.WaitForStatusAsync(ComponentId, ServiceComponentStatus.Failed);
        Assert.Contains("aeros-no-such-binary", (await bed.ComponentAsync(ComponentId))!.StatusReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconcile_JobExitsZero_Finished()
    {
        await using var bed = await LloTestbed.StartAsync();
        var n1 = await bed.StartAgentAsync("n1");
        await bed.StartLloAsync();

        await bed.PlaceAsync(ComponentId, n1.ElementId, 1, command: "true", args: [], isJob: true);

        await bed.WaitForStatusAsync(ComponentId, ServiceComponentStatus.Finished);
    }

    [Fact]
    public async Task Monitor_AgentKilled_UnreachableReplacedAndStaleCopyStoppedWhenItReturns()
    {
        await using var bed = await LloTestbed.StartAsync();
        var n1 = await bed.StartAgentAsync("n1");
        var n2 = await bed.StartAgentAsync("n2");
        var replacer = new MovingReplacer(bed.Client, lost => lost == n1.ElementId ? n2.ElementId : n1.ElementId);
        await bed.StartLloAsync(replacer: replacer);
        await bed.PlaceAsync(ComponentId, n1.ElementId, 1);
        await bed.WaitForStatusAsync(ComponentId, ServiceComponentStatus.Running);
        var before = await bed.Client.GetAsync<InfrastructureElement>(n1.ElementId).Within("reading n1");
        Assert.True(before!.Reachable);

        await n1.KillAsync();

        InfrastructureElement? lost = null;
        await TestDeadline.Until(async () => (lost = await bed.Client.GetAsync<InfrastructureElement>(n1.ElementId))?.Reachable == false,
            "n1 is marked unreachable", TimeSpan.FromSeconds(30), async () => bed.Logs.Text);
        // Loose bound: grace 2 s + check 0.2 s + one heartbeat period (1 s), with room for a loaded machine.
        var detection = lost!.UnreachableSince!.Value - lost.Heartbeat!.Value;
        Assert.InRange(detection.TotalSeconds, 2, 15);
        await TestDeadline.Until(() => !replacer.Calls.IsEmpty, "the replacer is called");
        Assert.Equal((ComponentId, n1.ElementId), replacer.Calls.First());
        await TestDeadline.Until(async () => (await bed.ComponentAsync(ComponentId)) is { ServiceComponentStatus: ServiceComponentStatus.Running, Generation: 2 },
            "the component runs on n2 as generation 2", TimeSpan.FromSeconds(60), async () => bed.Logs.Text);
        Assert.Equal([(WorkloadNaming.Name(ComponentId, 2), "Running")], await n2.LloWorkloadsAsync());

        // n1 comes back with its state file: the agent restarts its old copy, which the LLO must stop.
        await bed.StartAgentAsync("n1", n1);

        await TestDeadline.Until(async () => (await bed.Client.GetAsync<InfrastructureElement>(n1.ElementId))?.Reachable == true,
            "n1 is reachable again", TimeSpan.FromSeconds(30), async () => bed.Logs.Text);
        await TestDeadline.Until(async () => (await n1.LloWorkloadsAsync()).Count == 0, "the stale copy on n1 is stopped",
            TimeSpan.FromSeconds(30), async () => bed.Logs.Text);
        Assert.Null((await bed.Client.GetAsync<InfrastructureElement>(n1.ElementId).Within("reading n1"))!.UnreachableSince);
        Assert.Equal([(WorkloadNaming.Name(ComponentId, 2), "Running")], await n2.LloWorkloadsAsync());
        Assert.Single(replacer.Calls);
    }
}
