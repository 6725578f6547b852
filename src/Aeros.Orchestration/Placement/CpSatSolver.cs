using System.Globalization;
using Google.OrTools.Sat;

namespace Aeros.Orchestration.Placement;

/// <summary>
/// The exact model (<c>cp-sat</c>): one Boolean per statically feasible (component, node) pair, capacity and port
/// constraints per node, latency between linked components as a table lookup, the objective scaled to integers
/// (1/1000), solved by Google OR-Tools CP-SAT within a time budget from the heuristic's solution as a hint.
/// Reports Optimal, or the gap of the best found to CP-SAT's bound. When CP-SAT finds nothing in time, the
/// heuristic's decisions are returned (named <c>heuristic</c>) with CP-SAT's bound.
/// </summary>
public sealed class CpSatSolver(PlacementOptions options, TimeProvider? timeProvider = null) : IPlacementSolver
{
    /// <summary>The name in decisions.</summary>
    public const string SolverName = "cp-sat";

    /// <summary>Objective units per 1 of the model's objective.</summary>
    internal const long Scale = 1000;

    private const long UnplacedPenalty = 1_000_000_000;
    private const long Forbidden = 1L << 40;
    private readonly TimeProvider time = timeProvider ?? TimeProvider.System;

    /// <inheritdoc />
    public string Name => SolverName;

    /// <inheritdoc />
    public PlacementResult Solve(PlacementProblem problem, CancellationToken cancellationToken) =>
        Solve(problem, options.CpSatTimeBudget, cancellationToken);

