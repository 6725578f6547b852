namespace Aeros.Orchestration.Placement;

/// <summary>
/// The objective of an assignment, computed the same way for every solver so that their results compare:
/// Σ over placed components of (w_E · energy W + w_B · balance) + Σ over links of w_L · latency ms.
/// </summary>
public static class PlacementEvaluation
{
    /// <summary>The objective of <paramref name="decisions"/> for <paramref name="problem"/> (unplaced components add nothing).</summary>
    public static double Objective(PlacementProblem problem, PlacementOptions options, IReadOnlyList<PlacementDecision> decisions)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(decisions);
        var state = new PlacementState(problem.Nodes, options);
        var assignment = problem.Components.Select(c =>
        {
            var decision = decisions.FirstOrDefault(d => d.ComponentId == c.Id);
            return decision?.NodeId is { } id && state.IndexById.TryGetValue(id, out var n) ? n : -1;
        }).ToArray();
        return Evaluate(state, problem.Components, assignment, BatchLinks.Build(problem.Components), problem.Latency, problem.Weights ?? options.Weights);
    }

    /// <summary>
    /// A proven lower bound of the objective of any placement that places every component that fits somewhere on its
    /// own (components that fit nowhere add nothing): capacities relaxed with Lagrange multipliers, links cut to a
    /// spanning forest whose trees are solved exactly with latency and latency limits (see docs/orchestration.md). With
    /// <paramref name="iterations"/> 0 it is the plain per-component minimum (capacity and latency ignored).
    /// </summary>
    /// <param name="problem">The problem.</param>
    /// <param name="options">Engine options (constraints' thresholds, weights).</param>
    /// <param name="iterations">Subgradient iterations; each is one pass of dynamic programming over the components' candidates.</param>
    /// <param name="cancellationToken">Stops the iterations.</param>
    public static double LowerBound(PlacementProblem problem, PlacementOptions options, int iterations = LagrangianBound.DefaultIterations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(iterations);
        var weights = problem.Weights ?? options.Weights;
        if (iterations == 0)
        {
            return LagrangianBound.Compute(new PlacementState(problem.Nodes, options), problem.Components, null, weights, 0, 1, cancellationToken);
        }
        // The subgradient steps aim at a known placement's objective (the heuristic's, milliseconds).
        var upper = new HeuristicSolver(options).Solve(problem, cancellationToken).Objective;
        return LagrangianBound.Compute(new PlacementState(problem.Nodes, options), problem.Components, problem.Latency, weights, upper, iterations, cancellationToken);
    }

    /// <summary>The total objective of an assignment (unplaced components add nothing).</summary>
    internal static double Evaluate(
        PlacementState state,
        IReadOnlyList<PlacementComponent> batch,
        ReadOnlySpan<int> assignment,
        BatchLinks links,
        Func<PlacementNode, PlacementNode, double?>? latency,
        PlacementWeights weights)
    {
        var total = 0.0;
        for (var i = 0; i < batch.Count; i++)
        {
            if (assignment[i] >= 0)
            {
                total += Parts(state, batch, i, assignment, links, latency, weights).Total;
            }
        }
        return total;
    }

    /// <summary>The weighted terms of placed component <paramref name="i"/> (its share of each link: half).</summary>
    internal static PlacementScoreParts Parts(
        PlacementState state,
        IReadOnlyList<PlacementComponent> batch,
        int i,
        ReadOnlySpan<int> assignment,
        BatchLinks links,
        Func<PlacementNode, PlacementNode, double?>? latency,
        PlacementWeights weights)
    {
        var n = assignment[i];
        var (energy, balance) = state.Terms(batch[i], n);
        var lat = 0.0;
        if (latency is not null)
        {
            foreach (var (j, _) in links.Of(i))
            {
                if (assignment[j] >= 0 && assignment[j] != n && latency(state.Nodes[n], state.Nodes[assignment[j]]) is { } ms)
                {
                    lat += weights.Latency * ms / 2; // each link's term is shared by its two ends
                }
            }
        }
        return new PlacementScoreParts(energy, weights.Energy * energy, weights.Balance * balance, lat);
    }

    /// <summary>Builds the result of an assignment.</summary>
    internal static PlacementResult Result(
        PlacementState state,
        IReadOnlyList<PlacementComponent> batch,
        ReadOnlySpan<int> assignment,
        ReadOnlySpan<DecisionReason> reasons,
        string solver,
        BatchLinks links,
        Func<PlacementNode, PlacementNode, double?>? latency,
        PlacementWeights weights,
        bool optimal,
        double? bound,
        TimeSpan elapsed)
    {
        var decisions = new PlacementDecision[batch.Count];
        var total = 0.0;
        for (var i = 0; i < batch.Count; i++)
        {
            var n = assignment[i];
            if (n < 0)
            {
                decisions[i] = new PlacementDecision(batch[i].Id, null, solver, null, reasons[i], default);
                continue;
            }
            var parts = Parts(state, batch, i, assignment, links, latency, weights);
            total += parts.Total;
            decisions[i] = new PlacementDecision(batch[i].Id, state.Nodes[n].Id, solver, parts.Total, reasons[i], parts);
        }
        if (optimal)
        {
            bound = total;
        }
        double? gap = bound is { } b ? (total <= 0 ? 0 : Math.Max(0, (total - b) / total)) : null;
        return new PlacementResult(decisions, solver, total, optimal, bound, gap, elapsed);
    }
}
