namespace Aeros.Orchestration.Placement;

/// <summary>
/// A proven lower bound of the objective that counts latency: the node capacities (CPU, memory) are moved into the
/// objective with Lagrange multipliers, the links are cut to a spanning forest, and each tree of linked components is
/// then solved exactly by dynamic programming over its candidate nodes (cost + penalty + latency, latency limits as
/// forbidden pairs). For any multipliers ≥ 0 the result is a valid lower bound of every placement that places each
/// component that fits somewhere on its own: relaxing capacity, ports and the cut links only widens the feasible set,
/// and the latency terms are ≥ 0. Subgradient steps raise it; the best value seen is returned.
/// </summary>
/// <remarks>
/// Where CP-SAT cannot carry latency (the (N+1)² tables of many nodes), its bound leaves latency out entirely; this
/// one keeps it exactly inside each tree, which is where the generated and most real services have their links.
/// </remarks>
internal static class LagrangianBound
{
    /// <summary>Largest number of latency-table entries (Σ over tree edges of |candidates|²) the bound builds; larger edges are cut.</summary>
    internal const long MaxTableEntries = 4_000_000;

    /// <summary>Subgradient iterations (each one dynamic program over the forest).</summary>
    internal const int DefaultIterations = 300;

    public static double Compute(
        PlacementState state,
        IReadOnlyList<PlacementComponent> batch,
        Func<PlacementNode, PlacementNode, double?>? latency,
        PlacementWeights weights,
        double upperBound,
        int iterations,
        CancellationToken cancellationToken)
    {
        var count = batch.Count;
        var nodeCount = state.Nodes.Length;

        // Candidates that fit alone, with their objective cost; a component with none is unplaced in every placement.
        var cand = new int[count][];
        var cost = new double[count][];
        for (var i = 0; i < count; i++)
        {
            var list = new List<int>();
            foreach (var n in state.StaticCandidates(batch[i]))
            {
                if (state.FitsNow(n, batch[i]))
                {
                    list.Add(n);
                }
            }
            cand[i] = [.. list];
            cost[i] = [.. list.Select(n => state.Cost(batch[i], n, weights))];
        }

        // Spanning forest of the links between placeable components (a cut link drops a term ≥ 0: still a bound).
        var parent = new int[count];
        var edges = new List<Edge>();
        if (latency is not null)
        {
            var merged = new Dictionary<(int, int), (int Times, double? Limit)>();
            foreach (var (a, b, max) in BatchLinks.Build(batch).Pairs())
            {
                if (cand[a].Length == 0 || cand[b].Length == 0)
                {
                    continue;
                }
                var key = a < b ? (a, b) : (b, a);
                var (times, limit) = merged.GetValueOrDefault(key);
                merged[key] = (times + 1, max is { } m ? Math.Min(m, limit ?? double.PositiveInfinity) : limit);
            }
            for (var i = 0; i < count; i++)
            {
                parent[i] = i;
            }
            int Find(int i)
            {
                while (parent[i] != i)
                {
                    i = parent[i] = parent[parent[i]];
                }
                return i;
            }
            long entries = 0;
            foreach (var ((a, b), (times, limit)) in merged.OrderBy(e => e.Key))
            {
                var size = (long)cand[a].Length * cand[b].Length;
                if (Find(a) == Find(b) || entries + size > MaxTableEntries)
                {
                    continue;
                }
                parent[Find(a)] = Find(b);
                entries += size;
                edges.Add(new Edge(a, b, times, limit));
            }
        }

        // Root each tree and order it so that children come after their parent.
        var children = new List<(int Child, int Edge)>?[count];
        for (var e = 0; e < edges.Count; e++)
        {
            (children[edges[e].A] ??= []).Add((edges[e].B, e));
            (children[edges[e].B] ??= []).Add((edges[e].A, e));
        }
        var order = new List<int>(count);
        var up = new int[count]; // the edge to the parent, −1 for a root (and for a component that fits nowhere)
        Array.Fill(up, -1);
        var seen = new bool[count];
        var roots = new List<int>();
        for (var r = 0; r < count; r++)
        {
            if (seen[r] || cand[r].Length == 0)
            {
                continue;
            }
            roots.Add(r);
            seen[r] = true;
            up[r] = -1;
            var queue = new Queue<int>();
            queue.Enqueue(r);
            while (queue.Count > 0)
            {
                var v = queue.Dequeue();
                order.Add(v);
                foreach (var (u, e) in children[v] ?? [])
                {
                    if (!seen[u])
                    {
                        seen[u] = true;
                        up[u] = e;
                        queue.Enqueue(u);
                    }
                }
            }
        }

        // Latency table per tree edge, parent's candidates × child's (∞ where the limit forbids the pair).
        var tables = new double[edges.Count][];
        foreach (var v in order)
        {
            if (up[v] < 0)
            {
                continue;
            }
            var edge = edges[up[v]];
            var p = edge.A == v ? edge.B : edge.A;
            var table = new double[cand[p].Length * cand[v].Length];
            for (var k = 0; k < cand[p].Length; k++)
            {
                for (var m = 0; m < cand[v].Length; m++)
                {
                    var (np, nv) = (cand[p][k], cand[v][m]);
                    double value = 0;
                    if (np != nv && latency!(state.Nodes[np], state.Nodes[nv]) is { } ms)
                    {
                        value = edge.Limit is { } limit && ms > limit ? double.PositiveInfinity : edge.Times * weights.Latency * ms;
                    }
                    table[(k * cand[v].Length) + m] = value;
                }
            }
            tables[up[v]] = table;
        }

        // Subgradient ascent on the multipliers of the normalized capacities Σ request / free ≤ 1 per node.
        var lambdaCpu = new double[nodeCount];
        var lambdaMem = new double[nodeCount];
        var f = new double[count][];
        var choice = new int[count][]; // per child: its best candidate for each candidate of its parent
        for (var i = 0; i < count; i++)
        {
            f[i] = new double[cand[i].Length];
            choice[i] = up[i] >= 0 ? new int[cand[edges[up[i]].A == i ? edges[up[i]].B : edges[up[i]].A].Length] : [];
        }
        var at = new int[count];
        var loadCpu = new double[nodeCount];
        var loadMem = new double[nodeCount];
        var best = double.NegativeInfinity;
        var theta = 2.0;
        var sinceBetter = 0;
        for (var iteration = 0; iteration < Math.Max(1, iterations); iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var value = 0.0;
            for (var n = 0; n < nodeCount; n++)
            {
                value -= lambdaCpu[n] + lambdaMem[n];
            }
            // Leaves first: f[v][k] = cost + penalty + Σ over children of min over the child's candidates.
            for (var o = order.Count - 1; o >= 0; o--)
            {
                var v = order[o];
                var c = batch[v];
                var fv = f[v];
                for (var k = 0; k < fv.Length; k++)
                {
                    var n = cand[v][k];
                    fv[k] = cost[v][k] + Penalty(c, n, state, lambdaCpu, lambdaMem);
                }
                foreach (var (u, e) in children[v] ?? [])
                {
                    if (up[u] != e)
                    {
                        continue; // the edge to v's own parent
                    }
                    var table = tables[e];
                    var fu = f[u];
                    var width = fu.Length;
                    for (var k = 0; k < fv.Length; k++)
                    {
                        var min = double.PositiveInfinity;
                        var arg = -1;
                        var row = k * width;
                        for (var m = 0; m < width; m++)
                        {
                            var t = fu[m] + table[row + m];
                            if (t < min)
                            {
                                (min, arg) = (t, m);
                            }
                        }
                        fv[k] += min;
                        choice[u][k] = arg;
                    }
                }
            }
            var feasible = true;
            foreach (var r in roots)
            {
                var min = double.PositiveInfinity;
                var arg = -1;
                for (var k = 0; k < f[r].Length; k++)
                {
                    if (f[r][k] < min)
                    {
                        (min, arg) = (f[r][k], k);
                    }
                }
                if (arg < 0)
                {
                    feasible = false; // the limits leave no joint placement of this tree: it adds 0 (valid for any placement)
                    at[r] = -1;
                    continue;
                }
                value += min;
                at[r] = arg;
            }
            // Top-down: each child's candidate given its parent's.
            foreach (var v in order)
            {
                if (up[v] >= 0)
                {
                    var edge = edges[up[v]];
                    var p = edge.A == v ? edge.B : edge.A;
                    at[v] = at[p] < 0 ? -1 : choice[v][at[p]];
                }
            }
            if (value > best + 1e-12)
            {
                (best, sinceBetter) = (value, 0);
            }
            else if (++sinceBetter >= 25)
            {
                (theta, sinceBetter) = (theta / 2, 0);
            }

            Array.Clear(loadCpu);
            Array.Clear(loadMem);
            foreach (var v in order)
            {
                if (at[v] >= 0)
                {
                    var n = cand[v][at[v]];
                    loadCpu[n] += batch[v].CpuRequest;
                    loadMem[n] += batch[v].MemoryRequestMb;
                }
            }
            var norm = 0.0;
            for (var n = 0; n < nodeCount; n++)
            {
                var gc = Subgradient(loadCpu[n], state.FreeCpu[n], lambdaCpu[n]);
                var gm = Subgradient(loadMem[n], state.FreeMem[n], lambdaMem[n]);
                norm += (gc * gc) + (gm * gm);
            }
            if (norm == 0 && feasible)
            {
                break; // the relaxed answer respects every capacity: the bound cannot rise further
            }
            if (norm == 0 || theta < 1e-4 || upperBound <= best)
            {
                break;
            }
            var step = theta * (upperBound - value) / norm;
            for (var n = 0; n < nodeCount; n++)
            {
                lambdaCpu[n] = Math.Max(0, lambdaCpu[n] + (step * Subgradient(loadCpu[n], state.FreeCpu[n], lambdaCpu[n])));
                lambdaMem[n] = Math.Max(0, lambdaMem[n] + (step * Subgradient(loadMem[n], state.FreeMem[n], lambdaMem[n])));
            }
        }
        // Floating-point sums: give back a hair so that rounding cannot lift the bound above the true optimum.
        return best - (1e-9 * Math.Max(1, Math.Abs(best)));
    }

    private static double Penalty(PlacementComponent c, int n, PlacementState state, double[] lambdaCpu, double[] lambdaMem)
    {
        var p = 0.0;
        if (lambdaCpu[n] > 0 && c.CpuRequest > 0)
        {
            p += lambdaCpu[n] * c.CpuRequest / state.FreeCpu[n];
        }
        if (lambdaMem[n] > 0 && c.MemoryRequestMb > 0)
        {
            p += lambdaMem[n] * c.MemoryRequestMb / state.FreeMem[n];
        }
        return p;
    }

    /// <summary>The normalized capacity excess (load / free − 1), projected: 0 where the multiplier is 0 and the node has room.</summary>
    private static double Subgradient(double load, double free, double lambda)
    {
        if (free <= 0)
        {
            return 0; // nothing fits there alone, so no candidate uses the node
        }
        var g = (load / free) - 1;
        return lambda <= 0 && g < 0 ? 0 : g;
    }

    private readonly record struct Edge(int A, int B, int Times, double? Limit);
}
