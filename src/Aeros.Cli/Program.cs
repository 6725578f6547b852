using Aeros.Cli.Commands;
using System.CommandLine;

var root = new RootCommand("Aeros: the aerOS meta-OS for the IoT edge-cloud continuum.")
{
    BrokerCommand.Create(),
    UpCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
