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
        return Evaluate(state, problem.Components, assignment, problem.Latency, problem.Weights ?? options.Weights).Total;
    }

    /// <summary>
    /// A lower bound of the objective of any placement that places every component: each component at its cheapest
    /// statically feasible node it fits on alone (capacity shared with others and latency ignored); components that
    /// fit nowhere add nothing.
    /// </summary>
    public static double LowerBound(PlacementProblem problem, PlacementOptions options)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var state = new PlacementState(problem.Nodes, options);
        var weights = problem.Weights ?? options.Weights;
        var sum = 0.0;
        foreach (var c in problem.Components)
        {
            var best = double.PositiveInfinity;
            foreach (var n in state.StaticCandidates(c))
            {
                if (state.FitsNow(n, c))
                {
                    best = Math.Min(best, state.Cost(c, n, weights));
                }
            }
            if (!double.IsPositiveInfinity(best))
            {
                sum += best; // a component that fits nowhere is unplaced in every placement and adds nothing
            }
        }
        return sum;
    }

    /// <summary>Per component: its share of the objective and the parts; plus the total.</summary>
    internal static (double Total, double?[] Objectives, Dictionary<string, double>[] Parts) Evaluate(
        PlacementState state,
        IReadOnlyList<PlacementComponent> batch,
        int[] assignment,
        Func<PlacementNode, PlacementNode, double?>? latency,
        PlacementWeights weights)
    {
        var links = BatchLinks.Build(batch);
        var objectives = new double?[batch.Count];
        var parts = new Dictionary<string, double>[batch.Count];
        var total = 0.0;
        for (var i = 0; i < batch.Count; i++)
        {
            var n = assignment[i];
            if (n < 0)
            {
                parts[i] = [];
                continue;
            }
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
            var objective = (weights.Energy * energy) + (weights.Balance * balance) + lat;
            objectives[i] = objective;
            total += objective;
            parts[i] = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["energyW"] = energy,
                ["energy"] = weights.Energy * energy,
                ["balance"] = weights.Balance * balance,
                ["latency"] = lat,
            };
        }
        return (total, objectives, parts);
    }

    /// <summary>Builds the result of an assignment.</summary>
    internal static PlacementResult Result(
        PlacementState state,
        IReadOnlyList<PlacementComponent> batch,
        int[] assignment,
        string[] reasons,
        string solver,
        Func<PlacementNode, PlacementNode, double?>? latency,
        PlacementWeights weights,
        bool optimal,
        double? bound,
        TimeSpan elapsed)
    {
        var (total, objectives, parts) = Evaluate(state, batch, assignment, latency, weights);
        var decisions = new PlacementDecision[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            decisions[i] = new PlacementDecision(batch[i].Id, assignment[i] >= 0 ? state.Nodes[assignment[i]].Id : null, solver, objectives[i], reasons[i], parts[i]);
        }
        if (optimal)
        {
            bound = total;
        }
        double? gap = bound is { } b ? (total <= 0 ? 0 : Math.Max(0, (total - b) / total)) : null;
        return new PlacementResult(decisions, solver, total, optimal, bound, gap, elapsed);
    }
}
