using Aeros.Abstractions.Continuum;
using Aeros.Orchestration.Placement;
using static Aeros.Orchestration.Tests.Placement.PlacementTestData;

namespace Aeros.Orchestration.Tests.Placement;

/// <summary>
/// Each hard constraint on its own: a cheap node that breaks only that constraint and a costly one that keeps it.
/// Without the constraint the cheap node wins, with it the costly one, and with the costly node gone the component
/// is infeasible with a reason that names the constraint.
/// </summary>
public sealed class PlacementConstraintTests
{
    public static TheoryData<string> Constraints => new(Cases.Keys.Order(StringComparer.Ordinal));

    private static readonly IReadOnlyList<GeoPoint> Box = [new(0, 40), new(5, 40), new(5, 45), new(0, 45)];

    /// <summary>Per constraint: how the component asks for it, and how the cheap node breaks it.</summary>
    private static readonly Dictionary<string, (Func<PlacementComponent, PlacementComponent> Ask, Func<PlacementNode, PlacementNode> Break, string Reason)> Cases = new()
    {
        ["status"] = (c => c, n => n with { Status = InfrastructureElementStatus.Overloaded }, "status"),
        ["reachable"] = (c => c, n => n with { Reachable = false }, "reachable"),
        ["health"] = (c => c, n => n with { HealthScore = 0.1 }, "health"),
        ["pinned"] = (c => c with { PinnedNodeId = "good" }, n => n, "pinned"),
        ["domain"] = (c => c with { Domain = "d1" }, n => n with { Domain = "d2" }, "domain"),
        ["cpuArchitecture"] = (c => c with { CpuArchitecture = CpuArchitecture.AMD64 }, n => n with { CpuArchitecture = CpuArchitecture.ARM64 }, "no node with cpuArchitecture AMD64 (1 node is ARM64)"),
        ["realtime"] = (c => c with { Realtime = true }, n => n with { RealTime = false }, "realtime"),
        ["gpu"] = (c => c with { Gpu = true }, n => n with { Gpu = false }, "gpu"),
        ["gpuMemory"] = (c => c with { Gpu = true, GpuMemoryMinMb = 8192 }, n => n with { GpuMemoryMb = 4096 }, "gpuMemory"),
        ["cpuUsage"] = (c => c with { CpuUsageMaxPct = 50 }, n => n with { CpuUsagePct = 80 }, "cpuUsage"),
        ["memSize"] = (c => c with { MemSizeMinMb = 4096 }, n => n with { AvailableRamMb = 2048 }, "memSize"),
        ["energyEfficiency"] = (c => c with { EnergyEfficiencyMin = 60 }, n => n with { EnergyEfficiency = 50 }, "energyEfficiency"),
        ["green"] = (c => c with { Green = true }, n => n with { GreenRatio = 0.2 }, "green"),
        ["area"] = (c => c with { Area = Box }, n => n with { Location = new GeoPoint(20, 50) }, "area"),
        ["cpu"] = (c => c, n => n with { CpuRequested = 3.5 }, "cpu: needs 1 cores, most free is 0.5 on cheap"),
        ["memory"] = (c => c, n => n with { MemoryRequestedMb = 8000 }, "memory"),
        ["disk"] = (c => c with { DiskRequestMb = 5000 }, n => n with { AvailableDiskMb = 1000 }, "disk"),
        ["ports"] = (c => c with { Ports = [new PlacementPort(8080)] }, n => n with { UsedPorts = new HashSet<PlacementPort> { new(8080) } }, "ports"),
    };

    private static (PlacementNode Good, PlacementNode Cheap) Nodes()
    {
        var good = Node("good", watts: 100) with { RealTime = true, Gpu = true, GpuMemoryMb = 16384, EnergyEfficiency = 90, GreenRatio = 0.9, Location = new GeoPoint(2, 42) };
        var cheap = Node("cheap", watts: 4) with { RealTime = true, Gpu = true, GpuMemoryMb = 16384, EnergyEfficiency = 90, GreenRatio = 0.9, Location = new GeoPoint(2, 42) };
        return (good, cheap);
    }

