using Aeros.Agent;
using Aeros.Agent.Metrics;
using Aeros.Agent.SelfApi;
using Aeros.Agent.SelfApi.Transport;
using Aeros.Agent.Workloads;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.Hosting;

/// <summary>
/// Builds the IE agent's host: a slim web host (Kestrel only, no MVC, no OpenAPI library) with the agent's services,
/// the self-API (<c>/self/v1</c>), <c>/metrics</c>, the workload module (<c>/self/v1/workloads</c>, state in the agent's
/// state directory) and the broker reporter. More services and endpoints plug in through the <c>configureServices</c>
/// and <c>mapEndpoints</c> callbacks of <see cref="Create"/>.
/// </summary>
public static class AgentHost
{
    /// <summary>Configuration section bound to <see cref="AgentOptions"/> (e.g. environment variable <c>Agent__SamplingPeriod=00:00:05</c>).</summary>
    public const string AgentSection = "Agent";

    /// <summary>Where the agent listens unless told otherwise (9100, node_exporter's port: the agent is the node's exporter).</summary>
    public const string DefaultUrls = "http://127.0.0.1:9100";

    /// <summary>
    /// Creates the agent host listening on <paramref name="urls"/> (semicolon-separated). Options come from
    /// configuration (environment variables, section <see cref="AgentSection"/>; then <paramref name="settings"/>, e.g. from
    /// an agent.yaml), then from <paramref name="configure"/>, which wins. <paramref name="configureServices"/> adds more
    /// services (it runs after <c>AddAgent</c> and <c>AddAgentModules</c>, so its registrations of e.g. <c>IDiagnoseInputs</c>
/// replace the agent's);
    /// <paramref name="mapEndpoints"/> maps more endpoints after the agent's.
    /// </summary>
    public static WebApplication Create(string urls, Action<AgentOptions> configure, IEnumerable<KeyValuePair<string, string?>>? settings = null,
        Action<IServiceCollection, IConfiguration>? configureServices = null, Action<IEndpointRouteBuilder>? mapEndpoints = null,
        LogLevel agentLogLevel = LogLevel.Warning)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(urls);
        ArgumentNullException.ThrowIfNull(configure);
        // No file watcher for appsettings.json: the agent's configuration changes through PUT /self/v1/config, and a
        // watcher costs an inotify thread and memory on small nodes.
        var builder = WebApplication.CreateSlimBuilder(["--hostBuilder:reloadConfigOnChange=false"]);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }
        builder.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Aeros.Agent", agentLogLevel);
        // The CLI prints where the agent listens itself; a failed start is reported by the caller in one line.
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.Configure<AgentOptions>(builder.Configuration.GetSection(AgentSection));
        builder.Services.AddAgent(configure);
        builder.Services.AddAgentModules(builder.Configuration.GetSection(AgentSection));
        configureServices?.Invoke(builder.Services, builder.Configuration);
        var app = builder.Build();
        app.MapAgent();
        app.MapAgentModules();
        if (mapEndpoints is not null)
        {
            mapEndpoints(app);
        }
        return app;
    }

    /// <summary>
    /// <see cref="Create"/> as an <see cref="IAgentHost"/>: the agent on Kestrel and ASP.NET Core (what <c>aeros agent</c>
    /// runs; https, middleware such as authentication, more endpoints).
    /// </summary>
    public static IAgentHost CreateKestrel(string urls, Action<AgentOptions> configure, IEnumerable<KeyValuePair<string, string?>>? settings = null,
        LogLevel agentLogLevel = LogLevel.Warning) =>
        new WebApplicationAgentHost(Create(urls, configure, settings, agentLogLevel: agentLogLevel));

    /// <summary>
    /// The agent without ASP.NET Core, Kestrel or the Generic Host (what the NativeAOT <c>aeros-agent</c> runs, ADR 0018):
    /// the same services (<c>AddAgent</c>, <c>AddAgentModules</c>) and self-API routes, served by the agent's own
    /// HTTP/1.1 server (plain http; limits in <see cref="SelfApiServerOptions"/>, section <c>Agent:Server</c>).
    /// Configuration: environment variables, then <paramref name="settings"/>, then <paramref name="configure"/>.
    /// Options errors surface from <see cref="IAgentHost.StartAsync"/> as <see cref="OptionsValidationException"/>;
    /// a URL it cannot serve (https, a host name) already here.
    /// </summary>
    public static IAgentHost CreateMinimal(string urls, Action<AgentOptions> configure, IEnumerable<KeyValuePair<string, string?>>? settings = null,
        LogLevel agentLogLevel = LogLevel.Warning) =>
        CreateMinimalHost(urls, configure, settings, agentLogLevel, configureServices: null);

    /// <summary><see cref="CreateMinimal"/> with more services (tests replace inputs here).</summary>
    internal static MinimalAgentHost CreateMinimalHost(string urls, Action<AgentOptions> configure, IEnumerable<KeyValuePair<string, string?>>? settings,
        LogLevel agentLogLevel, Action<IServiceCollection, IConfiguration>? configureServices)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(urls);
        ArgumentNullException.ThrowIfNull(configure);
        var configurationBuilder = new ConfigurationBuilder().AddEnvironmentVariables();
        if (settings is not null)
        {
            configurationBuilder.AddInMemoryCollection(settings);
        }
        var configuration = configurationBuilder.Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(logging =>
        {
            logging.AddProvider(new PlainConsoleLoggerProvider());
            logging.SetMinimumLevel(LogLevel.Warning);
            logging.AddFilter("Aeros.Agent", agentLogLevel);
        });
        services.Configure<AgentOptions>(configuration.GetSection(AgentSection));
        services.AddAgent(configure);
        services.AddAgentModules(configuration.GetSection(AgentSection));
        services.AddSelfApiServer(configuration.GetSection(AgentSection + ":Server"));
        configureServices?.Invoke(services, configuration);
        return MinimalAgentHost.Create(services, urls, AgentRoutes);
    }

    /// <summary>Every route of the agent's self-API (the same list Kestrel maps through <c>MapAgent</c> and <c>MapAgentModules</c>).</summary>
    internal static IEnumerable<SelfApiRoute> AgentRoutes => [.. SelfApiEndpoints.Routes, .. PrometheusMetrics.Routes, .. WorkloadApi.Routes];
}

