using Aeros.Abstractions.Continuum;

namespace Aeros.Orchestration.Placement;

/// <summary>A point on the earth: longitude and latitude in degrees (WGS 84), in GeoJSON order.</summary>
public readonly record struct GeoPoint(double Lon, double Lat);

/// <summary>A port a workload listens on (or a node already has in use), with its protocol.</summary>
public readonly record struct PlacementPort(int Port, PortProtocol Protocol = PortProtocol.TCP);

/// <summary>
/// An infrastructure element as the placement engine sees it: its static properties, its measured state and the
/// resources already requested by the components placed on it before this problem.
/// </summary>
public sealed record PlacementNode
{
    /// <summary>Default of <see cref="IdlePowerW"/> when the element does not report a power model: 10 W.</summary>
    public const double DefaultIdlePowerW = 10;

    /// <summary>Default of <see cref="MaxPowerW"/> when the element does not report a power model: 10 W plus 10 W per core (set by <see cref="WithDefaultPowerModel"/>).</summary>
    public const double DefaultPowerPerCoreW = 10;

    /// <summary>The element's id (the InfrastructureElement entity id).</summary>
    public required string Id { get; init; }

    /// <summary>The domain the element belongs to (name or id, compared ordinally with <see cref="PlacementComponent.Domain"/>).</summary>
    public string? Domain { get; init; }

    /// <summary>The CPU architecture; null when unknown (then no architecture constraint is satisfied).</summary>
    public CpuArchitecture? CpuArchitecture { get; init; }

    /// <summary>CPU cores of the element.</summary>
    public required double CpuCores { get; init; }

    /// <summary>Measured CPU usage in percent (0–100).</summary>
    public double CpuUsagePct { get; init; }

    /// <summary>RAM of the element in MB.</summary>
    public required long RamCapacityMb { get; init; }

    /// <summary>Measured free RAM in MB (what <see cref="PlacementComponent.MemSizeMinMb"/> is compared with).</summary>
    public required long AvailableRamMb { get; init; }

    /// <summary>Measured free disk in MB; null when unknown (then a disk request cannot be checked and is not placed here).</summary>
    public long? AvailableDiskMb { get; init; }

    /// <summary>CPU cores already requested by components placed on the element before this problem.</summary>
    public double CpuRequested { get; init; }

    /// <summary>Memory in MB already requested by components placed on the element before this problem.</summary>
    public long MemoryRequestedMb { get; init; }

    /// <summary>Whether the element runs a real-time kernel.</summary>
    public bool RealTime { get; init; }

    /// <summary>Whether the element has a GPU.</summary>
    public bool Gpu { get; init; }

    /// <summary>GPU memory in MB, when known.</summary>
    public long? GpuMemoryMb { get; init; }

    /// <summary>Energy efficiency in percent (0–100), when known.</summary>
    public double? EnergyEfficiency { get; init; }

    /// <summary>Share (0–1) of the element's energy from renewable sources, when known.</summary>
    public double? GreenRatio { get; init; }

    /// <summary>Where the element is, when known.</summary>
    public GeoPoint? Location { get; init; }

    /// <summary>The element's status; only <see cref="InfrastructureElementStatus.Ready"/> accepts workloads (null counts as not ready).</summary>
    public InfrastructureElementStatus? Status { get; init; }

    /// <summary>Whether the element's heartbeat is current.</summary>
    public bool Reachable { get; init; } = true;

    /// <summary>Health score 0–1 (the agent's); null when unknown (then it is taken as 1).</summary>
    public double? HealthScore { get; init; }

    /// <summary>Ports already in use on the element.</summary>
    public IReadOnlySet<PlacementPort> UsedPorts { get; init; } = new HashSet<PlacementPort>();

    /// <summary>Power drawn when idle, in W.</summary>
    public double IdlePowerW { get; init; } = DefaultIdlePowerW;

    /// <summary>Power drawn at full CPU load, in W (at least <see cref="IdlePowerW"/>).</summary>
    public double MaxPowerW { get; init; } = DefaultIdlePowerW + DefaultPowerPerCoreW;

    /// <summary>This node with the default power model for its size: <see cref="DefaultIdlePowerW"/> idle, plus <see cref="DefaultPowerPerCoreW"/> per core at full load.</summary>
    public PlacementNode WithDefaultPowerModel() =>
        this with { IdlePowerW = DefaultIdlePowerW, MaxPowerW = DefaultIdlePowerW + (DefaultPowerPerCoreW * CpuCores) };
}

