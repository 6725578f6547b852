using System.CommandLine;
using Aeros.Agent;
using Aeros.Agent.Awareness;
using Aeros.Agent.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Cli.Commands;

/// <summary>
/// <c>aeros agent</c>: runs the IE agent of this node: broker reporting, self-awareness, self-diagnose, workloads, the
/// self-API (<c>/self/v1</c>) and Prometheus <c>/metrics</c>.
/// </summary>
internal static class AgentCommand
{
    /// <summary>The <c>agent</c> subcommand of <c>aeros</c>: the agent on Kestrel.</summary>
    public static Command Create() => Configure(new Command("agent"), "aeros agent", AgentHost.CreateKestrel);

    /// <summary>
    /// Gives <paramref name="command"/> the agent's options, description and action; <paramref name="displayName"/> is
    /// how messages name the program (<c>aeros agent</c>, or <c>aeros-agent</c> for the agent-only executable), and
    /// <paramref name="createHost"/> which server carries the self-API (Kestrel, or the agent's own for
    /// <c>aeros-agent</c>, which then carries no ASP.NET Core code).
    /// </summary>
    public static Command Configure(Command command, string displayName, AgentHostFactory createHost)
    {
        var broker = new Option<string?>("--broker") { Description = "Root URL of the domain's broker, e.g. http://127.0.0.1:9090 (the NGSI-LD API is under /ngsi-ld/v1). Required (here or 'broker:' in --config)." };
        var domain = new Option<string?>("--domain") { Description = "The domain this node belongs to (letters, digits, '.', '_', '-'). Required (here or 'domain:' in --config)." };
        var ieId = new Option<string?>("--ie-id") { Description = "The node's InfrastructureElement id (a URN). Default: urn:ngsi-ld:InfrastructureElement:<domain>:<MAC of the default route's interface without colons>." };
        var urls = new Option<string?>("--urls") { Description = $"Where the self-API (/self/v1) and /metrics listen (several separated by ';'). Default {AgentHost.DefaultUrls}." };
        var config = new Option<string?>("--config") { Description = "An agent.yaml with the same settings (broker, domain, ieId, urls, stateDirectory) and the rest of the agent's options (samplingPeriod, tier, location, idleWatts, maxWatts, weights, thresholds, ...; see docs/agent.md). Command-line options win." };
        var stateDir = new Option<string?>("--state-dir") { Description = "Directory of the agent's state (created if missing); disk figures are those of its file system. Default .aeros/agent." };
        command.Description = "Run the IE agent of this node: registers the node as an InfrastructureElement in the domain broker and keeps it current, samples the node (self-awareness), scores its health (self-diagnose), runs and heals its workloads, and serves the self-API at /self/v1 (OpenAPI at /self/v1/openapi.json) and Prometheus metrics at /metrics. See docs/agent.md.";
        foreach (var option in new Option[] { broker, domain, ieId, urls, config, stateDir })
        {
            command.Options.Add(option);
        }
        command.SetAction(async (parse, cancellationToken) =>
        {
            AgentConfigFile.Contents file;
            var configPath = parse.GetValue(config);
            try
            {
                file = configPath is null ? new AgentConfigFile.Contents(null, new Dictionary<string, string?>()) : AgentConfigFile.Load(configPath);
            }
            catch (AgentConfigException e)
            {
                await Console.Error.WriteLineAsync($"{displayName}: {e.Message}");
                return ExitCodes.BadConfiguration;
            }
            var errors = new List<string>();
            var brokerText = parse.GetValue(broker) ?? Setting(file, "broker");
            Uri? brokerUri = null;
            if (string.IsNullOrWhiteSpace(brokerText))
            {
                errors.Add("--broker is required (or 'broker:' in --config).");
            }
            else if (!TryHttpUrl(brokerText, out brokerUri))
            {
                errors.Add($"--broker '{brokerText}' is not an http(s) URL.");
            }
            var domainValue = parse.GetValue(domain) ?? Setting(file, "domain");
            if (string.IsNullOrWhiteSpace(domainValue))
            {
                errors.Add("--domain is required (or 'domain:' in --config).");
            }
            else if (!AgentOptions.IsValidDomainName(domainValue))
            {
                errors.Add($"--domain '{domainValue}' is invalid: use letters, digits, '.', '_' or '-'.");
            }
            var ieIdValue = parse.GetValue(ieId);
            if (ieIdValue is not null && (!ieIdValue.StartsWith("urn:", StringComparison.Ordinal) || ieIdValue.Any(char.IsWhiteSpace)))
            {
                errors.Add($"--ie-id '{ieIdValue}' is not a URN (urn:...).");
            }
            var urlsValue = parse.GetValue(urls) ?? file.Urls ?? AgentHost.DefaultUrls;
            foreach (var url in urlsValue.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!TryHttpUrl(url, out _))
                {
                    errors.Add($"--urls '{url}' is not an http(s) URL.");
                }
            }
            if (errors.Count > 0)
            {
                foreach (var error in errors)
                {
                    await Console.Error.WriteLineAsync($"{displayName}: {error}");
                }
                await Console.Error.WriteLineAsync($"Run '{displayName} --help' to see the options.");
                return ExitCodes.BadUsage;
            }
            var stateDirValue = parse.GetValue(stateDir);
            return await RunAsync(displayName, createHost, urlsValue, file.Settings, options =>
            {
                options.Broker = brokerUri;
                options.Domain = domainValue!;
                if (ieIdValue is not null)
                {
                    options.IeId = ieIdValue;
                }
                if (stateDirValue is not null)
                {
                    options.StateDirectory = stateDirValue;
                }
            }, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(string displayName, AgentHostFactory createHost, string urls, IReadOnlyDictionary<string, string?> settings,
        Action<AgentOptions> configure, CancellationToken cancellationToken)
    {
        IAgentHost app;
        try
        {
            app = createHost(urls, configure, settings, LogLevel.Information);
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync($"{displayName}: invalid configuration:\n  " + string.Join("\n  ", e.Failures));
            return ExitCodes.BadConfiguration;
        }
        var failure = await StartAsync(displayName, app, cancellationToken);
        if (failure is not null)
        {
            await app.DisposeAsync();
            return failure.Value;
        }
        var identity = app.Services.GetRequiredService<AgentIdentity>();
        foreach (var url in app.Urls)
        {
            var root = url.TrimEnd('/');
            Console.WriteLine($"Agent {identity.IeId} (domain '{identity.Domain}', broker {identity.Broker}) listening at {root} (self-API {root}/self/v1, metrics {root}/metrics)");
        }
        Console.WriteLine("Press Ctrl-C to stop.");
        try
        {
            await app.WaitForShutdownAsync(cancellationToken);
        }
        finally
        {
            await app.DisposeAsync();
        }
        return ExitCodes.Ok;
    }

    /// <summary>Starts <paramref name="app"/>; the exit code and a one-line message when it cannot start.</summary>
    private static async Task<int?> StartAsync(string displayName, IAgentHost app, CancellationToken cancellationToken)
    {
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync($"{displayName}: invalid configuration:\n  " + string.Join("\n  ", e.Failures));
            return ExitCodes.BadConfiguration;
        }
        catch (InvalidOperationException e) when (e.InnerException is FormatException || e.Message.Contains("convert", StringComparison.OrdinalIgnoreCase))
        {
            await Console.Error.WriteLineAsync($"{displayName}: invalid configuration: {e.Message}");
            return ExitCodes.BadConfiguration;
        }
        catch (IOException e)
        {
            await Console.Error.WriteLineAsync($"{displayName}: cannot start: {e.Message}");
            return ExitCodes.Failure;
        }
        return null;
    }

    private static string? Setting(AgentConfigFile.Contents file, string key) =>
        file.Settings.TryGetValue(AgentHost.AgentSection + ":" + key, out var value) ? value : null;

    private static bool TryHttpUrl(string text, out Uri url)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var parsed) && (parsed.Scheme == Uri.UriSchemeHttp || parsed.Scheme == Uri.UriSchemeHttps)
            && parsed.Query.Length == 0 && parsed.Fragment.Length == 0)
        {
            url = parsed;
            return true;
        }
        url = null!;
        return false;
    }
}
