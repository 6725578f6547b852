using Aeros.Cli;
using Aeros.Cli.Commands;
using System.CommandLine;

var root = new RootCommand("Aeros: the aerOS meta-OS for the IoT edge-cloud continuum.")
{
    AgentCommand.Create(),
    BrokerCommand.Create(),
    GatewayCommand.Create(),
    DomainCommand.Create(),
    UpCommand.Create(),
    DownCommand.Create(),
    StatusCommand.Create(),
    DeployCommand.Create(),
    ServicesCommand.Create(),
    IeCommand.Create(),
    LogsCommand.Create(),
    DeleteCommand.Create(),
    IamCommand.Create(),
    LoginCommand.Create(),
};
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // Usage errors get their own exit code (scripts tell them from runtime failures) and go to stderr.
    foreach (var error in parse.Errors)
    {
        await Console.Error.WriteLineAsync($"aeros: {error.Message}");
    }
    await Console.Error.WriteLineAsync("Run 'aeros --help' (or 'aeros <command> --help') to see the options.");
    return ExitCodes.BadUsage;
}
// Ctrl-C/SIGTERM cancel the command's token; it gets up to a minute to stop cleanly (aeros up stops its children:
// SIGTERM, a grace, a kill) before System.CommandLine gives up on it (its default is 2 s).
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) });