/// <summary>A dependency of a component on another component of the same problem, optionally with a latency limit.</summary>
/// <param name="TargetComponentId">The other component.</param>
/// <param name="MaxLatencyMs">The largest latency allowed between the two elements, when limited (a hard constraint where the latency is known).</param>
public sealed record PlacementLink(string TargetComponentId, double? MaxLatencyMs = null);

/// <summary>A component to place: its resource requests and its constraints (null = no constraint).</summary>
public sealed record PlacementComponent
{
    /// <summary>The component's id (unique in a problem).</summary>
    public required string Id { get; init; }

    /// <summary>The service the component belongs to.</summary>
    public string ServiceId { get; init; } = "";

    /// <summary>CPU cores requested.</summary>
    public double CpuRequest { get; init; }

    /// <summary>Memory requested in MB.</summary>
    public long MemoryRequestMb { get; init; }

    /// <summary>Disk requested in MB, when any.</summary>
    public long? DiskRequestMb { get; init; }

    /// <summary>Ports the component listens on (no two components on one element may share one, nor use one the element uses).</summary>
    public IReadOnlyList<PlacementPort> Ports { get; init; } = [];

    /// <summary>The element's measured CPU usage must not exceed this percentage.</summary>
    public double? CpuUsageMaxPct { get; init; }

    /// <summary>The element must have this CPU architecture.</summary>
    public CpuArchitecture? CpuArchitecture { get; init; }

    /// <summary>The element's available RAM must be at least this many MB.</summary>
    public long? MemSizeMinMb { get; init; }

    /// <summary>When true, the element must be real-time.</summary>
    public bool? Realtime { get; init; }

    /// <summary>When true, the element must have a GPU.</summary>
    public bool? Gpu { get; init; }

    /// <summary>The element's GPU memory must be at least this many MB.</summary>
    public long? GpuMemoryMinMb { get; init; }

    /// <summary>The component must run on this element.</summary>
    public string? PinnedNodeId { get; init; }

    /// <summary>The element must belong to this domain.</summary>
    public string? Domain { get; init; }

    /// <summary>The element's location must lie inside this polygon (a closed or open ring of (lon, lat) points).</summary>
    public IReadOnlyList<GeoPoint>? Area { get; init; }

    /// <summary>The element's energy efficiency must be at least this percentage.</summary>
    public double? EnergyEfficiencyMin { get; init; }

    /// <summary>When true, the element's green ratio must reach <see cref="PlacementOptions.GreenMinRatio"/>.</summary>
    public bool? Green { get; init; }

    /// <summary>Components of the same problem this one talks to.</summary>
    public IReadOnlyList<PlacementLink> Links { get; init; } = [];
}

/// <summary>Weights of the three objective terms (see docs/orchestration.md for the formula).</summary>
/// <param name="Energy">Weight per W of estimated marginal power.</param>
/// <param name="Balance">Weight per unit of node utilization (0–1) the component lands on.</param>
/// <param name="Latency">Weight per ms of latency between linked components.</param>
public sealed record PlacementWeights(double Energy = 1.0, double Balance = 4.0, double Latency = 0.05)
{
    /// <summary>The default weights.</summary>
    public static PlacementWeights Default { get; } = new();
}

/// <summary>
/// One placement problem: the candidate nodes, the components to place together, an optional latency between two
/// nodes in ms (null = unknown), and the weights of the objective (null: <see cref="PlacementOptions.Weights"/>).
/// </summary>
public sealed record PlacementProblem(
    IReadOnlyList<PlacementNode> Nodes,
    IReadOnlyList<PlacementComponent> Components,
    Func<PlacementNode, PlacementNode, double?>? Latency = null,
    PlacementWeights? Weights = null);

/// <summary>The weighted terms of a decision's objective (all 0 when the component is not placed).</summary>
/// <param name="EnergyW">Estimated marginal power in W (unweighted).</param>
/// <param name="Energy">The energy term: weight × <paramref name="EnergyW"/>.</param>
/// <param name="Balance">The balance term: weight × the utilization the component lands on.</param>
/// <param name="Latency">The component's share of its links' latency terms (half of each link's).</param>
public readonly record struct PlacementScoreParts(double EnergyW, double Energy, double Balance, double Latency)
{
    /// <summary>The sum of the weighted terms (the decision's objective when placed).</summary>
    public double Total => Energy + Balance + Latency;
}

