using Aeros.Cli;
using Aeros.Cli.Commands;
using System.CommandLine;

// aeros-agent takes exactly the options of `aeros agent` (same source): aeros-agent --broker URL --domain NAME ...
var root = new RootCommand();
AgentCommand.Configure(root, "aeros-agent");
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
    {
        await Console.Error.WriteLineAsync($"aeros-agent: {error.Message}");
    }
    await Console.Error.WriteLineAsync("Run 'aeros-agent --help' to see the options.");
    return ExitCodes.BadUsage;
}
// Ctrl-C/SIGTERM cancel the agent's token; it gets time to stop its workloads' supervision cleanly.
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) });
