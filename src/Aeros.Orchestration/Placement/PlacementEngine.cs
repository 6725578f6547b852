using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Placement;

/// <summary>
/// The placement engine the HLO calls: CP-SAT when the problem is small enough (at most
/// <see cref="PlacementOptions.CpSatMaxAssignments"/> feasible component-node pairs, and with links at most
/// <see cref="PlacementOptions.CpSatMaxLatencyNodes"/> nodes) within <see cref="PlacementOptions.CpSatTimeBudget"/>,
/// else the heuristic; it always returns a decision per component.
/// </summary>
public sealed partial class PlacementEngine : IPlacementSolver
{
    /// <summary>The engine's name (its decisions carry the solver that made them).</summary>
    public const string EngineName = "engine";

    private readonly PlacementOptions options;
    private readonly ILogger<PlacementEngine> logger;
    private readonly TimeProvider timeProvider;
    private readonly HeuristicSolver heuristic;
    private readonly CpSatSolver cpSat;

    /// <summary>Creates the engine.</summary>
    public PlacementEngine(IOptions<PlacementOptions> options, ILogger<PlacementEngine> logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        this.logger = logger;
        this.timeProvider = timeProvider;
        heuristic = new HeuristicSolver(this.options, timeProvider);
        cpSat = new CpSatSolver(this.options, timeProvider);
    }

    /// <inheritdoc />
    public string Name => EngineName;

    /// <summary>Which solver <see cref="Solve"/> uses for <paramref name="problem"/>: <c>cp-sat</c> or <c>heuristic</c>.</summary>
    public string Choose(PlacementProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        // One component: the heuristic's scan is already the exact minimum.
        if (problem.Components.Count <= 1 || options.CpSatMaxAssignments == 0)
        {
            return HeuristicSolver.SolverName;
        }
        if (problem.Latency is not null && problem.Components.Any(c => c.Links.Count > 0) && problem.Nodes.Count > options.CpSatMaxLatencyNodes)
        {
            return HeuristicSolver.SolverName;
        }
        var state = new PlacementState(problem.Nodes, options);
        long pairs = 0;
        foreach (var c in problem.Components)
        {
            pairs += state.StaticCandidates(c).Length;
            if (pairs > options.CpSatMaxAssignments)
            {
                return HeuristicSolver.SolverName;
            }
        }
        return CpSatSolver.SolverName;
    }

    /// <inheritdoc />
    public PlacementResult Solve(PlacementProblem problem, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var chosen = Choose(problem);
        LogChosen(logger, chosen, problem.Components.Count, problem.Nodes.Count);
        var result = chosen == CpSatSolver.SolverName ? cpSat.Solve(problem, cancellationToken) : heuristic.Solve(problem, cancellationToken);
        LogPlaced(logger, problem.Components.Count, result.Solver, result.Objective, result.Optimal, result.Gap ?? double.NaN, result.Unplaced, result.SolveTime.TotalMilliseconds);
        foreach (var decision in result.Decisions)
        {
            if (decision.NodeId is null)
            {
                LogInfeasible(logger, decision.ComponentId, decision.Reason);
            }
        }
        return result;
    }

    [LoggerMessage(EventId = 5100, Level = LogLevel.Debug, Message = "Placement of {Components} component(s) on {Nodes} node(s) uses {Solver}")]
    private static partial void LogChosen(ILogger logger, string solver, int components, int nodes);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Placed {Components} component(s) with {Solver}: objective {Objective}, optimal {Optimal}, gap {Gap}, {Unplaced} unplaced, {ElapsedMs} ms")]
    private static partial void LogPlaced(ILogger logger, int components, string solver, double objective, bool optimal, double gap, int unplaced, double elapsedMs);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Component {Component} cannot be placed: {Reason}")]
    private static partial void LogInfeasible(ILogger logger, string component, string reason);
}
