namespace Aeros.Orchestration.Placement;

/// <summary>How the greedy placer scores a feasible node.</summary>
internal enum GreedyMode
{
    /// <summary>The placement objective (energy + balance + latency); then a local improvement pass.</summary>
    Model,

    /// <summary>Kubernetes' LeastAllocated: the node with the largest free CPU + memory fraction after placing.</summary>
    LeastAllocated,
}

/// <summary>
/// Filter-and-score placement over a <see cref="PlacementState"/>: for each component (most constrained first),
/// scans only the statically feasible nodes, checks the live capacity view and the latency limits to already placed
/// linked components, takes the best and updates the view; then moves components while that lowers the objective.
/// Reuses its buffers from one batch to the next (a placer serves one session, which is not thread-safe), so a
/// decision allocates only its result.
/// </summary>
internal sealed class GreedyPlacer(
    PlacementState state,
    Func<PlacementNode, PlacementNode, double?>? latency,
    PlacementWeights weights,
    GreedyMode mode)
{
    private static readonly int[] First = [0];

    // The cost is linear in the requests: cpu · alpha[n] + memory · beta[n] + w_B · util[n]. Precomputed so the scan
    // over thousands of nodes is a tight loop over arrays.
    private readonly double[] alpha = [.. Enumerable.Range(0, state.Nodes.Length).Select(n => (weights.Energy * state.WattsPerCore[n]) + (weights.Balance * 0.5 * state.InvCores[n]))];
    private readonly double[] beta = [.. Enumerable.Range(0, state.Nodes.Length).Select(n => weights.Balance * 0.5 * state.InvRam[n])];
    private int[] assignment = new int[1];
    private DecisionReason[] reasons = new DecisionReason[1];
    private int[][] candidates = new int[1][];

    public string SolverName => mode == GreedyMode.Model ? HeuristicSolver.SolverName : LeastAllocatedSolver.SolverName;

    /// <summary>
    /// Places <paramref name="batch"/>; returns the node index per component (−1 = none) and the reason per component,
    /// both valid until the next call.
    /// </summary>
    public (ReadOnlyMemory<int> Assignment, ReadOnlyMemory<DecisionReason> Reasons, BatchLinks Links) PlaceBatch(IReadOnlyList<PlacementComponent> batch, CancellationToken cancellationToken)
    {
        var count = batch.Count;
        var links = BatchLinks.Build(batch);
        if (assignment.Length < count)
        {
            assignment = new int[count];
            reasons = new DecisionReason[count];
            candidates = new int[count][];
        }
        Array.Fill(assignment, -1, 0, count);
        for (var i = 0; i < count; i++)
        {
            candidates[i] = state.StaticCandidates(batch[i]);
        }
        foreach (var i in Order(batch, candidates))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var c = batch[i];
            var (best, bestScore, second, secondScore, feasible) = Scan(i, c, candidates[i], links);
            if (best < 0)
            {
                reasons[i] = DecisionReason.Of(state.Explain(c));
                continue;
            }
            assignment[i] = best;
            state.Commit(best, c);
            reasons[i] = Reason(c, best, bestScore, second, secondScore, feasible, i, links);
        }
        if (mode == GreedyMode.Model && count > 1)
        {
            Improve(batch, links, cancellationToken);
        }
        Array.Clear(candidates, 0, count); // do not keep cached arrays alive through the buffer longer than needed
        return (assignment.AsMemory(0, count), reasons.AsMemory(0, count), links);
    }

    /// <summary>
    /// Starts from <paramref name="start"/> (node index per component, −1 = none; e.g. CP-SAT's answer to the model
    /// without latency), unplaces one end of every link that breaks its latency limit (and anything that does not fit
    /// the capacity view), re-places those greedily and runs the improvement passes. Kept components get
    /// <paramref name="keptReason"/>. Results are valid until the next call.
    /// </summary>
    public (ReadOnlyMemory<int> Assignment, ReadOnlyMemory<DecisionReason> Reasons, BatchLinks Links) Repair(
        IReadOnlyList<PlacementComponent> batch, ReadOnlySpan<int> start, Func<int, DecisionReason> keptReason, CancellationToken cancellationToken)
    {
        var count = batch.Count;
        var links = BatchLinks.Build(batch);
        if (assignment.Length < count)
        {
            assignment = new int[count];
            reasons = new DecisionReason[count];
            candidates = new int[count][];
        }
        Array.Fill(assignment, -1, 0, count);
        for (var i = 0; i < count; i++)
        {
            candidates[i] = state.StaticCandidates(batch[i]);
            var n = start[i];
            if (n >= 0 && Array.BinarySearch(candidates[i], n) >= 0 && state.FitsNow(n, batch[i]))
            {
                assignment[i] = n;
                state.Commit(n, batch[i]);
            }
        }
        if (latency is not null)
        {
            foreach (var (a, b, max) in links.Pairs())
            {
                if (max is { } limit && assignment[a] >= 0 && assignment[b] >= 0 && assignment[a] != assignment[b]
                    && latency(state.Nodes[assignment[a]], state.Nodes[assignment[b]]) is { } ms && ms > limit)
                {
                    state.Release(assignment[b], batch[b]);
                    assignment[b] = -1;
                }
            }
        }
        for (var i = 0; i < count; i++)
        {
            if (assignment[i] >= 0)
            {
                reasons[i] = keptReason(i);
            }
        }
        foreach (var i in Order(batch, candidates))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (assignment[i] >= 0)
            {
                continue;
            }
            var c = batch[i];
            var (best, bestScore, second, secondScore, feasible) = Scan(i, c, candidates[i], links);
            if (best < 0)
            {
                reasons[i] = DecisionReason.Of(state.Explain(c));
                continue;
            }
            assignment[i] = best;
            state.Commit(best, c);
            reasons[i] = Reason(c, best, bestScore, second, secondScore, feasible, i, links);
        }
        if (mode == GreedyMode.Model && count > 1)
        {
            Improve(batch, links, cancellationToken);
        }
        Array.Clear(candidates, 0, count);
        return (assignment.AsMemory(0, count), reasons.AsMemory(0, count), links);
    }

    /// <summary>Pinned first, then the fewest statically feasible nodes, then the largest request, then input order.</summary>
    private static int[] Order(IReadOnlyList<PlacementComponent> batch, int[][] candidates)
    {
        if (batch.Count == 1)
        {
            return First;
        }
        return [.. Enumerable.Range(0, batch.Count)
            .OrderBy(i => batch[i].PinnedNodeId is null ? 1 : 0)
            .ThenBy(i => candidates[i].Length)
            .ThenByDescending(i => batch[i].CpuRequest + (batch[i].MemoryRequestMb / 1024.0))
            .ThenBy(i => i)];
    }

    private (int Best, double BestScore, int Second, double SecondScore, int Feasible) Scan(
        int i, PlacementComponent c, int[] candidates, BatchLinks links)
    {
        int best = -1, second = -1, feasible = 0;
        double bestScore = double.PositiveInfinity, secondScore = double.PositiveInfinity;
        var hasLinks = links.Of(i).Count > 0;
        if (!hasLinks && mode == GreedyMode.Model)
        {
            return FastScan(c, candidates);
        }
        foreach (var n in candidates)
        {
            if (!state.FitsNow(n, c) || (hasLinks && !LinksOk(i, n, links)))
            {
                continue;
            }
            feasible++;
            var score = mode == GreedyMode.Model
                ? state.Cost(c, n, weights) + (hasLinks ? LinkCost(i, n, links) : 0)
                : -((((state.FreeCpu[n] - c.CpuRequest) * state.InvCores[n]) + ((state.FreeMem[n] - c.MemoryRequestMb) * state.InvRam[n])) / 2);
            if (score < bestScore)
            {
                (second, secondScore) = (best, bestScore);
                (best, bestScore) = (n, score);
            }
            else if (score < secondScore)
            {
                (second, secondScore) = (n, score);
            }
        }
        return (best, bestScore, second, secondScore, feasible);
    }

    /// <summary>The scan for a component without links: the same cost as <see cref="PlacementState.Cost"/>, inlined.</summary>
    private (int Best, double BestScore, int Second, double SecondScore, int Feasible) FastScan(PlacementComponent c, int[] candidates)
    {
        int best = -1, second = -1, feasible = 0;
        double bestScore = double.PositiveInfinity, secondScore = double.PositiveInfinity;
        double cpu = c.CpuRequest - 1e-9, mem = c.MemoryRequestMb - 1e-9, wb = weights.Balance;
        // Disk: same test as PlacementState.FitsDisk, inlined (an unknown free disk is NaN, which fails the comparison).
        var disk = c.DiskRequestMb is { } d && d > 0 ? d - 1e-9 : 0;
        var hasPorts = c.Ports.Count > 0;
        double cpuRequest = c.CpuRequest, memRequest = c.MemoryRequestMb;
        var freeCpu = state.FreeCpu;
        var freeMem = state.FreeMem;
        var freeDisk = state.FreeDisk;
        var util = state.Util;
        foreach (var n in candidates)
        {
            if (cpu > freeCpu[n] || mem > freeMem[n] || (disk > 0 && !(disk <= freeDisk[n])) || (hasPorts && !state.PortsFree(n, c)))
            {
                continue;
            }
            feasible++;
            var score = (cpuRequest * alpha[n]) + (memRequest * beta[n]) + (wb * util[n]);
            if (score < secondScore)
            {
                if (score < bestScore)
                {
                    (second, secondScore) = (best, bestScore);
                    (best, bestScore) = (n, score);
                }
                else
                {
                    (second, secondScore) = (n, score);
                }
            }
        }
        return (best, bestScore, second, secondScore, feasible);
    }

    private void Improve(IReadOnlyList<PlacementComponent> batch, BatchLinks links, CancellationToken cancellationToken)
    {
        for (var pass = 0; pass < state.Options.ImprovementPasses; pass++)
        {
            var moved = 0;
            for (var i = 0; i < batch.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var from = assignment[i];
                if (from < 0)
                {
                    continue;
                }
                var c = batch[i];
                var current = state.Cost(c, from, weights) + LinkCost(i, from, links);
                state.Release(from, c);
                var (best, bestScore, _, _, _) = Scan(i, c, candidates[i], links);
                if (best >= 0 && best != from && bestScore < current - 1e-9)
                {
                    assignment[i] = best;
                    var (energy, balance) = state.Terms(c, best);
                    reasons[i] = new DecisionReason
                    {
                        Kind = ReasonKind.Moved, Nodes = state.Nodes, Score = bestScore, Other = from, OtherScore = current,
                        EnergyW = energy, Balance = balance, LatencyCost = LinkCost(i, best, links),
                    };
                    moved++;
                }
                state.Commit(assignment[i], c);
            }
            moved += Swap(batch, links, cancellationToken);
            if (moved == 0)
            {
                break;
            }
        }
    }

    /// <summary>
    /// Exchanges the nodes of two components where that lowers the objective and both still fit: what single moves
    /// cannot do when the cheap node is full (a large component takes a small one's place).
    /// </summary>
    private int Swap(IReadOnlyList<PlacementComponent> batch, BatchLinks links, CancellationToken cancellationToken)
    {
        var swapped = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (var j = i + 1; j < batch.Count; j++)
            {
                int ni = assignment[i], nj = assignment[j];
                if (ni < 0 || nj < 0 || ni == nj || Array.BinarySearch(candidates[i], nj) < 0 || Array.BinarySearch(candidates[j], ni) < 0)
                {
                    continue;
                }
                var (ci, cj) = (batch[i], batch[j]);
                var before = state.Cost(ci, ni, weights) + state.Cost(cj, nj, weights);
                var after = state.Cost(ci, nj, weights) + state.Cost(cj, ni, weights);
                var linked = links.Of(i).Count > 0 || links.Of(j).Count > 0;
                if (!linked && after >= before - 1e-9)
                {
                    continue;
                }
                if (linked)
                {
                    before += LinkCost(i, ni, links) + LinkCost(j, nj, links);
                }
                state.Release(ni, ci);
                state.Release(nj, cj);
                (assignment[i], assignment[j]) = (nj, ni);
                var ok = state.FitsNow(nj, ci);
                if (ok)
                {
                    state.Commit(nj, ci);
                    ok = state.FitsNow(ni, cj);
                    state.Release(nj, ci);
                }
                ok = ok && (!linked || (LinksOk(i, nj, links) && LinksOk(j, ni, links)));
                if (ok && linked)
                {
                    after += LinkCost(i, nj, links) + LinkCost(j, ni, links);
                }
                if (ok && after < before - 1e-9)
                {
                    foreach (var (k, from) in new[] { (i, ni), (j, nj) })
                    {
                        var n = assignment[k];
                        state.Commit(n, batch[k]);
                        var (energy, balance) = state.Terms(batch[k], n);
                        reasons[k] = new DecisionReason
                        {
                            Kind = ReasonKind.Moved, Nodes = state.Nodes, Score = state.Cost(batch[k], n, weights) + LinkCost(k, n, links), Other = from,
                            OtherScore = double.NaN, EnergyW = energy, Balance = balance, LatencyCost = LinkCost(k, n, links),
                        };
                    }
                    swapped++;
                }
                else
                {
                    (assignment[i], assignment[j]) = (ni, nj);
                    state.Commit(ni, ci);
                    state.Commit(nj, cj);
                }
            }
        }
        return swapped;
    }

    private bool LinksOk(int i, int n, BatchLinks links)
    {
        if (latency is null)
        {
            return true;
        }
        foreach (var (j, max) in links.Of(i))
        {
            if (max is { } limit && assignment[j] >= 0 && assignment[j] != n && latency(state.Nodes[n], state.Nodes[assignment[j]]) is { } ms && ms > limit)
            {
                return false;
            }
        }
        return true;
    }

    private double LinkCost(int i, int n, BatchLinks links)
    {
        if (latency is null || weights.Latency == 0)
        {
            return 0;
        }
        var sum = 0.0;
        foreach (var (j, _) in links.Of(i))
        {
            if (assignment[j] >= 0 && assignment[j] != n && latency(state.Nodes[n], state.Nodes[assignment[j]]) is { } ms)
            {
                sum += weights.Latency * ms;
            }
        }
        return sum;
    }

    private DecisionReason Reason(PlacementComponent c, int best, double bestScore, int second, double secondScore, int feasible, int i, BatchLinks links)
    {
        if (mode == GreedyMode.LeastAllocated)
        {
            return new DecisionReason { Kind = ReasonKind.LeastAllocated, Nodes = state.Nodes, Score = bestScore, Feasible = feasible, Other = -1 };
        }
        var (energy, balance) = state.Terms(c, best);
        return new DecisionReason
        {
            Kind = ReasonKind.LowestCost, Nodes = state.Nodes, Score = bestScore, Feasible = feasible, Other = second, OtherScore = secondScore,
            EnergyW = energy, Balance = balance, LatencyCost = LinkCost(i, best, links),
        };
    }
}

