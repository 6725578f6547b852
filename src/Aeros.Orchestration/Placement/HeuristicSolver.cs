namespace Aeros.Orchestration.Placement;

/// <summary>
/// The fast filter-and-score heuristic as a stateful session: the capacity view (and the utilization the balance
/// term uses) carries over from one <see cref="Place"/> call to the next, so services placed one after another see
/// each other's requests without rebuilding anything. Not thread-safe.
/// </summary>
public sealed class PlacementSession
{
    private readonly PlacementState state;
    private readonly GreedyPlacer placer;
    private readonly Func<PlacementNode, PlacementNode, double?>? latency;
    private readonly PlacementWeights weights;
    private readonly TimeProvider timeProvider;

    /// <summary>Creates a session over <paramref name="nodes"/> (their requests so far in <see cref="PlacementNode.CpuRequested"/> and <see cref="PlacementNode.MemoryRequestedMb"/>).</summary>
    public PlacementSession(
        IReadOnlyList<PlacementNode> nodes,
        PlacementOptions options,
        Func<PlacementNode, PlacementNode, double?>? latency = null,
        PlacementWeights? weights = null,
        TimeProvider? timeProvider = null)
        : this(nodes, options, latency, weights, timeProvider, GreedyMode.Model)
    {
    }

    internal PlacementSession(
        IReadOnlyList<PlacementNode> nodes,
        PlacementOptions options,
        Func<PlacementNode, PlacementNode, double?>? latency,
        PlacementWeights? weights,
        TimeProvider? timeProvider,
        GreedyMode mode)
    {
        state = new PlacementState(nodes, options);
        this.latency = latency;
        this.weights = weights ?? options.Weights;
        this.timeProvider = timeProvider ?? TimeProvider.System;
        placer = new GreedyPlacer(state, latency, this.weights, mode);
    }

    /// <summary>Places <paramref name="components"/> together and keeps their requests in the capacity view.</summary>
    public PlacementResult Place(IReadOnlyList<PlacementComponent> components, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(components);
        var started = timeProvider.GetTimestamp();
        var (assignment, reasons, links) = placer.PlaceBatch(components, cancellationToken);
        var placed = assignment.Span;
        // One component without links: the scan took the minimum over every feasible node, which is optimal.
        var optimal = placer.SolverName == HeuristicSolver.SolverName && components.Count == 1 && placed[0] >= 0;
        var result = PlacementEvaluation.Result(state, components, placed, reasons.Span, placer.SolverName, links, latency, weights, optimal, null, timeProvider.GetElapsedTime(started));
        state.RefreshUtil(placed);
        return result;
    }
}

/// <summary>The filter-and-score heuristic with a local improvement pass (<c>heuristic</c>).</summary>
public sealed class HeuristicSolver(PlacementOptions options, TimeProvider? timeProvider = null) : IPlacementSolver
{
    /// <summary>The name in decisions.</summary>
    public const string SolverName = "heuristic";

    /// <inheritdoc />
    public string Name => SolverName;

    /// <inheritdoc />
    public PlacementResult Solve(PlacementProblem problem, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return new PlacementSession(problem.Nodes, options, problem.Latency, problem.Weights, timeProvider).Place(problem.Components, cancellationToken);
    }
}

/// <summary>
/// A Kubernetes-like baseline (<c>least-allocated</c>): the same hard constraints, then the node with the largest
/// free CPU + memory fraction after placing, components in input order, no improvement.
/// </summary>
public sealed class LeastAllocatedSolver(PlacementOptions options, TimeProvider? timeProvider = null) : IPlacementSolver
{
    /// <summary>The name in decisions.</summary>
    public const string SolverName = "least-allocated";

    /// <inheritdoc />
    public string Name => SolverName;

    /// <summary>A session with this solver's scoring, for services placed one after another.</summary>
    public PlacementSession CreateSession(IReadOnlyList<PlacementNode> nodes, Func<PlacementNode, PlacementNode, double?>? latency = null, PlacementWeights? weights = null) =>
        new(nodes, options, latency, weights, timeProvider, GreedyMode.LeastAllocated);

    /// <inheritdoc />
    public PlacementResult Solve(PlacementProblem problem, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return CreateSession(problem.Nodes, problem.Latency, problem.Weights).Place(problem.Components, cancellationToken);
    }
}