    /// <summary>Solves with an explicit time budget.</summary>
    public PlacementResult Solve(PlacementProblem problem, TimeSpan budget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var started = time.GetTimestamp();
        var weights = problem.Weights ?? options.Weights;
        var heuristic = new HeuristicSolver(options, time).Solve(problem, cancellationToken);

        var state = new PlacementState(problem.Nodes, options);
        var batch = problem.Components;
        var links = BatchLinks.Build(batch);
        var model = new CpModel();
        var x = new List<(int Node, BoolVar Var)>[batch.Count];
        var unplaced = new BoolVar[batch.Count];
        var perNode = new Dictionary<int, List<(int Component, BoolVar Var)>>();
        var objective = LinearExpr.NewBuilder();
        var impossible = 0;
        var nodeIndexOfHint = heuristic.Decisions.Select(d => d.NodeId is { } id ? state.IndexById[id] : -1).ToArray();
        for (var i = 0; i < batch.Count; i++)
        {
            var c = batch[i];
            x[i] = [];
            foreach (var n in state.StaticCandidates(c))
            {
                if (!state.FitsNow(n, c))
                {
                    continue;
                }
                var v = model.NewBoolVar($"x{i}_{n}");
                x[i].Add((n, v));
                objective.AddTerm(v, (long)Math.Round(state.Cost(c, n, weights) * Scale));
                if (!perNode.TryGetValue(n, out var list))
                {
                    perNode[n] = list = [];
                }
                list.Add((i, v));
                model.AddHint(v, nodeIndexOfHint[i] == n);
            }
            unplaced[i] = model.NewBoolVar($"u{i}");
            model.Add(LinearExpr.Sum(x[i].Select(p => p.Var).Append(unplaced[i])) == 1);
            if (x[i].Count == 0)
            {
                impossible++; // unplaced in every solution: no penalty, so that the bound stays about the others
            }
            else
            {
                objective.AddTerm(unplaced[i], UnplacedPenalty);
            }
            model.AddHint(unplaced[i], nodeIndexOfHint[i] < 0);
        }
        foreach (var (n, list) in perNode)
        {
            AddCapacity(model, list, i => Ceil(batch[i].CpuRequest), Floor(state.FreeCpu[n]));
            AddCapacity(model, list, i => batch[i].MemoryRequestMb, (long)Math.Floor(state.FreeMem[n]));
            if (!double.IsNaN(state.FreeDisk[n]))
            {
                AddCapacity(model, list, i => batch[i].DiskRequestMb ?? 0, (long)Math.Floor(state.FreeDisk[n]));
            }
            foreach (var group in list.SelectMany(e => batch[e.Component].Ports.Distinct().Select(p => (Port: p, e.Var))).GroupBy(e => e.Port))
            {
                if (group.Count() > 1)
                {
                    model.Add(LinearExpr.Sum(group.Select(e => e.Var)) <= 1);
                }
            }
        }
        var latencyModelled = problem.Latency is not null && links.Any && state.Nodes.Length <= options.CpSatMaxLatencyNodes;
        if (latencyModelled)
        {
            AddLatency(model, objective, state, x, unplaced, links, problem.Latency!, weights, nodeIndexOfHint);
        }
        model.Minimize(objective);

        using var solver = new CpSolver();
        solver.StringParameters = string.Create(CultureInfo.InvariantCulture,
            $"max_time_in_seconds:{budget.TotalSeconds:0.###} num_workers:{options.CpSatWorkers} random_seed:{options.RandomSeed}");
        CpSolverStatus status;
        using (cancellationToken.Register(solver.StopSearch))
        {
            status = solver.Solve(model);
        }
        cancellationToken.ThrowIfCancellationRequested();
        var termCount = batch.Count + links.Pairs().Count();
        // The scaled costs are rounded to integers: the true objective is at most half a unit per term below.
        double? bound = status is CpSolverStatus.Optimal or CpSolverStatus.Feasible or CpSolverStatus.Unknown
            ? (solver.BestObjectiveBound - (termCount * 0.5)) / Scale
            : null;
        if (!latencyModelled && problem.Latency is not null && links.Any && bound is { } modelBound)
        {
            // The model's bound leaves latency out; the Lagrangian bound keeps it within each tree of linked components.
            var withLatency = LagrangianBound.Compute(new PlacementState(problem.Nodes, options), batch, problem.Latency, weights, heuristic.Objective, LagrangianBound.DefaultIterations, cancellationToken);
            bound = Math.Max(modelBound, withLatency);
        }
        if (status is not (CpSolverStatus.Optimal or CpSolverStatus.Feasible))
        {
            return heuristic with { Bound = BoundIfComplete(bound, heuristic, impossible), Gap = Gap(heuristic.Objective, BoundIfComplete(bound, heuristic, impossible)), SolveTime = time.GetElapsedTime(started) };
        }
        var assignment = new int[batch.Count];
        var reasons = new DecisionReason[batch.Count];
        var optimal = status == CpSolverStatus.Optimal && (latencyModelled || !links.Any || problem.Latency is null);
        for (var i = 0; i < batch.Count; i++)
        {
            assignment[i] = -1;
            foreach (var (n, v) in x[i])
            {
                if (solver.BooleanValue(v))
                {
                    assignment[i] = n;
                    break;
                }
            }
        }
        if (!latencyModelled && problem.Latency is not null && links.Any)
        {
            // The model left latency out (too many nodes): its answer may break a latency limit and ignores the latency
            // cost. The heuristic repairs it (re-places one end of each broken link, then moves components while that
            // pays); the better of that and the heuristic's own answer is returned with the model's bound, which stays a
            // valid lower bound (latency costs are ≥ 0 and dropping limits only widens the feasible set).
            var repaired = Repair(problem, weights, assignment, x, status == CpSolverStatus.Optimal, started, cancellationToken);
            var chosen = repaired.Unplaced <= heuristic.Unplaced && repaired.Objective < heuristic.Objective ? repaired : heuristic;
            var chosenBound = BoundIfComplete(bound, chosen, impossible);
            return chosen with { Bound = chosenBound, Gap = Gap(chosen.Objective, chosenBound), SolveTime = time.GetElapsedTime(started) };
        }
        for (var i = 0; i < batch.Count; i++)
        {
            var c = batch[i];
            if (assignment[i] < 0)
            {
                reasons[i] = DecisionReason.Of(x[i].Count == 0
                    ? state.Explain(c)
                    : $"capacity: no joint placement fits it together with the other components ({x[i].Count} nodes fit it alone)");
                continue;
            }
            var (energy, balance) = state.Terms(c, assignment[i]);
            var how = optimal ? "optimal" : "best found";
            reasons[i] = DecisionReason.Of($"cp-sat {how}: energy +{PlacementConstraints.F(energy)} W, balance {PlacementConstraints.F(balance)}; {x[i].Count} feasible of {state.Nodes.Length}");
        }
        var complete = assignment.Count(n => n < 0) == impossible;
        return PlacementEvaluation.Result(state, batch, assignment, reasons, SolverName, links, problem.Latency, weights, optimal,
            complete ? bound : null, time.GetElapsedTime(started));
    }

