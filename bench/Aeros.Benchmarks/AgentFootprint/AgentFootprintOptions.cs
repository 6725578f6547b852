using System.Globalization;

namespace Aeros.Benchmarks.AgentFootprint;

/// <summary>The command line of <c>agent-footprint</c>.</summary>
internal sealed record AgentFootprintOptions
{
    public const string Usage = """
        Usage: agent-footprint [options]

          --duration SECONDS   Sampling time, one sample a second (default 60).
          --workloads N        Process workloads ('sleep 3600') applied through the agent's API first (default 5).
          --settle SECONDS     Wait after the workloads run, before sampling (default 5).
          --aeros PATH         The aeros program that runs the agent: aeros.dll (run with dotnet) or a published
                               executable (e.g. a NativeAOT or trimmed build; an 'aeros-agent' executable is
                               run without the 'agent' subcommand). Default: the Release build of
                               src/Aeros.Cli (built if missing). The broker always runs from the default build.
          --env NAME=VALUE     An environment variable for the agent only (repeatable), to try runtime knobs such
                               as DOTNET_TieredCompilation=0 (NativeAOT reads GC knobs as bare hex: DOTNET_GCgen0size=80000).
          --output FILE        Also write the Markdown report to FILE.
        """;

    public int DurationSeconds { get; init; } = 60;
    public int Workloads { get; init; } = 5;
    public int SettleSeconds { get; init; } = 5;
    public string? AerosPath { get; init; }
    public string? OutputPath { get; init; }
    public IReadOnlyDictionary<string, string> AgentEnvironment { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Parses <paramref name="args"/>; null with <paramref name="error"/> set (empty for --help) when it cannot.</summary>
    public static AgentFootprintOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        error = null;
        var options = new AgentFootprintOptions();
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
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
                case "--duration": options = options with { DurationSeconds = Int(name, value, 1, 3600, errors) }; break;
                case "--workloads": options = options with { Workloads = Int(name, value, 0, 100, errors) }; break;
                case "--settle": options = options with { SettleSeconds = Int(name, value, 0, 600, errors) }; break;
                case "--aeros": options = options with { AerosPath = value }; break;
                case "--output": options = options with { OutputPath = value }; break;
                case "--env":
                    var eq = value.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        errors.Add($"Option --env must be NAME=VALUE, not '{value}'.");
                    }
                    else
                    {
                        environment[value[..eq]] = value[(eq + 1)..];
                    }
                    break;
                default: errors.Add($"Unknown option {name}."); break;
            }
        }
        if (errors.Count > 0)
        {
            // Every error at once, one a line.
            error = string.Join("\n", errors);
            return null;
        }
        return options with { AgentEnvironment = environment };
    }

    private static int Int(string name, string value, int min, int max, List<string> errors)
    {
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
        {
            return n;
        }
        errors.Add($"Option {name} must be an integer between {min} and {max}, not '{value}'.");
        return 0;
    }
}
