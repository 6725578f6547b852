using System.Globalization;

namespace Aeros.Benchmarks.NotifyLoad;

/// <summary>Command-line options of <c>notify-load</c>.</summary>
internal sealed record NotifyLoadOptions
{
    public const string Usage = """
        Usage: notify-load [options]

          --subscriptions N     subscriptions (and entities) in the broker (default 1000)
          --rate N              writes per second of the latency phase (default 2000)
          --duration S          seconds each measured write phase runs (default 10)
          --concurrency N       connections the writers use (default 16)
          --saturation-writes N writes of the saturation phase, each notifying every subscription (default 100)
          --broken KIND         receivers of the slow/dead phase: both (default; half slow, half dead), slow or dead
          --rounds N            rounds of the slow/dead phase, each a baseline segment and a slow/dead segment (in
                                alternating order) of --segment seconds (default 8); the ratio reported is the median
                                of the rounds'
          --segment S           seconds of each segment of a slow/dead round (default 3)
          --aeros PATH          aeros.dll to start (default: src/Aeros.Cli/bin/Release/net10.0/aeros.dll under the
                                repository root; built first if missing)
          --broker-env N=V      an environment variable for the broker process (repeatable; e.g. DOTNET_gcServer=1)
          --output FILE         also write the Markdown report to FILE
        """;

    public int Subscriptions { get; init; } = 1000;
    public int Rate { get; init; } = 2000;
    public int DurationSeconds { get; init; } = 10;
    public int Concurrency { get; init; } = 16;
    public int SaturationWrites { get; init; } = 100;
    public string Broken { get; init; } = "both";
    public int Rounds { get; init; } = 8;
    public int SegmentSeconds { get; init; } = 3;
    public string? AerosPath { get; init; }
    public string? OutputPath { get; init; }
    public IReadOnlyDictionary<string, string> BrokerEnvironment { get; init; } = new Dictionary<string, string>();

    public TimeSpan Duration => TimeSpan.FromSeconds(DurationSeconds);

    /// <summary>One segment of a slow/dead round.</summary>
    public TimeSpan Segment => TimeSpan.FromSeconds(SegmentSeconds);

    /// <summary>Parses <paramref name="args"/>; returns null and sets <paramref name="error"/> when they are invalid ("" for --help).</summary>
    public static NotifyLoadOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new NotifyLoadOptions();
        error = null;
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
                error = $"Option {name} needs a value.";
                return null;
            }
            var value = args[++i];
            options = name switch
            {
                "--subscriptions" => options with { Subscriptions = Int(name, value, 1, 100_000, ref error) },
                "--rate" => options with { Rate = Int(name, value, 1, 100_000, ref error) },
                "--duration" => options with { DurationSeconds = Int(name, value, 1, 3600, ref error) },
                "--concurrency" => options with { Concurrency = Int(name, value, 1, 1024, ref error) },
                "--saturation-writes" => options with { SaturationWrites = Int(name, value, 1, 100_000, ref error) },
                "--rounds" => options with { Rounds = Int(name, value, 1, 100, ref error) },
                "--segment" => options with { SegmentSeconds = Int(name, value, 1, 600, ref error) },
                "--broken" when value is "both" or "slow" or "dead" => options with { Broken = value },
                "--broken" => Unknown(options, $"--broken {value} (use both, slow or dead)", ref error),
                "--aeros" => options with { AerosPath = value },
                "--output" => options with { OutputPath = value },
                "--broker-env" when value.IndexOf('=', StringComparison.Ordinal) > 0 => options with
                {
                    BrokerEnvironment = new Dictionary<string, string>(options.BrokerEnvironment)
                    {
                        [value[..value.IndexOf('=', StringComparison.Ordinal)]] = value[(value.IndexOf('=', StringComparison.Ordinal) + 1)..],
                    },
                },
                "--broker-env" => Unknown(options, $"--broker-env {value} (use NAME=VALUE)", ref error),
                _ => Unknown(options, name, ref error),
            };
            if (error is not null)
            {
                return null;
            }
        }
        return options;
    }

    private static NotifyLoadOptions Unknown(NotifyLoadOptions options, string name, ref string? error)
    {
        error = $"Unknown option {name}.";
        return options;
    }

    private static int Int(string name, string value, int min, int max, ref string? error)
    {
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
        {
            return n;
        }
        error = $"Option {name} must be an integer between {min} and {max}, not '{value}'.";
        return 0;
    }
}
