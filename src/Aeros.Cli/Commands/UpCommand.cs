using System.CommandLine;
using Aeros.Cli.LocalContinuum;
using Microsoft.Extensions.Logging;

namespace Aeros.Cli.Commands;

/// <summary>
/// <c>aeros up</c>: the main job. Starts a local continuum on loopback: N domain hosts (<c>aeros domain</c>) federated
/// through domain1 and N×M agents (<c>aeros agent</c>) as child processes, waits until all are ready, prints the
/// endpoints and runs until Ctrl-C, SIGTERM or <c>aeros down</c>. See docs/local-continuum.md.
/// </summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var domains = new Option<int>("--domains")
        {
            Description = $"Number of domains (1-{LocalContinuumOptions.MaxDomains}); domain1 is the entrypoint, the others join through it.",
            DefaultValueFactory = _ => LocalContinuumOptions.DefaultDomains,
        };
        var ies = new Option<int>("--ies-per-domain")
        {
            Description = $"Number of agents (infrastructure elements) per domain (0-{LocalContinuumOptions.MaxIesPerDomain}).",
            DefaultValueFactory = _ => LocalContinuumOptions.DefaultIesPerDomain,
        };
        var basePort = new Option<int>("--base-port")
        {
            Description = "Port of domain1 on 127.0.0.1: domain k listens at base+k-1, the agents at base+100, base+101, ... (domain by domain).",
            DefaultValueFactory = _ => LocalContinuumOptions.DefaultBasePort,
        };
        var data = new Option<string>("--data")
        {
            Description = "Directory for the continuum's data, logs (logs/<child>.log) and state file (continuum.json).",
            DefaultValueFactory = _ => LocalContinuumOptions.DefaultDataDirectory,
        };
        var timeout = new Option<double>("--timeout")
        {
            Description = "Seconds to wait until every domain is federated and every IE registered; then everything is stopped and up fails.",
            DefaultValueFactory = _ => LocalContinuumOptions.DefaultReadyTimeout.TotalSeconds,
        };
        var noSecurity = new Option<bool>("--no-security")
        {
            Description = "Run without security (security is on by default: every domain behind its gateway, the continuum's IAM in domain1 (/iam), "
                + "a client per agent and domain host, and an administrator credential for the CLI in the state file; docs/security.md). "
                + "Without it every API answers anyone on the machine without a token.",
        };
        // Security is the default now; the old opt-in flag stays accepted so scripts keep working.
        var security = new Option<bool>("--security") { Description = "Deprecated: security is on by default.", Hidden = true };
        var command = new Command("up", "Start a local continuum on loopback (domain hosts federated with each other and an agent per IE, each a child process) and run until Ctrl-C or 'aeros down'. Security is on unless --no-security. See docs/local-continuum.md.")
        {
            domains, ies, basePort, data, timeout, noSecurity, security,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var seconds = parse.GetValue(timeout);
            var options = new LocalContinuumOptions
            {
                Domains = parse.GetValue(domains),
                IesPerDomain = parse.GetValue(ies),
                BasePort = parse.GetValue(basePort),
                DataDirectory = parse.GetValue(data)!,
                Security = !parse.GetValue(noSecurity),
                ReadyTimeout = double.IsFinite(seconds) && seconds is > 0 and < 86_400 ? TimeSpan.FromSeconds(seconds) : TimeSpan.Zero,
            };
            var errors = LocalContinuumOptionsValidator.Errors(options);
            if (parse.GetValue(security) && parse.GetValue(noSecurity))
            {
                errors.Add("--security and --no-security contradict each other (security is on by default; --security is no longer needed).");
            }
            if (errors.Count > 0)
            {
                foreach (var error in errors)
                {
                    await Console.Error.WriteLineAsync($"aeros up: {error}");
                }
                await Console.Error.WriteLineAsync("Run 'aeros up --help' to see the options.");
                return ExitCodes.BadUsage;
            }
            if (parse.GetValue(security))
            {
                await Console.Error.WriteLineAsync("aeros up: --security is deprecated and has no effect: security is on by default (--no-security turns it off).");
            }
            using var logging = LoggerFactory.Create(builder => builder
                .SetMinimumLevel(LogLevel.Warning)
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
                .AddSimpleConsole(o => o.SingleLine = true));
            var host = new LocalContinuumHost(options, Console.Out, Console.Error, TimeProvider.System, logging.CreateLogger<LocalContinuumHost>());
            return await host.RunAsync(cancellationToken);
        });
        return command;
    }
}