    /// <summary>The bound, when the result places every component that fits anywhere (else the bound counts penalties).</summary>
    private static double? BoundIfComplete(double? bound, PlacementResult result, int impossible) =>
        result.Unplaced == impossible && bound < UnplacedPenalty / Scale ? bound : null;

    private static double? Gap(double objective, double? bound) =>
        bound is { } b ? (objective <= 0 ? 0 : Math.Max(0, (objective - b) / objective)) : null;

    private static long Ceil(double cores) => (long)Math.Ceiling((cores * 1000) - 1e-6);

    private static long Floor(double cores) => (long)Math.Floor((cores * 1000) + 1e-6);

    private static void AddCapacity(CpModel model, List<(int Component, BoolVar Var)> list, Func<int, long> demand, long capacity)
    {
        var total = 0L;
        var sum = LinearExpr.NewBuilder();
        foreach (var (i, v) in list)
        {
            var d = demand(i);
            if (d > 0)
            {
                sum.AddTerm(v, d);
                total += d;
            }
        }
        if (total > capacity)
        {
            model.Add(sum <= Math.Max(0, capacity));
        }
    }

    private static void AddLatency(
        CpModel model, LinearExprBuilder objective, PlacementState state, List<(int Node, BoolVar Var)>[] x, BoolVar[] unplaced,
        BatchLinks links, Func<PlacementNode, PlacementNode, double?> latency, PlacementWeights weights, int[] hint)
    {
        var size = state.Nodes.Length + 1; // the last index stands for "not placed": no latency
        var index = new IntVar?[x.Length];
        IntVar IndexOf(int i)
        {
            if (index[i] is null)
            {
                var v = model.NewIntVar(0, size - 1, $"n{i}");
                var sum = LinearExpr.NewBuilder();
                foreach (var (n, b) in x[i])
                {
                    sum.AddTerm(b, n);
                }
                sum.AddTerm(unplaced[i], size - 1);
                model.Add(v == sum);
                model.AddHint(v, hint[i] >= 0 ? hint[i] : size - 1);
                index[i] = v;
            }
            return index[i]!;
        }
        var matrix = new double?[state.Nodes.Length, state.Nodes.Length];
        for (var a = 0; a < state.Nodes.Length; a++)
        {
            for (var b = 0; b < state.Nodes.Length; b++)
            {
                matrix[a, b] = a == b ? 0 : latency(state.Nodes[a], state.Nodes[b]);
            }
        }
        foreach (var (a, b, max) in links.Pairs())
        {
            var table = new long[size * size];
            var worst = 0L;
            for (var na = 0; na < state.Nodes.Length; na++)
            {
                for (var nb = 0; nb < state.Nodes.Length; nb++)
                {
                    var ms = matrix[na, nb];
                    var value = ms is { } m && max is { } limit && m > limit ? Forbidden : (long)Math.Round(weights.Latency * (ms ?? 0) * Scale);
                    table[(na * size) + nb] = value;
                    if (value != Forbidden)
                    {
                        worst = Math.Max(worst, value);
                    }
                }
            }
            var cost = model.NewIntVar(0, worst, $"lat{a}_{b}");
            model.AddElement(LinearExpr.Affine(IndexOf(a), size, 0) + IndexOf(b), table, cost);
            objective.Add(cost);
        }
    }

    private PlacementResult Repair(
        PlacementProblem problem, PlacementWeights weights, int[] start, List<(int Node, BoolVar Var)>[] x, bool relaxationOptimal, long started, CancellationToken cancellationToken)
    {
        var state = new PlacementState(problem.Nodes, options);
        var placer = new GreedyPlacer(state, problem.Latency, weights, GreedyMode.Model);
        var how = relaxationOptimal ? "optimal" : "best found";
        var (assignment, reasons, links) = placer.Repair(problem.Components, start, i =>
        {
            var (energy, balance) = state.Terms(problem.Components[i], start[i]);
            return DecisionReason.Of($"cp-sat {how} without latency, kept by the latency repair: energy +{PlacementConstraints.F(energy)} W, balance {PlacementConstraints.F(balance)}; {x[i].Count} feasible of {state.Nodes.Length}");
        }, cancellationToken);
        return PlacementEvaluation.Result(state, problem.Components, assignment.Span, reasons.Span, SolverName, links, problem.Latency, weights, false, null, time.GetElapsedTime(started));
    }
}
