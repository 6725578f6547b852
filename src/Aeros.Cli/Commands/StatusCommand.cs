using System.CommandLine;
using System.Text.Json;
using Aeros.Cli.LocalContinuum;

namespace Aeros.Cli.Commands;

/// <summary>
/// <c>aeros status</c>: the domains of the local continuum (or of the continuum one domain at <c>--url</c> belongs to)
/// with their endpoints and whether they answer, and the IEs with their agent, process and status in the broker.
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data")
        {
            Description = "The data directory of the continuum started by 'aeros up' (its state file names the domains and agents).",
            DefaultValueFactory = _ => LocalContinuumOptions.DefaultDataDirectory,
        };
        var url = new Option<string?>("--url") { Description = "Ask the domain host at this URL directly instead (no state file needed): it, the domains it federates with, and every IE its broker sees." };
        var output = new Option<string>("--output")
        {
            Description = "table (for people) or json (for scripts; shape in docs/local-continuum.md).",
            DefaultValueFactory = _ => "table",
        };
        output.AcceptOnlyFromAmong("table", "json");
        var command = new Command("status", "Show the continuum: domains (endpoints, up or not, federation) and IEs (agent URL, pid, status, health, heartbeat age).") { data, url, output };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var time = TimeProvider.System;
            ContinuumStatusReport report;
            if (parse.GetValue(url) is { } urlText)
            {
                if (!Uri.TryCreate(urlText, UriKind.Absolute, out var domainUrl) || domainUrl.Scheme is not ("http" or "https"))
                {
                    await Console.Error.WriteLineAsync($"aeros status: --url '{urlText}' is not an http(s) URL.");
                    return ExitCodes.BadUsage;
                }
                Client.CliLogin? login;
                try
                {
                    login = Client.CliCredentials.ReadLogin(parse.GetValue(data)!);
                }
                catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    await Console.Error.WriteLineAsync($"aeros status: {e.Message}");
                    return ExitCodes.Failure;
                }
                report = await ContinuumStatusReader.FromUrlAsync(domainUrl, time, cancellationToken, login, Client.CliCredentials.LoginFile(parse.GetValue(data)!));
            }
            else
            {
                var directory = Path.GetFullPath(parse.GetValue(data)!);
                ContinuumState? state;
                try
                {
                    state = ContinuumStateFile.Read(directory);
                }
                catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    await Console.Error.WriteLineAsync($"aeros status: {e.Message}");
                    return ExitCodes.Failure;
                }
                if (state is null)
                {
                    await Console.Error.WriteLineAsync($"aeros status: no local continuum is running on {directory} (no continuum.json); start one with 'aeros up' or ask a domain with --url.");
                    return ExitCodes.Failure;
                }
                report = await ContinuumStatusReader.FromStateAsync(state, time, cancellationToken);
            }
            if (parse.GetValue(output) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(report, ContinuumStateFile.Json));
                return ExitCodes.Ok;
            }
            if (report.UpPid is { } upPid)
            {
                Console.WriteLine($"Local continuum on {report.DataDirectory}: aeros up pid {upPid}{(report.UpAlive == true ? "" : " (gone)")}");
                Console.WriteLine();
            }
            foreach (var line in EndpointTable.Render(report))
            {
                Console.WriteLine(line);
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
