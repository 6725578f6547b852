using System.CommandLine;

namespace Aeros.Cli.Commands;

/// <summary>
/// <c>aeros up</c>: starts a local continuum on loopback. At this stage: one domain host with the broker on the
/// embedded store.
/// </summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port")
        {
            Description = "Port of the first domain host on 127.0.0.1.",
            DefaultValueFactory = _ => 9090,
        };
        var data = new Option<string>("--data")
        {
            Description = "Directory for the continuum's data (each domain gets a folder inside).",
            DefaultValueFactory = _ => ".aeros",
        };
        var command = new Command("up", "Start a local continuum on loopback (one domain host with its broker) and run until Ctrl-C.") { port, data };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var portValue = parse.GetValue(port);
            if (portValue is < 1 or > 65535)
            {
                await Console.Error.WriteLineAsync("aeros up: --port must be between 1 and 65535.");
                return ExitCodes.BadUsage;
            }
            var dataValue = parse.GetValue(data)!;
            Console.WriteLine($"Starting domain 'domain1' (data in {Path.GetFullPath(Path.Combine(dataValue, "domain1"))})");
            return await BrokerCommand.RunAsync($"http://127.0.0.1:{portValue}", options =>
            {
                options.DataDirectory = Path.Combine(dataValue, "domain1", "broker");
            }, "up", cancellationToken);
        });
        return command;
    }
}
