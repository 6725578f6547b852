using Aeros.Abstractions.Continuum;
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

/// <summary>The Lagrangian lower bound: never above a proven optimum, and it counts latency where the plain bound cannot.</summary>
public sealed class PlacementBoundTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(21)]
    public void LowerBound_SmallGeneratedInstances_NotAboveTheCpSatOptimumWithLatency(int seed)
    {
        var options = Options(workers: 2);
        options.CpSatTimeBudget = TimeSpan.FromSeconds(60); // an upper bound for a loaded machine; optimality comes in well under a second
        var problem = PlacementInstanceGenerator.Generate(12, 20, seed); // 20 nodes: CP-SAT models latency exactly
        var exact = new CpSatSolver(options).Solve(problem, CancellationToken.None);
        Assert.True(exact.Optimal, "CP-SAT did not prove optimality within the budget");
        var plain = PlacementEvaluation.LowerBound(problem, options, iterations: 0);
        var bound = PlacementEvaluation.LowerBound(problem, options);
        Assert.InRange(bound, plain, exact.Objective + 1e-6);
    }

    [Fact]
    public void LowerBound_LinkedComponentsThatCannotShareANode_CountsTheirLatency()
    {
        // a is pinned to home; b cannot go there (wrong architecture) and must pay the latency to near or far.
        var home = Node("home") with { Location = new GeoPoint(2, 41) };
        var near = Node("near") with { Location = new GeoPoint(2.5, 41), CpuArchitecture = CpuArchitecture.ARM64 };
        var far = Node("far") with { Location = new GeoPoint(20, 55), CpuArchitecture = CpuArchitecture.ARM64 };
        var problem = new PlacementProblem(
            [home, near, far],
            [Component("a") with { PinnedNodeId = "home" }, Component("b") with { CpuArchitecture = CpuArchitecture.ARM64, Links = [new PlacementLink("a")] }],
            PlacementInstanceGenerator.Latency);
        var options = Options();
        var plain = PlacementEvaluation.LowerBound(problem, options, iterations: 0);
        var bound = PlacementEvaluation.LowerBound(problem, options);
        var latencyTerm = options.Weights.Latency * PlacementInstanceGenerator.Latency(home, near)!.Value;
        Assert.Equal(plain + latencyTerm, bound, 6); // both components on their cheapest node, plus the nearest link
        var exact = new CpSatSolver(options).Solve(problem, CancellationToken.None);
        Assert.Equal(exact.Objective, bound, 6);
    }

    [Fact]
    public void LowerBound_CapacityForcesTheSecondComponentElsewhere_RaisedAboveThePerComponentMinimum()
    {
        // Both want cheap, which holds one: every placement pays costly for one of them.
        var problem = new PlacementProblem([Node("cheap", watts: 4, cores: 2), Node("costly", watts: 100, cores: 2)], [Component("a", cpu: 1.5), Component("b", cpu: 1.5)]);
        var options = Options();
        var plain = PlacementEvaluation.LowerBound(problem, options, iterations: 0);
        var bound = PlacementEvaluation.LowerBound(problem, options);
        var exact = new CpSatSolver(options).Solve(problem, CancellationToken.None);
        Assert.True(bound > plain + 1, $"bound {bound} not above the plain {plain}");
        Assert.True(bound <= exact.Objective + 1e-6, $"bound {bound} above the optimum {exact.Objective}");
    }
}
