using System.Globalization;

namespace Aeros.Benchmarks.Placement;

/// <summary>The command line of <c>placement</c>.</summary>
internal sealed record PlacementBenchOptions
{
    public const string Usage = """
        Usage: placement [options]

          --instances LIST   Instances to run, comma-separated, from S (10 components × 20 nodes), M (100 × 200),
                             L (1,000 × 2,000), T (5,000 nodes, 10,000 single-component services in a row). Default S,M,L,T.
          --seed N           Seed of the generated instances (default 42).
          --budget SECONDS   CP-SAT time budget per instance (default 60; L is capped at 60).
          --workers N        CP-SAT search workers (default 2).
          --output FILE      Also write the Markdown report to FILE.
        """;

    public IReadOnlyList<string> Instances { get; init; } = ["S", "M", "L", "T"];
    public int Seed { get; init; } = 42;
    public int BudgetSeconds { get; init; } = 60;
    public int Workers { get; init; } = 2;
    public string? OutputPath { get; init; }

    /// <summary>Parses <paramref name="args"/>; null with <paramref name="error"/> set (empty for --help) when it cannot.</summary>
    public static PlacementBenchOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        error = null;
        var options = new PlacementBenchOptions();
        var errors = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help" or "-?")
            {
                error = "";
                return null;
            }
            if (i + 1 >= args.Count)
            {
                errors.Add($"Option {name} needs a value.");
                break;
            }
            var value = args[++i];
            switch (name)
            {
                case "--instances":
                    var list = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToUpperInvariant()).ToList();
                    foreach (var bad in list.Where(s => s is not ("S" or "M" or "L" or "T")))
                    {
                        errors.Add($"Unknown instance '{bad}' (use S, M, L, T).");
                    }
                    if (list.Count == 0)
                    {
                        errors.Add("Option --instances needs at least one of S, M, L, T.");
                    }
                    options = options with { Instances = list };
                    break;
                case "--seed": options = options with { Seed = Int(name, value, 0, int.MaxValue, errors) }; break;
                case "--budget": options = options with { BudgetSeconds = Int(name, value, 1, 3600, errors) }; break;
                case "--workers": options = options with { Workers = Int(name, value, 1, 64, errors) }; break;
                case "--output": options = options with { OutputPath = value }; break;
                default: errors.Add($"Unknown option {name}."); break;
            }
        }
        if (errors.Count > 0)
        {
            error = string.Join("\n", errors);
            return null;
        }
        return options;
    }

    private static int Int(string name, string value, int min, int max, List<string> errors)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result) || result < min || result > max)
        {
            errors.Add($"Option {name} must be an integer between {min} and {max}, not '{value}'.");
        }
        return result;
    }
}
