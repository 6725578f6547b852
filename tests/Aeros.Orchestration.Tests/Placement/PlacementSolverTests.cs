using Aeros.Abstractions.Continuum;
using Aeros.Orchestration.Placement;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Aeros.Orchestration.Tests.Placement.PlacementTestData;

namespace Aeros.Orchestration.Tests.Placement;

public sealed class PlacementSolverTests
{
    [Fact]
    public void Solve_TwoComponentsDoNotFitOnTheBestNode_CapacityViewSendsTheSecondElsewhere()
    {
        var nodes = new[] { Node("cheap", watts: 4, cores: 2), Node("costly", watts: 100, cores: 8) };
        var problem = new PlacementProblem(nodes, [Component("a", cpu: 1.5), Component("b", cpu: 1.5)]);
        var options = Options();
        foreach (var solver in Solvers(options))
        {
            var result = solver.Solve(problem, CancellationToken.None);
            Assert.Equal(["cheap", "costly"], result.Decisions.Select(d => d.NodeId!).Order(StringComparer.Ordinal));
            Assert.Empty(PlacementVerifier.Violations(problem, options, result.Decisions));
        }
    }

    [Fact]
    public void LeastAllocated_TwoNodes_PicksTheMostFreeUntilItIsNoLonger()
    {
        var nodes = new[] { Node("small", watts: 4, cores: 2), Node("big", watts: 100, cores: 8) };
        var problem = new PlacementProblem(nodes, [Component("a", cpu: 1), Component("b", cpu: 1), Component("c", cpu: 1)]);
        var result = new LeastAllocatedSolver(Options()).Solve(problem, CancellationToken.None);
        // Free fractions after placing (CPU and memory averaged): big stays freer for a and b, then small wins.
        Assert.Equal(["big", "big", "small"], result.Decisions.Select(d => d.NodeId!));
        Assert.All(result.Decisions, d => Assert.StartsWith("least allocated:", d.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public void Solve_TwoComponentsWithTheSamePort_NotOnTheSameNode()
    {
        var nodes = new[] { Node("cheap", watts: 4, cores: 16), Node("costly", watts: 100, cores: 16) };
        var port = new PlacementPort(8080);
        var problem = new PlacementProblem(nodes, [Component("a") with { Ports = [port] }, Component("b") with { Ports = [port] }, Component("c") with { Ports = [new PlacementPort(8080, PortProtocol.UDP)] }]);
        var options = Options();
        foreach (var solver in Solvers(options))
        {
            var result = solver.Solve(problem, CancellationToken.None);
            Assert.NotEqual(result.Decisions[0].NodeId, result.Decisions[1].NodeId);
            Assert.Equal("cheap", result.Decisions[2].NodeId); // another protocol does not clash
            Assert.Empty(PlacementVerifier.Violations(problem, options, result.Decisions));
        }
    }

    /// <summary>
    /// Both components prefer A, which holds one. The greedy places c1 first (same size and candidate count, input
    /// order) on A and sends c2 to its very costly C; the optimum puts c1 on B and c2 on A. A move cannot repair it
    /// (A is full), so the heuristic stays suboptimal.
    /// </summary>
    private static PlacementProblem GreedyTrap() => new(
        [
            Node("A", watts: 4, cores: 2) with { RealTime = true },
            Node("B", watts: 8, cores: 2),
            Node("C", watts: 200, cores: 2) with { RealTime = true, CpuArchitecture = CpuArchitecture.ARM64 },
        ],
        [
            Component("c1", cpu: 1.5) with { CpuArchitecture = CpuArchitecture.AMD64 },
            Component("c2", cpu: 1.5) with { Realtime = true },
        ]);

    [Fact]
    public void CpSat_InstanceWhereGreedyIsSuboptimal_FindsTheOptimumAndMeasuresTheHeuristicsGap()
    {
        var options = Options();
        var problem = GreedyTrap();
        var heuristic = new HeuristicSolver(options).Solve(problem, CancellationToken.None);
        var exact = new CpSatSolver(options).Solve(problem, CancellationToken.None);

        Assert.Equal(["A", "C"], heuristic.Decisions.Select(d => d.NodeId!));
        Assert.False(heuristic.Optimal);
        Assert.Equal(CpSatSolver.SolverName, exact.Solver);
        Assert.True(exact.Optimal);
        Assert.Equal(0, exact.Gap);
        Assert.Equal(["B", "A"], exact.Decisions.Select(d => d.NodeId!));
        Assert.Equal(PlacementEvaluation.Objective(problem, options, exact.Decisions), exact.Objective, 9);
        var gap = (heuristic.Objective - exact.Objective) / heuristic.Objective;
        Assert.InRange(gap, 0.3, 1); // C costs 1.5 × 200/2 = 150 W against A's 3 W and B's 6 W
        Assert.All(exact.Decisions, d => Assert.StartsWith("cp-sat optimal", d.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public void Heuristic_LargeComponentStuckOnACostlyNode_SwapsWithTheSmallOneOnTheCheapNode()
    {
        // small has fewer candidates, so it is placed first and takes cheap; big (1.6 cores) no longer fits there and lands
        // on costly. No single move helps (cheap is full for big, costly is worse for small); the swap saves ~50 W.
        var nodes = new[]
        {
            Node("cheap", watts: 4, cores: 2),
            Node("costly", watts: 100, cores: 2),
            Node("other", watts: 400, cores: 2) with { CpuArchitecture = CpuArchitecture.ARM64 },
        };
        var problem = new PlacementProblem(nodes, [Component("small", cpu: 0.5) with { CpuArchitecture = CpuArchitecture.AMD64 }, Component("big", cpu: 1.6)]);
        var options = Options();
        var heuristic = new HeuristicSolver(options).Solve(problem, CancellationToken.None);
        var exact = new CpSatSolver(options).Solve(problem, CancellationToken.None);
        Assert.Equal(["costly", "cheap"], heuristic.Decisions.Select(d => d.NodeId!));
        Assert.All(heuristic.Decisions, d => Assert.StartsWith("swapped by local improvement", d.Reason, StringComparison.Ordinal));
        Assert.Equal(exact.Objective, heuristic.Objective, 6);
        Assert.Empty(PlacementVerifier.Violations(problem, options, heuristic.Decisions));
    }

    [Fact]
    public void Engine_SmallBatch_UsesCpSat_LargeOrSingle_UsesHeuristic()
    {
        var options = Options();
        options.CpSatMaxAssignments = 5;
        var engine = new PlacementEngine(Microsoft.Extensions.Options.Options.Create(options), NullLogger<PlacementEngine>.Instance, TimeProvider.System);
        Assert.Equal(CpSatSolver.SolverName, engine.Choose(GreedyTrap()));
        var result = engine.Solve(GreedyTrap(), CancellationToken.None);
        Assert.Equal(["B", "A"], result.Decisions.Select(d => d.NodeId!));
        Assert.All(result.Decisions, d => Assert.Equal(CpSatSolver.SolverName, d.Solver));

        var big = new PlacementProblem(Enumerable.Range(0, 3).Select(i => Node($"n{i}")).ToList(), [Component("a"), Component("b")]); // 6 pairs > 5
        Assert.Equal(HeuristicSolver.SolverName, engine.Choose(big));
        Assert.All(engine.Solve(big, CancellationToken.None).Decisions, d => Assert.Equal(HeuristicSolver.SolverName, d.Solver));

        var single = new PlacementProblem([Node("n")], [Component("a")]);
        Assert.Equal(HeuristicSolver.SolverName, engine.Choose(single));
        Assert.True(engine.Solve(single, CancellationToken.None).Optimal);
    }

    [Fact]
    public void Engine_InfeasibleComponent_StillReturnsADecisionWithReason()
    {
        var engine = new PlacementEngine(Microsoft.Extensions.Options.Options.Create(Options()), NullLogger<PlacementEngine>.Instance, TimeProvider.System);
        var result = engine.Solve(new PlacementProblem([Node("n")], [Component("ok"), Component("big", cpu: 64)]), CancellationToken.None);
        Assert.Equal("n", result.Decisions[0].NodeId);
        Assert.Null(result.Decisions[1].NodeId);
        Assert.StartsWith("cpu: needs 64 cores", result.Decisions[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Generator_SameSeed_SameInstanceAndSameDecisions_OtherSeedDiffers()
    {
        var options = Options();
        PlacementResult Run(int seed) => new HeuristicSolver(options).Solve(PlacementInstanceGenerator.Generate(60, 80, seed), CancellationToken.None);
        var first = Run(7);
        var second = Run(7);
        Assert.Equal(first.Decisions.Select(d => d.NodeId), second.Decisions.Select(d => d.NodeId));
        Assert.Equal(first.Objective, second.Objective);
        Assert.NotEqual(first.Decisions.Select(d => d.NodeId), Run(8).Decisions.Select(d => d.NodeId));

        var small = PlacementInstanceGenerator.Generate(10, 20, 3);
        var a = new CpSatSolver(options).Solve(small, CancellationToken.None);
        var b = new CpSatSolver(options).Solve(small, CancellationToken.None);
        Assert.Equal(a.Decisions.Select(d => d.NodeId), b.Decisions.Select(d => d.NodeId));
    }

    [Fact]
    public void Solve_GeneratedInstance_NoViolations_CpSatNotWorseThanHeuristic()
    {
        var options = Options(workers: 2);
        options.CpSatTimeBudget = TimeSpan.FromSeconds(60); // an upper bound for a loaded machine: it usually proves optimality in well under a second
        var problem = PlacementInstanceGenerator.Generate(12, 20, 11);
        var heuristic = new HeuristicSolver(options).Solve(problem, CancellationToken.None);
        var exact = new CpSatSolver(options).Solve(problem, CancellationToken.None);
        var baseline = new LeastAllocatedSolver(options).Solve(problem, CancellationToken.None);
        foreach (var result in new[] { heuristic, exact, baseline })
        {
            Assert.Empty(PlacementVerifier.Violations(problem, options, result.Decisions));
        }
        Assert.True(heuristic.Decisions.Count(d => d.NodeId is not null) > 8);
        Assert.Equal(heuristic.Unplaced, exact.Unplaced);
        // CP-SAT starts from the heuristic's solution, so even when time runs out it is not worse (up to rounding).
        Assert.True(exact.Objective <= heuristic.Objective + 0.01, $"cp-sat {exact.Objective} > heuristic {heuristic.Objective}");
        Assert.True(baseline.Objective >= exact.Objective - 1e-6);
        if (exact.Solver == CpSatSolver.SolverName)
        {
            Assert.NotNull(exact.Gap); // a solution from CP-SAT comes with its bound
        }
    }

    [Fact]
    public void Session_ServicesOneAfterAnother_SeeEachOthersRequests()
    {
        var session = new PlacementSession([Node("cheap", watts: 4, cores: 2), Node("costly", watts: 100, cores: 2)], Options());
        var first = session.Place([Component("a", cpu: 1.5)]);
        var second = session.Place([Component("b", cpu: 1.5)]);
        var third = session.Place([Component("c", cpu: 1.5)]);
        Assert.Equal("cheap", Assert.Single(first.Decisions).NodeId);
        Assert.Equal("costly", Assert.Single(second.Decisions).NodeId);
        Assert.Null(Assert.Single(third.Decisions).NodeId);
        Assert.True(first.Optimal);
    }

    [Fact]
    public void Decision_Placed_ReasonAndScorePartsExplainTheChoice()
    {
        var result = new HeuristicSolver(Options()).Solve(new PlacementProblem([Node("cheap", watts: 4), Node("costly", watts: 100)], [Component("c")]), CancellationToken.None);
        var decision = Assert.Single(result.Decisions);
        Assert.Equal(1.0, decision.ScoreParts.EnergyW, 9); // 1 core × 4 W / 4 cores
        Assert.Equal(decision.Objective!.Value, decision.ScoreParts.Energy + decision.ScoreParts.Balance + decision.ScoreParts.Latency, 9);
        Assert.StartsWith("lowest cost", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("energy +1 W", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("2 feasible of 2, runner-up costly", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_BadOptions_ListsEveryError()
    {
        var errors = PlacementOptionsValidator.Errors(new PlacementOptions
        {
            MinHealthScore = 2,
            GreenMinRatio = -1,
            CpSatTimeBudget = TimeSpan.Zero,
            CpSatMaxAssignments = -1,
            CpSatMaxLatencyNodes = -1,
            CpSatWorkers = 0,
            ImprovementPasses = -1,
            Weights = new PlacementWeights(Energy: -1, Balance: double.NaN),
        });
        Assert.Equal(9, errors.Count);
        Assert.True(new PlacementOptionsValidator().Validate(null, new PlacementOptions()).Succeeded);
    }
}