/// <summary>The decision for one component.</summary>
/// <remarks>
/// The reason text of a heuristic decision is formatted on first read from numbers kept at decision time, so that
/// placing services one after another does not pay for text nobody reads; it does not change afterwards.
/// </remarks>
public sealed class PlacementDecision
{
    private string? reason;
    private readonly DecisionReason facts;

    /// <summary>Creates a decision with its reason text.</summary>
    /// <param name="componentId">The component.</param>
    /// <param name="nodeId">The chosen element, or null when nothing feasible exists.</param>
    /// <param name="solver">Which solver decided: <c>heuristic</c>, <c>cp-sat</c> or <c>least-allocated</c>.</param>
    /// <param name="objective">The component's share of the objective; null when not placed.</param>
    /// <param name="reason">Why the node won, or which constraint nothing satisfies (with counts).</param>
    /// <param name="scoreParts">The weighted terms of <paramref name="objective"/>.</param>
    public PlacementDecision(string componentId, string? nodeId, string solver, double? objective, string reason, PlacementScoreParts scoreParts)
    {
        ArgumentNullException.ThrowIfNull(reason);
        (ComponentId, NodeId, Solver, Objective, ScoreParts, this.reason) = (componentId, nodeId, solver, objective, scoreParts, reason);
    }

    internal PlacementDecision(string componentId, string? nodeId, string solver, double? objective, in DecisionReason reason, PlacementScoreParts scoreParts)
    {
        (ComponentId, NodeId, Solver, Objective, ScoreParts) = (componentId, nodeId, solver, objective, scoreParts);
        if (reason.Text is { } text)
        {
            this.reason = text;
        }
        else
        {
            facts = reason;
        }
    }

    /// <summary>The component.</summary>
    public string ComponentId { get; }

    /// <summary>The chosen element, or null when nothing feasible exists.</summary>
    public string? NodeId { get; }

    /// <summary>Which solver decided: <c>heuristic</c>, <c>cp-sat</c> or <c>least-allocated</c>.</summary>
    public string Solver { get; }

    /// <summary>The component's share of the objective (its energy and balance terms, plus half of each link's latency term); null when not placed.</summary>
    public double? Objective { get; }

    /// <summary>The weighted terms of <see cref="Objective"/>.</summary>
    public PlacementScoreParts ScoreParts { get; }

    /// <summary>Why the node won, or which constraint nothing satisfies (with counts).</summary>
    public string Reason => reason ??= facts.Format(); // a benign race: both threads format the same text

    /// <inheritdoc />
    public override string ToString() => $"{ComponentId} → {NodeId ?? "(none)"} [{Solver}]: {Reason}";
}

/// <summary>The outcome of one problem.</summary>
/// <param name="Decisions">One decision per component, in the problem's order.</param>
/// <param name="Solver">The solver whose decisions these are.</param>
/// <param name="Objective">The objective of the placed components (lower is better).</param>
/// <param name="Optimal">Whether the solver proved the decisions optimal.</param>
/// <param name="Bound">A proven lower bound of the objective, when the solver has one.</param>
/// <param name="Gap">(Objective − Bound) / Objective, when a bound is known.</param>
/// <param name="SolveTime">Wall time the solver took.</param>
public sealed record PlacementResult(
    IReadOnlyList<PlacementDecision> Decisions,
    string Solver,
    double Objective,
    bool Optimal,
    double? Bound,
    double? Gap,
    TimeSpan SolveTime)
{
    /// <summary>How many components got no node.</summary>
    public int Unplaced => Decisions.Count(d => d.NodeId is null);
}

/// <summary>A placement solver: decides a node for every component of a problem (or says why none fits).</summary>
public interface IPlacementSolver
{
    /// <summary>The solver's name as it appears in <see cref="PlacementDecision.Solver"/>.</summary>
    string Name { get; }

    /// <summary>Solves <paramref name="problem"/>; never throws for an infeasible problem (the decisions say why).</summary>
    PlacementResult Solve(PlacementProblem problem, CancellationToken cancellationToken);
}
