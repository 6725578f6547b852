using System.CommandLine;
using System.Text.Json;
using Aeros.Abstractions.Continuum;
using Aeros.Cli.Client;
using Aeros.Orchestration.Blueprints;

namespace Aeros.Cli.Commands;

/// <summary><c>aeros logs COMPONENT</c>: the last lines of a component's workload, through its domain's LLO (which asks the IE's agent).</summary>
internal static class LogsCommand
{
    /// <summary>The most lines one call returns (the agent's own limit).</summary>
    public const int MaxTail = 10_000;

    public static Command Create()
    {
        var component = new Argument<string>("COMPONENT") { Description = "A component id (urn:ngsi-ld:Service:web:Component:web) or <service>/<node> (web/web)." };
        var tail = new Option<int>("--tail") { Description = $"How many of the last lines (1 to {MaxTail}).", DefaultValueFactory = _ => 100 };
        var shared = new ClientOptions();
        var command = new Command("logs", "Show the last lines of a component's workload output (stdout and stderr).") { component, tail };
        shared.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var n = parse.GetValue(tail);
            if (n is < 1 or > MaxTail)
            {
                return await ClientOutput.ErrorAsync("logs", $"--tail must be between 1 and {MaxTail} (was {n}).", ExitCodes.BadUsage);
            }
            if (!TryComponentId(parse.GetValue(component)!, out var componentId, out var error))
            {
                return await ClientOutput.ErrorAsync("logs", error, ExitCodes.BadUsage);
            }
            var target = shared.Resolve(parse);
            if (target.Error is not null)
            {
                return await ClientOutput.ErrorAsync("logs", target.Error, ExitCodes.Failure);
            }
            var (client, http) = target.CreateClient(ClientOutput.RequestTimeout);
            using (http)
            {
                try
                {
                    var logs = await client.LogsAsync(componentId, n, cancellationToken);
                    if (logs is null)
                    {
                        return await ClientOutput.ErrorAsync("logs", $"no component {componentId} with a running workload on {client.DomainUrl} (404).", ClientExitCodes.NotFound);
                    }
                    if (shared.IsJson(parse))
                    {
                        Console.WriteLine(JsonSerializer.Serialize(logs, HloClient.Json));
                        return ExitCodes.Ok;
                    }
                    foreach (var line in logs.Lines)
                    {
                        Console.WriteLine(line);
                    }
                    return ExitCodes.Ok;
                }
                catch (HloClientException e)
                {
                    return await ClientOutput.ErrorAsync("logs", e);
                }
            }
        });
        return command;
    }

    /// <summary>A component id from a URN or <c>&lt;service&gt;/&lt;node&gt;</c>.</summary>
    internal static bool TryComponentId(string text, out string componentId, out string error)
    {
        componentId = "";
        error = "";
        if (text.StartsWith("urn:", StringComparison.Ordinal))
        {
            componentId = text;
            return true;
        }
        var slash = text.LastIndexOf('/');
        if (slash <= 0 || slash == text.Length - 1)
        {
            error = $"'{text}' is neither a component id (urn:...) nor <service>/<node>.";
            return false;
        }
        if (!BlueprintMapper.TryNormalizeServiceId(text[..slash], out var serviceId, out var idError))
        {
            error = $"'{text[..slash]}' is not a service id: {idError}";
            return false;
        }
        componentId = ContinuumIds.ServiceComponent(serviceId, text[(slash + 1)..]);
        return true;
    }
}
