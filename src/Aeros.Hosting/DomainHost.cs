using Aeros.Broker;
using Aeros.JsonLd;
using Aeros.Orchestration.Federation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Hosting;

/// <summary>
/// Builds a domain host: one process with the domain's NGSI-LD broker (<c>/ngsi-ld/v1</c>) and its federator
/// (<c>/federation/v1</c>), which joins the domain to the continuum.
/// </summary>
public static class DomainHost
{
    /// <summary>Configuration section bound to <see cref="FederationOptions"/> (e.g. <c>Federation__ResyncInterval=00:00:10</c>).</summary>
    public const string FederationSection = "Federation";

    /// <summary>
    /// Creates the host listening on <paramref name="urls"/> (semicolon-separated). Options come from
    /// configuration (environment variables; sections <see cref="BrokerHost.BrokerSection"/>,
    /// <see cref="BrokerHost.JsonLdSection"/>, <see cref="FederationSection"/>; then <paramref name="settings"/>,
    /// e.g. from a domain.yaml), then from the callbacks, which win. <paramref name="federationLogLevel"/> is the
    /// least level of the federator's log lines (joins, departures, unreachable domains); everything else logs
    /// warnings and errors only.
    /// </summary>
    public static WebApplication Create(string urls, Action<BrokerOptions> configureBroker, Action<FederationOptions> configureFederation,
        IEnumerable<KeyValuePair<string, string?>>? settings = null, Action<JsonLdOptions>? configureJsonLd = null,
        LogLevel federationLogLevel = LogLevel.Warning)
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
        builder.Services.AddAerosFederation(configureFederation);
        var app = builder.Build();
        app.MapAerosBroker();
        app.MapAerosFederation();
        return app;
    }
}
