using Aeros.Broker.Postgres;
using Aeros.Broker;
using Aeros.JsonLd;
using Aeros.Orchestration.Federation;
using Aeros.Orchestration.Hlo;
using Aeros.Orchestration.Llo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Hosting;

/// <summary>
/// Builds a domain host: one process with the domain's NGSI-LD broker (<c>/ngsi-ld/v1</c>), its federator
/// (<c>/federation/v1</c>), which joins the domain to the continuum, its High-Level Orchestrator (<c>/hlo/v1</c>), which
/// places services, and its Low-Level Orchestrator (<c>/llo/v1</c>), which runs the domain's components on its elements' agents.
/// </summary>
public static class DomainHost
{
    /// <summary>Configuration section bound to <see cref="FederationOptions"/> (e.g. <c>Federation__ResyncInterval=00:00:10</c>).</summary>
    public const string FederationSection = "Federation";

    /// <summary>Configuration section bound to <see cref="LloOptions"/> (e.g. <c>Llo__HeartbeatGrace=00:00:03</c>).</summary>
    public const string LloSection = "Llo";

    /// <summary>Configuration section bound to <see cref="HloOptions"/> (e.g. <c>Hlo__QueueConcurrency=2</c>).</summary>
    public const string HloSection = "Hlo";

    /// <summary>
    /// Creates the host listening on <paramref name="urls"/> (semicolon-separated). Options come from
    /// configuration (environment variables; sections <see cref="BrokerHost.BrokerSection"/>,
    /// <see cref="BrokerHost.JsonLdSection"/>, <see cref="FederationSection"/>; then <paramref name="settings"/>,
    /// e.g. from a domain.yaml), then from the callbacks, which win. <paramref name="federationLogLevel"/> is the
    /// least level of the federator's log lines (joins, departures, unreachable domains); everything else logs
    /// warnings and errors only (the LLO's lines are in the same category). <paramref name="configureLlo"/> adjusts the
    /// LLO (section <see cref="LloSection"/>); <paramref name="configureServices"/> adds services before the LLO's, e.g.
    /// an <see cref="IComponentReplacer"/>.
    /// </summary>
    public static WebApplication Create(string urls, Action<BrokerOptions> configureBroker, Action<FederationOptions> configureFederation,
        IEnumerable<KeyValuePair<string, string?>>? settings = null, Action<JsonLdOptions>? configureJsonLd = null,
        LogLevel federationLogLevel = LogLevel.Warning, Action<LloOptions>? configureLlo = null, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(urls);
        ArgumentNullException.ThrowIfNull(configureBroker);
        ArgumentNullException.ThrowIfNull(configureFederation);
        var builder = WebApplication.CreateSlimBuilder([]);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }
        builder.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Joins, departures and unreachable domains are what an operator watches a domain host for.
        builder.Logging.AddFilter("Aeros.Orchestration", federationLogLevel);
        // The CLI prints where the domain listens itself; a failed start is reported by the caller in one line.
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.Configure<BrokerOptions>(builder.Configuration.GetSection(BrokerHost.BrokerSection));
        builder.Services.Configure<JsonLdOptions>(builder.Configuration.GetSection(BrokerHost.JsonLdSection));
        builder.Services.Configure<FederationOptions>(builder.Configuration.GetSection(FederationSection));
        if (configureJsonLd is not null)
        {
            builder.Services.Configure(configureJsonLd);
        }
        builder.Services.AddAerosBroker(configureBroker);
        builder.Services.Configure<PostgresStoreOptions>(builder.Configuration.GetSection(BrokerHost.PostgresSection));
        builder.Services.AddAerosPostgresStore();
        builder.Services.AddAerosFederation(configureFederation);
        builder.Services.Configure<LloOptions>(builder.Configuration.GetSection(LloSection));
        configureServices?.Invoke(builder.Services);
        // The HLO before the LLO: its failover replacer replaces the LLO's default.
        builder.Services.Configure<HloOptions>(builder.Configuration.GetSection(HloSection));
        builder.Services.AddAerosHlo();
        builder.Services.AddAerosLlo(configureLlo);
        var app = builder.Build();
        app.MapAerosBroker();
        app.MapAerosFederation();
        app.MapAerosLlo();
        app.MapAerosHlo();
        return app;
    }
}
