using Aeros.Agent.Hosting;
using Aeros.Cli;
using Aeros.Cli.Commands;
using System.CommandLine;

// aeros-agent takes exactly the options of `aeros agent` (same source): aeros-agent --broker URL --domain NAME ...
// Its self-API runs on the agent's own HTTP/1.1 server, not Kestrel: no ASP.NET Core code in the executable (ADR 0018).
var root = new RootCommand();
AgentCommand.Configure(root, "aeros-agent", AgentHost.CreateMinimal);
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
