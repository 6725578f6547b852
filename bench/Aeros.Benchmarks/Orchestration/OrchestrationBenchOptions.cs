using System.Globalization;

namespace Aeros.Benchmarks.Orchestration;

/// <summary>Options of <c>failover</c> and <c>deploy-latency</c> (both start their own local continuum with <c>aeros up</c>).</summary>
internal sealed record OrchestrationBenchOptions(int Count, int Ies, int BasePort, string? AerosPath, TimeSpan TrialTimeout, TimeSpan StartTimeout)
{
    public const int DefaultCount = 20;

    public static string Usage(string command, string countName) => $"""
        Usage: {command} [{countName} N] [--ies N] [--base-port P] [--aeros PATH] [--trial-timeout S] [--start-timeout S]

          {countName} N         how many trials/deployments (default {DefaultCount}, at least 1 and at most 1000)
          --ies N              IEs of the one-domain continuum (default 3; failover needs at least 2)
          --base-port P        the continuum's base port (default: a free block between 33000 and 35000)
          --aeros PATH         aeros.dll to start (default: src/Aeros.Cli/bin/Release/net10.0/aeros.dll, built if missing)
          --trial-timeout S    give up one trial after S seconds (default 60)
          --start-timeout S    give up starting the continuum after S seconds (default 180)
        """;

    public static OrchestrationBenchOptions? Parse(IReadOnlyList<string> args, string countName, out string? error)
    {
        var count = DefaultCount;
        var ies = 3;
        var basePort = 0;
        string? aeros = null;
        var trial = 60;
        var start = 180;
        var errors = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "--help" or "-h")
            {
                error = null;
                return null;
            }
            if (i + 1 >= args.Count)
            {
                errors.Add($"{name} needs a value.");
                break;
            }
            var value = args[++i];
            int Int(int min, int max)
            {
                if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= min && parsed <= max)
                {
                    return parsed;
                }
                errors.Add($"{name} must be an integer from {min} to {max} (was '{value}').");
                return min;
            }
            if (name == countName)
            {
                count = Int(1, 1000);
            }
            else
            {
                switch (name)
                {
                    case "--ies": ies = Int(1, 16); break;
                    case "--base-port": basePort = Int(1024, 65000); break;
                    case "--aeros": aeros = value; break;
                    case "--trial-timeout": trial = Int(1, 600); break;
                    case "--start-timeout": start = Int(10, 1800); break;
                    default: errors.Add($"unknown option {name}."); break;
                }
            }
        }
        error = errors.Count == 0 ? null : string.Join('\n', errors);
        return errors.Count == 0
            ? new OrchestrationBenchOptions(count, ies, basePort, aeros, TimeSpan.FromSeconds(trial), TimeSpan.FromSeconds(start))
            : null;
    }
}