    [Theory]
    [MemberData(nameof(Constraints))]
    public void Solve_OnlyThisConstraintExcludesTheCheapNode_GoodNodeChosenAndReasonNamesIt(string constraint)
    {
        var (ask, breakIt, reason) = Cases[constraint];
        var (good, cheap) = Nodes();
        var options = Options();
        foreach (var solver in Solvers(options))
        {
            // Control: without the constraint the cheap node wins.
            var free = solver.Solve(new PlacementProblem([good, breakIt(cheap) with { Status = InfrastructureElementStatus.Ready, Reachable = true, HealthScore = 1, Domain = "d1", CpuRequested = 0, MemoryRequestedMb = 0, UsedPorts = new HashSet<PlacementPort>() }], [Component("c")]), CancellationToken.None);
            Assert.Equal("cheap", Assert.Single(free.Decisions).NodeId);

            var problem = new PlacementProblem([good, breakIt(cheap)], [ask(Component("c"))]);
            var result = solver.Solve(problem, CancellationToken.None);
            Assert.Equal("good", Assert.Single(result.Decisions).NodeId);
            Assert.Empty(PlacementVerifier.Violations(problem, options, result.Decisions));

            var alone = new PlacementProblem([breakIt(cheap)], [ask(Component("c"))]);
            var infeasible = Assert.Single(solver.Solve(alone, CancellationToken.None).Decisions);
            Assert.Null(infeasible.NodeId);
            Assert.StartsWith(reason, infeasible.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Verifier_EachBrokenConstraint_Reported()
    {
        var (_, cheap) = Nodes();
        var options = Options();
        foreach (var (name, (ask, breakIt, _)) in Cases)
        {
            var problem = new PlacementProblem([breakIt(cheap)], [ask(Component("c"))]);
            var forced = new PlacementDecision("c", "cheap", "test", 0, "forced", default);
            Assert.True(PlacementVerifier.Violations(problem, options, [forced]).Count > 0, $"the verifier missed {name}");
        }
    }

    [Fact]
    public void Solve_ArchitectureNowhere_ReasonCountsTheOtherArchitectures()
    {
        var nodes = Enumerable.Range(0, 20).Select(i => Node($"n{i}")).ToList();
        var result = new HeuristicSolver(Options()).Solve(new PlacementProblem(nodes, [Component("c") with { CpuArchitecture = CpuArchitecture.ARM64 }]), CancellationToken.None);
        Assert.Equal("no node with cpuArchitecture ARM64 (20 nodes are AMD64)", Assert.Single(result.Decisions).Reason);
    }

    [Fact]
    public void Solve_CpuNowhere_ReasonNamesTheMostFreeNode()
    {
        var nodes = new[] { Node("a") with { CpuRequested = 3 }, Node("b") with { CpuRequested = 2.5 } };
        var result = new HeuristicSolver(Options()).Solve(new PlacementProblem(nodes, [Component("c", cpu: 2)]), CancellationToken.None);
        Assert.Equal("cpu: needs 2 cores, most free is 1.5 on b (2 candidate nodes)", Assert.Single(result.Decisions).Reason);
    }

    [Fact]
    public void Solve_LatencyLimit_LinkedComponentPlacedNearby()
    {
        var near = Node("near", watts: 100) with { Location = new GeoPoint(2.1, 41) };
        var far = Node("far", watts: 4) with { Location = new GeoPoint(25, 55) };
        var home = Node("home", watts: 100) with { Location = new GeoPoint(2, 41) };
        var components = new[]
        {
            Component("a") with { PinnedNodeId = "home" },
            Component("b") with { Links = [new PlacementLink("a", MaxLatencyMs: 5)] },
        };
        var problem = new PlacementProblem([near, far, home], components, PlacementInstanceGenerator.Latency);
        foreach (var solver in Solvers(Options()))
        {
            var result = solver.Solve(problem, CancellationToken.None);
            Assert.Equal("home", result.Decisions[0].NodeId);
            Assert.NotEqual("far", result.Decisions[1].NodeId);
            Assert.Empty(PlacementVerifier.Violations(problem, Options(), result.Decisions));
        }
    }
}
