using Aeros.Orchestration.Placement;
using static Aeros.Orchestration.Tests.Placement.PlacementTestData;

namespace Aeros.Orchestration.Tests.Placement;

/// <summary>The capacity view's caches give what a direct evaluation gives; a decision allocates only its result.</summary>
public sealed class PlacementStateTests
{
    [Fact]
    public void StaticCandidates_GeneratedComponents_EqualADirectEvaluationOfEveryConstraint()
    {
        var options = Options();
        var nodes = PlacementInstanceGenerator.Nodes(300, 5);
        var components = PlacementInstanceGenerator.Components(600, nodes, 5);
        var state = new PlacementState(nodes, options);
        var areas = new PlacementConstraints.AreaCache();
        foreach (var c in components)
        {
            var expected = Enumerable.Range(0, nodes.Count)
                .Where(n => PlacementConstraints.Usable(nodes[n], options) && PlacementConstraints.StaticallyFeasible(c, nodes[n], options, areas))
                .ToArray();
            Assert.Equal(expected, state.StaticCandidates(c));
        }
    }

    [Fact]
    public void Explain_PinnedToAnUnusableNode_NamesThePinAndCountsUsableNodes()
    {
        var nodes = new[] { Node("a"), Node("b") with { Reachable = false }, Node("c") };
        var state = new PlacementState(nodes, Options());
        Assert.Equal("pinned: node b is not among the 2 usable nodes", state.Explain(Component("x") with { PinnedNodeId = "b" }));
        Assert.Empty(state.StaticCandidates(Component("x") with { PinnedNodeId = "b" }));
        Assert.Equal([2], state.StaticCandidates(Component("x") with { PinnedNodeId = "c" }));
    }

    [Fact]
    public void Reason_ReadAfterLaterPlacements_SaysWhatHeldWhenDecided()
    {
        var session = new PlacementSession([Node("cheap", watts: 4), Node("costly", watts: 100)], Options());
        var first = Assert.Single(session.Place([Component("a", cpu: 3, memoryMb: 1024)]).Decisions);
        var second = Assert.Single(session.Place([Component("b", cpu: 3)]).Decisions);
        Assert.Equal("cheap", first.NodeId);
        Assert.Equal("costly", second.NodeId);
        // Formatted on first read, after b's placement filled the cheap node: still a's view (2 feasible, runner-up costly
        // at 3 cores × 25 W + 4 × (3/4 + 1024/8192) / 2).
        Assert.StartsWith("lowest cost ", first.Reason, StringComparison.Ordinal);
        Assert.EndsWith("; 2 feasible of 2, runner-up costly at 76.75", first.Reason, StringComparison.Ordinal);
        Assert.EndsWith("; 1 feasible of 2", second.Reason, StringComparison.Ordinal);
        Assert.Same(first.Reason, first.Reason);
    }

    [Fact]
    public void Place_OneServiceAfterAnother_AllocatesOnlyTheResultPerDecision()
    {
        var nodes = PlacementInstanceGenerator.Nodes(2_000, 9);
        var session = new PlacementSession(nodes, Options());
        var service = new[] { Component("c", cpu: 0.001, memoryMb: 1) with { Ports = [new PlacementPort(9000)], DiskRequestMb = 1 } };
        session.Place(service); // fills the candidate cache for this signature
        const int Decisions = 500;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Decisions; i++)
        {
            session.Place(service);
        }
        var perDecision = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Decisions;
        // The result (decision, its array, the result record) and the port set of each newly used node: a few hundred
        // bytes. Reason strings, score dictionaries or a rebuilt candidate list would each add far more.
        Assert.InRange(perDecision, 1, 800);
    }
}
