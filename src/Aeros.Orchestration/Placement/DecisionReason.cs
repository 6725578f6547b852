using System.Globalization;

namespace Aeros.Orchestration.Placement;

/// <summary>What a reason says.</summary>
internal enum ReasonKind
{
    /// <summary>A finished text (<see cref="DecisionReason.Text"/>): infeasible components and CP-SAT decisions.</summary>
    Text,

    /// <summary>The heuristic's lowest-cost node, with the runner-up.</summary>
    LowestCost,

    /// <summary>Moved by the heuristic's local improvement.</summary>
    Moved,

    /// <summary>The LeastAllocated baseline's most free node.</summary>
    LeastAllocated,
}

/// <summary>
/// The numbers behind a decision's reason, kept at decision time and formatted only when someone reads
/// <see cref="PlacementDecision.Reason"/>: a value type, so a decision costs no strings until then.
/// </summary>
internal readonly record struct DecisionReason
{
    public ReasonKind Kind { get; init; }

    public string? Text { get; init; }

    /// <summary>The problem's nodes (for ids and the node count).</summary>
    public PlacementNode[]? Nodes { get; init; }

    /// <summary>The winner's score (LowestCost, LeastAllocated) or the cost after the move (Moved).</summary>
    public double Score { get; init; }

    public int Feasible { get; init; }

    /// <summary>The runner-up (LowestCost) or the node moved from (Moved); −1 when none.</summary>
    public int Other { get; init; }

    /// <summary>The runner-up's score (LowestCost) or the cost before the move (Moved).</summary>
    public double OtherScore { get; init; }

    public double EnergyW { get; init; }

    public double Balance { get; init; }

    public double LatencyCost { get; init; }

    public static DecisionReason Of(string text) => new() { Kind = ReasonKind.Text, Text = text };

    public string Format()
    {
        var nodes = Nodes ?? [];
        var of = $"{Feasible.ToString(CultureInfo.InvariantCulture)} feasible of {nodes.Length.ToString(CultureInfo.InvariantCulture)}";
        return Kind switch
        {
            ReasonKind.LeastAllocated => $"least allocated: {F(-Score * 100)} % free after placing; {of}",
            ReasonKind.LowestCost => $"lowest cost {F(Score)}: {CostText()}; {of}" + (Other >= 0 ? $", runner-up {nodes[Other].Id} at {F(OtherScore)}" : ""),
            ReasonKind.Moved when double.IsNaN(OtherScore) => $"swapped by local improvement with a component on {nodes[Other].Id} (cost now {F(Score)}); {CostText()}",
            ReasonKind.Moved => $"moved by local improvement from {nodes[Other].Id} (cost {F(OtherScore)} → {F(Score)}); {CostText()}",
            _ => Text ?? "",
        };
    }

    private string CostText() =>
        $"energy +{F(EnergyW)} W, balance {F(Balance)}" + (LatencyCost > 0 ? $", latency cost {F(LatencyCost)}" : "");

    private static string F(double value) => PlacementConstraints.F(value);
}
