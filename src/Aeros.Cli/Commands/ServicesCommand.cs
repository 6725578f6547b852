using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Aeros.Cli.Client;
using Aeros.Orchestration.Blueprints;

namespace Aeros.Cli.Commands;

/// <summary><c>aeros services [ID]</c>: the services a domain's HLO knows, or one with its components and decisions.</summary>
internal static class ServicesCommand
{
    public static Command Create()
    {
        var id = new Argument<string?>("ID") { Description = "A service id (name or URN): show it with its components.", Arity = ArgumentArity.ZeroOrOne };
        var shared = new ClientOptions();
        var command = new Command("services", "List the services of a domain, or show one with each component's status, IE and placement decision.") { id };
        shared.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var json = shared.IsJson(parse);
            string? serviceId = null;
            if (parse.GetValue(id) is { } raw)
            {
                if (!BlueprintMapper.TryNormalizeServiceId(raw, out serviceId, out var idError))
                {
                    return await ClientOutput.ErrorAsync("services", $"'{raw}' is not a service id: {idError}", ExitCodes.BadUsage);
                }
            }
            var target = shared.Resolve(parse);
            if (target.Error is not null)
            {
                return await ClientOutput.ErrorAsync("services", target.Error, ExitCodes.Failure);
            }
            var (client, http) = target.CreateClient(ClientOutput.RequestTimeout);
            using (http)
            {
                try
                {
                    if (serviceId is null)
                    {
                        var list = await client.ListAsync(cancellationToken);
                        if (json)
                        {
                            Console.WriteLine(JsonSerializer.Serialize(list, HloClient.Json));
                            return ExitCodes.Ok;
                        }
                        if (list.Count == 0)
                        {
                            Console.WriteLine($"No services on {client.DomainUrl}.");
                            return ExitCodes.Ok;
                        }
                        var rows = list.Select(s => (IReadOnlyList<string>)[s.Id, s.Status ?? "", ClientOutput.ShortDomain(s.DomainHandler ?? ""),
                            s.Components.ToString(CultureInfo.InvariantCulture)]).ToList();
                        foreach (var line in ClientOutput.Table(["SERVICE", "STATUS", "DOMAIN HANDLER", "COMPONENTS"], rows))
                        {
                            Console.WriteLine(line);
                        }
                        return ExitCodes.Ok;
                    }
                    var service = await client.GetAsync(serviceId, cancellationToken);
                    if (service is null)
                    {
                        return await ClientOutput.ErrorAsync("services", $"no service {serviceId} on {client.DomainUrl} (404); 'aeros services' lists them.", ClientExitCodes.NotFound);
                    }
                    if (json)
                    {
                        Console.WriteLine(JsonSerializer.Serialize(service, HloClient.Json));
                        return ExitCodes.Ok;
                    }
                    Console.WriteLine($"Service {service.Id}: {service.ActionType ?? "?"}, handled by {ClientOutput.ShortDomain(service.DomainHandler ?? "?")}");
                    Console.WriteLine();
                    var componentRows = (service.Components ?? []).Select(c => (IReadOnlyList<string>)[c.Name ?? c.Id, c.Status ?? "", c.InfrastructureElement ?? "",
                        ClientOutput.ShortDomain(c.Domain ?? ""), c.Generation?.ToString(CultureInfo.InvariantCulture) ?? "",
                        c.Decision?.Solver ?? "", c.StatusReason ?? c.Decision?.Reason ?? ""]).ToList();
                    foreach (var line in ClientOutput.Table(["COMPONENT", "STATUS", "IE", "DOMAIN", "GEN", "SOLVER", "REASON"], componentRows))
                    {
                        Console.WriteLine(line);
                    }
                    return ExitCodes.Ok;
                }
                catch (HloClientException e)
                {
                    return await ClientOutput.ErrorAsync("services", e);
                }
            }
        });
        return command;
    }
}
