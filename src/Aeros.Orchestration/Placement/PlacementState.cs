using Aeros.Abstractions.Continuum;

namespace Aeros.Orchestration.Placement;

/// <summary>
/// The nodes of a problem compiled into arrays, with the capacity view (free CPU, memory, disk, ports) that is
/// updated after every decision, and a cache of statically feasible nodes per constraint signature so that a
/// decision scans only the nodes its static constraints allow.
/// </summary>
internal sealed class PlacementState
{
    private const double Epsilon = 1e-9;
    private readonly Dictionary<StaticKey, int[]> staticCache = [];
    private readonly Dictionary<StaticKey, string> staticExplanations = [];
    private readonly Dictionary<(int Constraint, object? Parameter), ulong[]> atoms = [];
    private readonly HashSet<PlacementPort>?[] addedPorts;
    private ulong[]? usable;

    public PlacementState(IReadOnlyList<PlacementNode> nodes, PlacementOptions options)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Nodes = [.. nodes];
        var count = Nodes.Length;
        IndexById = new Dictionary<string, int>(count, StringComparer.Ordinal);
        FreeCpu = new double[count];
        FreeMem = new double[count];
        FreeDisk = new double[count];
        WattsPerCore = new double[count];
        InvCores = new double[count];
        InvRam = new double[count];
        Util = new double[count];
        addedPorts = new HashSet<PlacementPort>?[count];
        for (var i = 0; i < count; i++)
        {
            var node = Nodes[i];
            IndexById.TryAdd(node.Id, i);
            FreeCpu[i] = node.CpuCores - node.CpuRequested;
            FreeMem[i] = node.RamCapacityMb - node.MemoryRequestedMb;
            FreeDisk[i] = node.AvailableDiskMb ?? double.NaN;
            InvCores[i] = node.CpuCores > 0 ? 1 / node.CpuCores : 0;
            InvRam[i] = node.RamCapacityMb > 0 ? 1.0 / node.RamCapacityMb : 0;
            WattsPerCore[i] = EnergyFactor(node) * Math.Max(0, node.MaxPowerW - node.IdlePowerW) * InvCores[i];
            Util[i] = Utilization(i);
        }
    }

    public PlacementOptions Options { get; }

    public PlacementNode[] Nodes { get; }

    public Dictionary<string, int> IndexById { get; }

    public PlacementConstraints.AreaCache Areas { get; } = new();

    /// <summary>Free CPU cores (capacity minus requests placed so far).</summary>
    public double[] FreeCpu { get; }

    /// <summary>Free memory in MB (capacity minus requests placed so far).</summary>
    public double[] FreeMem { get; }

    /// <summary>Free disk in MB; NaN when unknown.</summary>
    public double[] FreeDisk { get; }

    /// <summary>Marginal W per requested core: (max − idle power) / cores, scaled by the energy-efficiency factor.</summary>
    public double[] WattsPerCore { get; }

    public double[] InvCores { get; }

    public double[] InvRam { get; }

    /// <summary>Utilization (mean of the CPU and memory requested fractions) at the start of the current batch.</summary>
    public double[] Util { get; }

    /// <summary>The factor on the marginal power: 1.5 − efficiency/100 (0.5 at 100 %, 1.5 at 0 %), 1 when unknown.</summary>
    public static double EnergyFactor(PlacementNode node) =>
        node.EnergyEfficiency is { } e ? 1.5 - (Math.Clamp(e, 0, 100) / 100) : 1.0;

    /// <summary>The nodes whose static constraints <paramref name="component"/> satisfies, ascending (cached per signature).</summary>
    public int[] StaticCandidates(PlacementComponent component)
    {
        var key = StaticKey.Of(component);
        if (!staticCache.TryGetValue(key, out var candidates))
        {
            candidates = ComputeCandidates(component);
            staticCache[key] = candidates;
        }
        return candidates;
    }

    /// <summary>
    /// Why <paramref name="component"/> fits nowhere now: the first static constraint that leaves no node (cached per
    /// signature, as it never changes), else what in the capacity view rules out its statically feasible nodes.
    /// </summary>
    public string Explain(PlacementComponent component)
    {
        var candidates = StaticCandidates(component);
        if (candidates.Length > 0)
        {
            // The static funnel would end with exactly these nodes: only the capacity view needs explaining.
            return ExplainDynamic(component, candidates);
        }
        var key = StaticKey.Of(component);
        if (!staticExplanations.TryGetValue(key, out var text))
        {
            text = ExplainStatic(component);
            staticExplanations[key] = text;
        }
        return text;
    }

    /// <summary>
    /// The static funnel: applies the constraints in <see cref="PlacementConstraints.Static"/> order to the node set (as
    /// bit sets, so a step costs a few hundred word operations) and explains the first one that leaves no node.
    /// </summary>
    private string ExplainStatic(PlacementComponent component)
    {
        if (Nodes.Length == 0)
        {
            return "no nodes: the problem has no candidate nodes";
        }
        var words = (Nodes.Length + 63) >> 6;
        var left = new ulong[words];
        for (var n = 0; n < Nodes.Length; n++)
        {
            left[n >> 6] |= 1UL << n;
        }
        var next = new ulong[words];
        for (var k = 0; k < PlacementConstraints.Static.Length; k++)
        {
            var constraint = PlacementConstraints.Static[k];
            if (!constraint.Applies(component))
            {
                continue;
            }
            var atom = Atom(k, constraint.Parameter(component), n => constraint.Satisfied(component, n, Options, Areas));
            var any = 0UL;
            for (var w = 0; w < words; w++)
            {
                next[w] = left[w] & atom[w];
                any |= next[w];
            }
            if (any == 0)
            {
                return constraint.Explain(component, [.. Indices(left).Select(n => Nodes[n])], Options);
            }
            (left, next) = (next, left);
        }
        return ExplainDynamic(component, Indices(left));
    }

    private static int[] Indices(ReadOnlySpan<ulong> set)
    {
        var count = 0;
        foreach (var word in set)
        {
            count += System.Numerics.BitOperations.PopCount(word);
        }
        var result = new int[count];
        var next = 0;
        for (var w = 0; w < set.Length; w++)
        {
            for (var word = set[w]; word != 0; word &= word - 1)
            {
                result[next++] = (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(word);
            }
        }
        return result;
    }

    private int[] ComputeCandidates(PlacementComponent component)
    {
        // Each constraint is evaluated once per node and parameter value (a bit set per "atom", such as domain = d1 or
        // cpuUsage ≤ 60); a new signature only intersects the bit sets of its atoms.
        var words = (Nodes.Length + 63) >> 6;
        usable ??= Atom(-1, null, n => PlacementConstraints.Usable(n, Options));
        if (component.PinnedNodeId is { } pinned)
        {
            if (!IndexById.TryGetValue(pinned, out var p) || (usable[p >> 6] & (1UL << p)) == 0)
            {
                return [];
            }
            foreach (var constraint in PlacementConstraints.Static)
            {
                if (!constraint.Universal && constraint.Applies(component) && !constraint.Satisfied(component, Nodes[p], Options, Areas))
                {
                    return [];
                }
            }
            return [p];
        }
        Span<ulong> set = words <= 256 ? stackalloc ulong[words] : new ulong[words];
        usable.CopyTo(set);
        for (var k = 0; k < PlacementConstraints.Static.Length; k++)
        {
            var constraint = PlacementConstraints.Static[k];
            if (constraint.Universal || !constraint.Applies(component))
            {
                continue;
            }
            var atom = Atom(k, constraint.Parameter(component), n => constraint.Satisfied(component, n, Options, Areas));
            for (var w = 0; w < words; w++)
            {
                set[w] &= atom[w];
            }
        }
        return Indices(set);
    }

    /// <summary>The bit set of nodes satisfying constraint <paramref name="k"/> with parameter <paramref name="parameter"/> (cached).</summary>
    private ulong[] Atom(int k, object? parameter, Func<PlacementNode, bool> satisfied)
    {
        if (atoms.TryGetValue((k, parameter), out var bits))
        {
            return bits;
        }
        bits = new ulong[(Nodes.Length + 63) >> 6];
        for (var n = 0; n < Nodes.Length; n++)
        {
            // Satisfied depends on the component only through the parameter, so any component with it gives the same set.
            if (satisfied(Nodes[n]))
            {
                bits[n >> 6] |= 1UL << n;
            }
        }
        atoms[(k, parameter)] = bits;
        return bits;
    }

    /// <summary>Whether <paramref name="component"/> fits on node <paramref name="n"/> in the current capacity view (CPU, memory, disk, ports).</summary>
    public bool FitsNow(int n, PlacementComponent component) =>
        FitsCpu(n, component) && FitsMem(n, component) && FitsDisk(n, component) && PortsFree(n, component);

    public bool FitsCpu(int n, PlacementComponent component) => component.CpuRequest <= FreeCpu[n] + Epsilon;

    public bool FitsMem(int n, PlacementComponent component) => component.MemoryRequestMb <= FreeMem[n] + Epsilon;

    public bool FitsDisk(int n, PlacementComponent component) =>
        component.DiskRequestMb is not { } disk || disk <= 0 || (!double.IsNaN(FreeDisk[n]) && disk <= FreeDisk[n] + Epsilon);

    public bool PortsFree(int n, PlacementComponent component)
    {
        var ports = component.Ports;
        if (ports.Count == 0)
        {
            return true;
        }
        var used = Nodes[n].UsedPorts;
        var added = addedPorts[n];
        if (used.Count == 0 && added is not { Count: > 0 })
        {
            return true; // most nodes: nothing to look up
        }
        for (var i = 0; i < ports.Count; i++)
        {
            if (used.Contains(ports[i]) || (added is not null && added.Contains(ports[i])))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Takes <paramref name="component"/>'s requests from node <paramref name="n"/>.</summary>
    public void Commit(int n, PlacementComponent component)
    {
        FreeCpu[n] -= component.CpuRequest;
        FreeMem[n] -= component.MemoryRequestMb;
        if (component.DiskRequestMb is { } disk && !double.IsNaN(FreeDisk[n]))
        {
            FreeDisk[n] -= disk;
        }
        if (component.Ports.Count > 0)
        {
            var added = addedPorts[n] ??= [];
            foreach (var port in component.Ports)
            {
                added.Add(port);
            }
        }
    }

    /// <summary>Gives <paramref name="component"/>'s requests back to node <paramref name="n"/>.</summary>
    public void Release(int n, PlacementComponent component)
    {
        FreeCpu[n] += component.CpuRequest;
        FreeMem[n] += component.MemoryRequestMb;
        if (component.DiskRequestMb is { } disk && !double.IsNaN(FreeDisk[n]))
        {
            FreeDisk[n] += disk;
        }
        if (component.Ports.Count > 0 && addedPorts[n] is { } added)
        {
            foreach (var port in component.Ports)
            {
                added.Remove(port);
            }
        }
    }

    /// <summary>Ends a batch: the utilization the balance term uses becomes the current one for the touched nodes.</summary>
    public void RefreshUtil(ReadOnlySpan<int> nodes)
    {
        foreach (var n in nodes)
        {
            if (n >= 0)
            {
                Util[n] = Utilization(n);
            }
        }
    }

    /// <summary>The energy (W) and balance (utilization) terms of <paramref name="component"/> on node <paramref name="n"/>.</summary>
    public (double EnergyW, double Balance) Terms(PlacementComponent component, int n) =>
        (component.CpuRequest * WattsPerCore[n],
         Util[n] + (((component.CpuRequest * InvCores[n]) + (component.MemoryRequestMb * InvRam[n])) / 2));

    /// <summary>The weighted energy plus balance cost of <paramref name="component"/> on node <paramref name="n"/>.</summary>
    public double Cost(PlacementComponent component, int n, PlacementWeights weights)
    {
        var (energy, balance) = Terms(component, n);
        return (weights.Energy * energy) + (weights.Balance * balance);
    }

    /// <summary>Why <paramref name="component"/> fits none of <paramref name="candidates"/> in the current capacity view.</summary>
    public string ExplainDynamic(PlacementComponent component, IReadOnlyList<int> candidates)
    {
        var left = candidates;
        var cpu = left.Where(n => FitsCpu(n, component)).ToList();
        if (cpu.Count == 0)
        {
            var best = left.MaxBy(n => FreeCpu[n]);
            return $"cpu: needs {PlacementConstraints.F(component.CpuRequest)} cores, most free is {PlacementConstraints.F(Math.Max(0, FreeCpu[best]))} on {Nodes[best].Id} ({left.Count} candidate nodes)";
        }
        var mem = cpu.Where(n => FitsMem(n, component)).ToList();
        if (mem.Count == 0)
        {
            var best = cpu.MaxBy(n => FreeMem[n]);
            return $"memory: needs {component.MemoryRequestMb} MB, most free is {PlacementConstraints.F(Math.Max(0, FreeMem[best]))} MB on {Nodes[best].Id} ({cpu.Count} nodes with enough CPU)";
        }
        var disk = mem.Where(n => FitsDisk(n, component)).ToList();
        if (disk.Count == 0)
        {
            var known = mem.Where(n => !double.IsNaN(FreeDisk[n])).ToList();
            return known.Count == 0
                ? $"disk: needs {component.DiskRequestMb} MB, free disk is unknown on all {mem.Count} nodes with enough CPU and memory"
                : $"disk: needs {component.DiskRequestMb} MB, most free is {PlacementConstraints.F(known.Max(n => FreeDisk[n]))} MB on {Nodes[known.MaxBy(n => FreeDisk[n])].Id}";
        }
        var ports = disk.Where(n => PortsFree(n, component)).ToList();
        if (ports.Count == 0)
        {
            return $"ports: {string.Join(", ", component.Ports.Select(p => $"{p.Port}/{p.Protocol}"))} already in use on all {disk.Count} nodes with enough resources";
        }
        return $"latency: none of the {ports.Count} nodes with enough resources is within the latency limit of its links";
    }

    private double Utilization(int n) =>
        (((Nodes[n].CpuCores - FreeCpu[n]) * InvCores[n]) + ((Nodes[n].RamCapacityMb - FreeMem[n]) * InvRam[n])) / 2;

    /// <summary>The static constraints of a component; components with equal keys have equal static candidates.</summary>
    private readonly record struct StaticKey(
        string? Pinned,
        string? Domain,
        CpuArchitecture? Architecture,
        bool Realtime,
        bool Gpu,
        long? GpuMemoryMin,
        double? CpuUsageMax,
        long? MemSizeMin,
        double? EnergyEfficiencyMin,
        bool Green,
        IReadOnlyList<GeoPoint>? Area)
    {
        public static StaticKey Of(PlacementComponent c) => new(
            c.PinnedNodeId, c.Domain, c.CpuArchitecture, c.Realtime == true, c.Gpu == true, c.GpuMemoryMinMb,
            c.CpuUsageMaxPct, c.MemSizeMinMb, c.EnergyEfficiencyMin, c.Green == true, c.Area);
    }
}
