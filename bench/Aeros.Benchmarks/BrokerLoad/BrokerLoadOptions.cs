using System.Globalization;

namespace Aeros.Benchmarks.BrokerLoad;

/// <summary>Command-line options of <c>broker-load</c>.</summary>
internal sealed record BrokerLoadOptions
{
    public const string Usage = """
        Usage: broker-load [options]

          --entities N      entities in the broker's store for the read phases (default 100000)
          --concurrency N   concurrent requests / connections (default 32)
          --duration S      seconds each measured phase may run at most (default 10)
          --batch-size N    entities per batch upsert request (default 500)
          --client KIND     load client: raw (default; HTTP/1.1 over sockets, cheap per request) or
                            httpclient (System.Net.Http.HttpClient)
          --aeros PATH      aeros.dll or apphost to start (default: src/Aeros.Cli/bin/Release/net10.0/aeros.dll
                            under the repository root; built first if missing)
          --output FILE     also write the Markdown report to FILE
          --seed N          seed of the entity generator (default 42)
          --store KIND      broker store: sqlite (default), postgres (a throwaway PostgreSQL 15 cluster with durable
                            defaults, started by the driver from /usr/lib/postgresql/15/bin) or both (one after the
                            other in this session, same phases)
          --indexed-attributes LIST
                            attributes the broker indexes (Broker__IndexedAttributes), comma-separated;
                            default hostname (the selective query's attribute); 'none' for none
        """;

    public int Entities { get; init; } = 100_000;
    public int Concurrency { get; init; } = 32;
    public int DurationSeconds { get; init; } = 10;
    public int BatchSize { get; init; } = 500;
    public string? AerosPath { get; init; }
    public string? OutputPath { get; init; }
    public int Seed { get; init; } = 42;
    public LoadClientKind Client { get; init; } = LoadClientKind.Raw;
    public IReadOnlyList<string> IndexedAttributes { get; init; } = ["hostname"];
    public IReadOnlyList<string> Stores { get; init; } = ["sqlite"];

    public TimeSpan Duration => TimeSpan.FromSeconds(DurationSeconds);

    /// <summary>Parses <paramref name="args"/>; returns null and sets <paramref name="error"/> when they are invalid.</summary>
    public static BrokerLoadOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new BrokerLoadOptions();
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
            switch (name)
            {
                case "--entities": options = options with { Entities = Int(name, value, 1, 10_000_000, ref error) }; break;
                case "--concurrency": options = options with { Concurrency = Int(name, value, 1, 1024, ref error) }; break;
                case "--duration": options = options with { DurationSeconds = Int(name, value, 1, 3600, ref error) }; break;
                case "--batch-size": options = options with { BatchSize = Int(name, value, 1, 10_000, ref error) }; break;
                case "--seed": options = options with { Seed = Int(name, value, int.MinValue, int.MaxValue, ref error) }; break;
                case "--aeros": options = options with { AerosPath = value }; break;
                case "--output": options = options with { OutputPath = value }; break;
                case "--indexed-attributes":
                    options = options with
                    {
                        IndexedAttributes = value == "none" ? [] : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                    };
                    break;
                case "--store":
                    options = options with { Stores = value == "both" ? ["sqlite", "postgres"] : [value] };
                    error = value is "sqlite" or "postgres" or "both" ? null : $"Option --store must be sqlite, postgres or both, not '{value}'.";
                    break;
                case "--client":
                    options = value switch
                    {
                        "raw" => options with { Client = LoadClientKind.Raw },
                        "httpclient" => options with { Client = LoadClientKind.HttpClient },
                        _ => options,
                    };
                    error = value is "raw" or "httpclient" ? null : $"Option --client must be raw or httpclient, not '{value}'.";
                    break;
                default: error = $"Unknown option {name}."; break;
            }
            if (error is not null)
            {
                return null;
            }
        }
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

/// <summary>Which client sends the phases' requests.</summary>
internal enum LoadClientKind
{
    /// <summary><see cref="RawHttpLoadGenerator"/>: HTTP/1.1 over sockets.</summary>
    Raw,

    /// <summary><see cref="HttpClientLoadClient"/>: <see cref="System.Net.Http.HttpClient"/>.</summary>
    HttpClient,
}
