using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Placement;

/// <summary>Options of the placement engine.</summary>
public sealed class PlacementOptions
{
    /// <summary>Default of <see cref="MinHealthScore"/>.</summary>
    public const double DefaultMinHealthScore = 0.3;

    /// <summary>Default of <see cref="GreenMinRatio"/>.</summary>
    public const double DefaultGreenMinRatio = 0.5;

    /// <summary>Default of <see cref="CpSatTimeBudget"/>: 2 s.</summary>
    public static readonly TimeSpan DefaultCpSatTimeBudget = TimeSpan.FromSeconds(2);

    /// <summary>Default of <see cref="CpSatMaxAssignments"/>.</summary>
    public const int DefaultCpSatMaxAssignments = 20_000;

    /// <summary>Default of <see cref="CpSatMaxLatencyNodes"/>.</summary>
    public const int DefaultCpSatMaxLatencyNodes = 50;

    /// <summary>Default of <see cref="CpSatWorkers"/>.</summary>
    public const int DefaultCpSatWorkers = 2;

    /// <summary>Nodes whose health score is below this are not used (0–1).</summary>
    public double MinHealthScore { get; set; } = DefaultMinHealthScore;

    /// <summary>The green ratio (0–1) a node needs for a component that asks for green energy.</summary>
    public double GreenMinRatio { get; set; } = DefaultGreenMinRatio;

    /// <summary>The longest CP-SAT may search; then its best solution (with its gap) is used.</summary>
    public TimeSpan CpSatTimeBudget { get; set; } = DefaultCpSatTimeBudget;

    /// <summary>
    /// The engine uses CP-SAT only when the problem has at most this many feasible (component, node) pairs — one
    /// Boolean variable each; larger problems go to the heuristic. 0 turns CP-SAT off.
    /// </summary>
    public int CpSatMaxAssignments { get; set; } = DefaultCpSatMaxAssignments;

    /// <summary>
    /// Latency between linked components enters the CP-SAT model (as an (N+1)² table per link) only up to this many
    /// nodes: beyond, the table makes CP-SAT too slow, so the engine uses the heuristic for problems with links, and
    /// <see cref="CpSatSolver"/> solves the relaxation without latency, has the heuristic repair its answer (latency
    /// limits, then improvement passes) and reports the larger of its bound and the Lagrangian bound with latency.
    /// </summary>
    public int CpSatMaxLatencyNodes { get; set; } = DefaultCpSatMaxLatencyNodes;

    /// <summary>CP-SAT search workers (threads).</summary>
    public int CpSatWorkers { get; set; } = DefaultCpSatWorkers;

    /// <summary>CP-SAT's random seed (a fixed seed with one worker gives repeatable results).</summary>
    public int RandomSeed { get; set; } = 1;

    /// <summary>Local improvement passes of the heuristic over a batch (0 = greedy only).</summary>
    public int ImprovementPasses { get; set; } = 2;

    /// <summary>Weights of the objective when a problem gives none.</summary>
    public PlacementWeights Weights { get; set; } = PlacementWeights.Default;
}

/// <summary>Validates <see cref="PlacementOptions"/>, listing every error at once.</summary>
internal sealed class PlacementOptionsValidator : IValidateOptions<PlacementOptions>
{
    public ValidateOptionsResult Validate(string? name, PlacementOptions options)
    {
        var errors = Errors(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Every error of <paramref name="options"/>.</summary>
    internal static List<string> Errors(PlacementOptions options)
    {
        var errors = new List<string>();
        if (!(options.MinHealthScore is >= 0 and <= 1))
        {
            errors.Add($"Placement minimum health score must be between 0 and 1, not {options.MinHealthScore}.");
        }
        if (!(options.GreenMinRatio is >= 0 and <= 1))
        {
            errors.Add($"Placement green minimum ratio must be between 0 and 1, not {options.GreenMinRatio}.");
        }
        if (options.CpSatTimeBudget <= TimeSpan.Zero || options.CpSatTimeBudget > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Placement CP-SAT time budget must be above 0 and at most 10 minutes, not {options.CpSatTimeBudget}.");
        }
        if (options.CpSatMaxAssignments is < 0 or > 10_000_000)
        {
            errors.Add($"Placement CP-SAT maximum assignments must be between 0 and 10,000,000, not {options.CpSatMaxAssignments}.");
        }
        if (options.CpSatMaxLatencyNodes is < 0 or > 2_000)
        {
            errors.Add($"Placement CP-SAT maximum latency nodes must be between 0 and 2,000, not {options.CpSatMaxLatencyNodes}.");
        }
        if (options.CpSatWorkers is < 1 or > 64)
        {
            errors.Add($"Placement CP-SAT workers must be between 1 and 64, not {options.CpSatWorkers}.");
        }
        if (options.ImprovementPasses is < 0 or > 100)
        {
            errors.Add($"Placement improvement passes must be between 0 and 100, not {options.ImprovementPasses}.");
        }
        if (options.Weights is null)
        {
            errors.Add("Placement weights are required.");
        }
        else
        {
            foreach (var (label, value) in new[] { ("energy", options.Weights.Energy), ("balance", options.Weights.Balance), ("latency", options.Weights.Latency) })
            {
                if (!(value >= 0 && double.IsFinite(value)))
                {
                    errors.Add($"Placement weight {label} must be a finite number ≥ 0, not {value}.");
                }
            }
        }
        return errors;
    }
}
