using Aeros.Broker;
using Aeros.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using System.CommandLine;

namespace Aeros.Cli.Commands;

/// <summary><c>aeros broker</c>: runs the NGSI-LD context broker alone.</summary>
internal static class BrokerCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls")
        {
            Description = "Where the broker listens, e.g. http://127.0.0.1:9090 (several separated by ';'). The API is at /ngsi-ld/v1.",
            DefaultValueFactory = _ => "http://127.0.0.1:9090",
        };
        var store = new Option<string>("--store")
        {
            Description = "Storage engine: 'sqlite' (embedded file with write-ahead log; the default) or 'postgres' (a PostgreSQL database named by --postgres; several brokers may share it).",
            DefaultValueFactory = _ => "sqlite",
        };
        store.AcceptOnlyFromAmong("sqlite", "postgres");
        var postgres = new Option<string?>("--postgres")
        {
            Description = "PostgreSQL connection string for --store postgres, e.g. \"Host=127.0.0.1;Port=5432;Username=aeros;Password=...;Database=aeros\". The schema is created or migrated at start. Default: Broker__PostgresConnectionString.",
        };
        var data = new Option<string>("--data")
        {
            Description = "Directory for the broker's data files (created if missing).",
            DefaultValueFactory = _ => Path.Combine(".aeros", "broker"),
        };
        var noRemote = new Option<bool>("--no-remote-contexts")
        {
            Description = "Never fetch @context documents over the network (requests naming an unknown remote context get 503 LdContextNotAvailable). Only the core context and contexts hosted in the broker are used.",
        };
        var contextHosts = new Option<string[]>("--context-hosts")
        {
            Description = "Fetch remote @context documents only from these host names (repeat the option or separate with commas). Default: any host.",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("broker", "Run the NGSI-LD context broker alone (ETSI GS CIM 009). More settings through environment variables: Broker__IndexedAttributes__0=<attribute> (value index for q), Broker__PageSize, Broker__MaxPageSize, Broker__MaxRequestBodyBytes, Broker__DurableWrites, Broker__PostgresConnectionString, Broker__Postgres__ConnectTimeoutSeconds, JsonLd__RemoteFetchTimeout, JsonLd__CacheCapacity, ... (see docs/broker.md).")
        {
            urls, store, postgres, data, noRemote, contextHosts,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var urlValue = parse.GetValue(urls)!;
            var storeValue = parse.GetValue(store)!;
            var postgresValue = parse.GetValue(postgres);
            var dataValue = parse.GetValue(data)!;
            var noRemoteValue = parse.GetValue(noRemote);
            var hosts = (parse.GetValue(contextHosts) ?? [])
                .SelectMany(h => h.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            return await RunAsync(urlValue, options =>
            {
                options.Store = storeValue;
                options.DataDirectory = dataValue;
                if (postgresValue is not null)
                {
                    options.PostgresConnectionString = postgresValue;
                }
            }, "broker", cancellationToken, jsonLd =>
            {
                if (noRemoteValue)
                {
                    jsonLd.AllowRemoteContexts = false;
                }
                if (hosts.Count > 0)
                {
                    jsonLd.AllowedRemoteHosts = hosts;
                }
            });
        });
        return command;
    }

    /// <summary>Runs a broker host until Ctrl-C; prints its URL once it listens.</summary>
    internal static Task<int> RunAsync(string urls, Action<BrokerOptions> configure, string what, CancellationToken cancellationToken,
        Action<Aeros.JsonLd.JsonLdOptions>? configureJsonLd = null)
        => HostRunner.RunAsync(what, () => BrokerHost.Create(urls, configure, configureJsonLd: configureJsonLd),
            (_, url) => $"NGSI-LD broker listening at {url}/ngsi-ld/v1", cancellationToken);
}