/// <summary>The links of a batch by component index, in both directions (a link constrains both ends).</summary>
internal sealed class BatchLinks
{
    private static readonly List<(int Other, double? MaxLatencyMs)> None = [];

    /// <summary>The links of a batch without any (shared: building it costs nothing per decision).</summary>
    private static readonly BatchLinks Empty = new(0);

    private readonly List<(int Other, double? MaxLatencyMs)>?[] links;

    private BatchLinks(int count) => links = new List<(int, double?)>?[count];

    /// <summary>Whether any component has a link to another component of the batch.</summary>
    public bool Any { get; private set; }

    public IReadOnlyList<(int Other, double? MaxLatencyMs)> Of(int i) => Any ? links[i] ?? None : None;

    /// <summary>Builds the links; a link to a component outside the batch is ignored.</summary>
    public static BatchLinks Build(IReadOnlyList<PlacementComponent> batch)
    {
        var linked = false;
        for (var i = 0; i < batch.Count && !linked; i++)
        {
            linked = batch[i].Links.Count > 0;
        }
        if (!linked)
        {
            return Empty;
        }
        var result = new BatchLinks(batch.Count);
        Dictionary<string, int>? index = null;
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i].Links.Count == 0)
            {
                continue;
            }
            index ??= IndexOf(batch);
            foreach (var link in batch[i].Links)
            {
                if (index.TryGetValue(link.TargetComponentId, out var j) && j != i)
                {
                    (result.links[i] ??= []).Add((j, link.MaxLatencyMs));
                    (result.links[j] ??= []).Add((i, link.MaxLatencyMs));
                    result.Any = true;
                }
            }
        }
        return result;
    }

    /// <summary>The distinct linked pairs (i &lt; j counted once per declared link).</summary>
    public IEnumerable<(int A, int B, double? MaxLatencyMs)> Pairs()
    {
        for (var i = 0; i < links.Length && Any; i++)
        {
            foreach (var (j, max) in Of(i))
            {
                if (i < j)
                {
                    yield return (i, j, max);
                }
            }
        }
    }

    private static Dictionary<string, int> IndexOf(IReadOnlyList<PlacementComponent> batch)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            index.TryAdd(batch[i].Id, i);
        }
        return index;
    }
}
