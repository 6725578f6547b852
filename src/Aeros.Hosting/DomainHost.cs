using Aeros.Broker.Postgres;
using Aeros.Broker;
using Aeros.Broker.Distribution;
using Aeros.Security;
using Aeros.Continuum.Security;
using Aeros.Gateway;
using Aeros.Iam;
using Aeros.JsonLd;
using Aeros.Orchestration.Federation;
using Aeros.Orchestration.Hlo;
using Aeros.Orchestration.Llo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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

    /// <summary>Configuration section bound to <see cref="DomainSecurityOptions"/> (e.g. <c>Security__Enabled=true</c>).</summary>
    public const string SecuritySection = "Security";

    /// <summary>
    /// The URLs clients use: the gateway's when security is on (<see cref="DomainSecurityOptions"/>), else where the host
    /// listens. Call after the host started.
    /// </summary>
    public static IReadOnlyList<string> PublicUrls(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetService<SecureFront>() is { } front ? front.Urls : [.. app.Urls];
    }

    /// <summary>
    /// Creates the host listening on <paramref name="urls"/> (semicolon-separated). Options come from
    /// configuration (environment variables; sections <see cref="BrokerHost.BrokerSection"/>,
    /// <see cref="BrokerHost.JsonLdSection"/>, <see cref="FederationSection"/>; then <paramref name="settings"/>,
    /// e.g. from a domain.yaml), then from the callbacks, which win. With <see cref="SecuritySection"/> enabled (or
    /// <paramref name="configureSecurity"/>), <paramref name="urls"/> serve the domain's gateway and the APIs listen on
    /// <see cref="DomainSecurityOptions.InternalUrl"/> behind it; invalid security settings throw
    /// <see cref="OptionsValidationException"/> listing every error. <paramref name="federationLogLevel"/> is the
    /// least level of the federator's log lines (joins, departures, unreachable domains); everything else logs
    /// warnings and errors only (the LLO's lines are in the same category). <paramref name="configureLlo"/> adjusts the
    /// LLO (section <see cref="LloSection"/>); <paramref name="configureServices"/> adds services before the LLO's, e.g.
    /// an <see cref="IComponentReplacer"/>.
    /// </summary>
    public static WebApplication Create(string urls, Action<BrokerOptions> configureBroker, Action<FederationOptions> configureFederation,
        IEnumerable<KeyValuePair<string, string?>>? settings = null, Action<JsonLdOptions>? configureJsonLd = null,
        LogLevel federationLogLevel = LogLevel.Warning, Action<LloOptions>? configureLlo = null, Action<IServiceCollection>? configureServices = null,
        Action<DomainSecurityOptions>? configureSecurity = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(urls);
        ArgumentNullException.ThrowIfNull(configureBroker);
        ArgumentNullException.ThrowIfNull(configureFederation);
        var builder = WebApplication.CreateSlimBuilder([]);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }
        var publicUrls = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var security = builder.Configuration.GetSection(SecuritySection).Get<DomainSecurityOptions>() ?? new DomainSecurityOptions();
        configureSecurity?.Invoke(security);
        if (security.Validate() is { Count: > 0 } securityErrors)
        {
            throw new OptionsValidationException(SecuritySection, typeof(DomainSecurityOptions), securityErrors);
        }
        builder.WebHost.UseUrls(security.Enabled ? [LoopbackPorts.Resolve(security.InternalUrl).AbsoluteUri.TrimEnd('/')] : publicUrls);
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
        if (security.Enabled)
        {
            AddSecurity(builder, security, publicUrls);
        }
        var app = builder.Build();
        app.MapAerosBroker();
        app.MapAerosFederation();
        app.MapAerosLlo();
        app.MapAerosHlo();
        if (security.EmbeddedIam && security.Enabled)
        {
            app.MapAerosIam();
        }
        return app;
    }

    /// <summary>
    /// The secure front (ADR 0012): the gateway on the public URLs, the IAM when embedded, and the domain's credential on
    /// every call to another domain (hand-offs, federation, distributed operations). Calls inside the process use the
    /// internal URL and carry no token.
    /// </summary>
    private static void AddSecurity(WebApplicationBuilder builder, DomainSecurityOptions security, string[] publicUrls)
    {
        // Ports are fixed now: the federator advertises the public URL and the gateway needs the internal one.
        var fixedPublic = publicUrls.Select(u => LoopbackPorts.Resolve(new Uri(u)).AbsoluteUri.TrimEnd('/')).ToArray();
        var publicRoot = new Uri(fixedPublic[0] + "/");
        var internalRoot = new Uri(builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey)!.Split(';')[0].TrimEnd('/') + "/");
        builder.Services.PostConfigure<FederationOptions>(f => f.PublicUrl ??= publicRoot);
        var issuer = security.Issuer ?? new Uri(publicRoot, "iam/");
        if (security.EmbeddedIam)
        {
            builder.Services.Configure<IamOptions>(builder.Configuration.GetSection(IamHost.IamSection));
            builder.Services.AddAerosIam(iam => iam.Issuer ??= issuer);
            // EF Core logs each failed command with its SQL at Error; the IAM reports its own failures.
            builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Critical);
        }
        var client = security.Client;
        builder.Services.AddClientCredentials(c =>
        {
            c.TokenUrl = client.TokenUrl ?? new Uri(issuer, "connect/token");
            c.ClientId = client.ClientId;
            c.ClientSecret = client.ClientSecret;
            c.Scope = client.Scope;
            c.RefreshBeforeExpiry = client.RefreshBeforeExpiry;
            c.RequestTimeout = client.RequestTimeout;
        });
        // The domain's token goes to the continuum's domains only (its own URLs, its peers, Security:ContinuumUrls),
        // never to a URL read from data: a registration or Domain entity anyone with write access may create.
        builder.Services.AddOptions<DistributionOptions>().PostConfigure<IOptions<FederationOptions>>((distribution, federation) =>
        {
            var own = fixedPublic.Select(u => new Uri(u)).ToList();
            if (federation.Value.PublicUrl is { } advertised)
            {
                own.Insert(0, advertised);
            }
            foreach (var url in own.Concat(federation.Value.Peers).Concat(security.ContinuumUrls))
            {
                distribution.TokenRecipients.Add(url);
            }
        });
        static TokenRecipients Recipients(IServiceProvider sp) => new(sp.GetRequiredService<IOptions<DistributionOptions>>().Value.TokenRecipients);
        builder.Services.AddHttpClient(HloServiceCollectionExtensions.HandoffHttpClientName).AddClientCredentialsToken(Recipients);
        builder.Services.AddHttpClient(FederationServiceCollectionExtensions.PeerHttpClientName).AddClientCredentialsToken(Recipients);
        // Agents that check tokens get the domain's token from the LLO; only the configured agent URLs, never a
        // selfApiUrl read from the broker (ADR 0014, 0016).
        var agentRecipients = new TokenRecipients(security.AgentUrls);
        builder.Services.AddHttpClient(LloServiceCollectionExtensions.AgentHttpClientName).AddClientCredentialsToken(_ => agentRecipients);
        var gatewaySettings = builder.Configuration.GetSection(GatewayHost.GatewaySection).AsEnumerable()
            .Where(kv => kv.Value is not null).ToList();
        builder.Services.AddSingleton(sp => new SecureFront(fixedPublic, gatewaySettings, gateway =>
            {
                var federation = sp.GetRequiredService<IOptions<FederationOptions>>().Value;
                gateway.DomainName ??= federation.DomainName;
                foreach (var backend in new[] { gateway.Broker, gateway.Hlo, gateway.Llo, gateway.Federation, gateway.Iam })
                {
                    if (backend.Destinations.Count == 0)
                    {
                        backend.Destinations.Add(internalRoot);
                    }
                }
                if (!gateway.Issuers.Any(i => string.Equals(i.Issuer, issuer.AbsoluteUri, StringComparison.Ordinal)))
                {
                    // The embedded IAM's keys are read inside the process, not through the gateway itself.
                    gateway.Issuers.Add(new TrustedIssuerOptions
                    {
                        Issuer = issuer.AbsoluteUri,
                        JwksUri = security.EmbeddedIam ? new Uri(internalRoot, "iam/.well-known/jwks") : null,
                    });
                }
            },
            sp.GetRequiredService<IServer>(), sp.GetRequiredService<ILogger<SecureFront>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SecureFront>());
    }
}