/// <summary>An agent.yaml was unreadable or invalid; the message names the file and the problem.</summary>
public sealed class AgentConfigException(string message, Exception? inner = null) : AerosException(message, inner);

/// <summary>
/// Reads an agent.yaml into configuration keys of the <see cref="AgentHost.AgentSection"/> section. <c>urls</c> says where
/// the agent listens; <c>server</c> holds <see cref="SelfApi.Transport.SelfApiServerOptions"/>; every other top-level key is an
/// <see cref="AgentOptions"/> property, e.g.
/// <code>
/// broker: http://127.0.0.1:9090
/// domain: upv
/// stateDirectory: /var/lib/aeros/agent
/// samplingPeriod: 00:00:02
/// tier: FarEdge
/// location: { latitude: 39.48, longitude: -0.34 }
/// idleWatts: 4
/// maxWatts: 12
/// weights: { cpu: 0.3, broker: 0 }
/// thresholds: { overloadCpu: 85 }
/// reporting: { maxInterval: 00:00:30, heartbeatPeriod: 00:00:01, cpuDelta: 5 }
/// workloads: { podmanPath: /usr/bin/podman, initialBackoff: 00:00:01 }
/// server: { maxConnections: 32 }   # aeros-agent's own HTTP/1.1 server (SelfApiServerOptions)
/// </code>
/// </summary>
public static class AgentConfigFile
{
    /// <summary>What an agent.yaml says: where to listen, and every other setting as configuration keys.</summary>
    public sealed record Contents(string? Urls, IReadOnlyDictionary<string, string?> Settings);

    /// <summary>The top-level keys an agent.yaml may have besides <c>urls</c> (the <see cref="AgentOptions"/> properties).</summary>
    public static readonly IReadOnlyList<string> Keys =
    [
        "broker", "domain", "ieId", "stateDirectory", "samplingPeriod", "historyCapacity", "location", "tier", "idleWatts", "maxWatts",
        "powerAverageWindow", "weights", "thresholds", "maintenance", "reporting", "workloads", "server",
    ];

    private static readonly Func<string, Exception?, Exception> Error = static (message, inner) => new AgentConfigException(message, inner);

    /// <summary>Reads <paramref name="path"/>; throws <see cref="AgentConfigException"/> naming what is wrong.</summary>
    public static Contents Load(string path) => Parse(YamlSettings.ReadText(path, Error), path);

    /// <summary>Parses YAML text; <paramref name="source"/> names it in error messages.</summary>
    public static Contents Parse(string text, string source)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (YamlSettings.ParseRoot(text, source, Error) is not { } root)
        {
            return new Contents(null, settings);
        }
        string? urls = null;
        foreach (var (keyNode, value) in root.Children)
        {
            var key = YamlSettings.Key(keyNode, source, Error);
            if (key.Equals("urls", StringComparison.OrdinalIgnoreCase))
            {
                urls = YamlSettings.Scalar(value, source, key, Error);
            }
            else if (Keys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                YamlSettings.Flatten(value, AgentHost.AgentSection + ":" + key, settings, source, Error);
            }
            else
            {
                throw new AgentConfigException($"{source}: unknown key '{key}' (known: urls, {string.Join(", ", Keys)}).");
            }
        }
        return new Contents(urls, settings);
    }
}
