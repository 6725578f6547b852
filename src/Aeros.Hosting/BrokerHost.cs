using Aeros.Broker.Postgres;
using Aeros.Broker;
using Aeros.JsonLd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aeros.Hosting;

/// <summary>Builds a web host that serves the NGSI-LD broker.</summary>
public static class BrokerHost
{
    /// <summary>Configuration section bound to <see cref="BrokerOptions"/> (e.g. environment variable <c>Broker__MaxPageSize</c>).</summary>
    public const string BrokerSection = "Broker";

    /// <summary>
    /// Configuration section bound to <see cref="PostgresStoreOptions"/> (e.g. <c>Broker__Postgres__ConnectTimeoutSeconds</c>);
    /// the store itself is chosen by <c>Broker__Store=postgres</c> and <c>Broker__PostgresConnectionString</c>.
    /// </summary>
    public const string PostgresSection = "Broker:Postgres";

    /// <summary>Configuration section bound to <see cref="JsonLdOptions"/> (e.g. <c>JsonLd__AllowRemoteContexts=false</c>).</summary>
    public const string JsonLdSection = "JsonLd";

    /// <summary>
    /// Creates the host serving the broker API at <c>/ngsi-ld/v1</c> on <paramref name="urls"/>
    /// (semicolon-separated, e.g. <c>http://127.0.0.1:9090</c>). Options come from configuration (environment
    /// variables, sections <see cref="BrokerSection"/> and <see cref="JsonLdSection"/>), then from the callbacks,
    /// which win.
    /// </summary>
    public static WebApplication Create(string urls, Action<BrokerOptions> configure, string[]? args = null, Action<JsonLdOptions>? configureJsonLd = null,
        Action<ILoggingBuilder>? configureLogging = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(urls);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = WebApplication.CreateSlimBuilder(args ?? []);
        builder.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // The CLI prints where the broker listens itself; the host's own start-up lines would only repeat it.
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        // A failed start (e.g. the port is taken) is reported by the caller in one line, not as a logged stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        configureLogging?.Invoke(builder.Logging);
        builder.Services.Configure<BrokerOptions>(builder.Configuration.GetSection(BrokerSection));
        builder.Services.Configure<JsonLdOptions>(builder.Configuration.GetSection(JsonLdSection));
        if (configureJsonLd is not null)
        {
            builder.Services.Configure(configureJsonLd);
        }
        builder.Services.AddAerosBroker(configure);
        builder.Services.Configure<PostgresStoreOptions>(builder.Configuration.GetSection(PostgresSection));
        builder.Services.AddAerosPostgresStore();
        var app = builder.Build();
        app.MapAerosBroker();
        return app;
    }
}
