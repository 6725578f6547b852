using System.CommandLine;
using System.Text.Json;
using Aeros.Abstractions.Continuum;
using Aeros.Cli.Client;
using Aeros.Continuum;
using Aeros.Orchestration.Blueprints;

namespace Aeros.Cli.Commands;

/// <summary><c>aeros delete SERVICE</c>: asks the HLO to remove a service; with <c>--wait</c> until it and its components are gone.</summary>
internal static class DeleteCommand
{
    private static readonly TimeSpan PollPeriod = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The components of <paramref name="serviceId"/> the (federated) broker still has, as "id status": the HLO deletes
    /// the Service at once and marks its components Removing; the LLO deletes each once its workload is stopped.
    /// </summary>
    private static async Task<IReadOnlyList<string>> RemainingAsync(DomainTarget target, string serviceId, TimeProvider time, CancellationToken cancellationToken)
    {
        using var http = target.CreateHttp(ClientOutput.RequestTimeout * 2);
        var client = new ContinuumClient(http, new ContinuumClientOptions { MaxAttempts = 1, RequestTimeout = ClientOutput.RequestTimeout }, time);
        try
        {
            var components = await client.QueryAsync<ServiceComponent>($"service==\"{serviceId}\"", cancellationToken: cancellationToken);
            return [.. components.Select(c => $"{c.Id} {c.ServiceComponentStatus}")];
        }
        catch (Exception e) when (e is ContinuumClientException or HttpRequestException or Polly.Timeout.TimeoutRejectedException
            || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new HloClientException($"the broker at {target.Url} did not answer while waiting for the components to go: {e.Message}", null, e);
        }
    }

    public static Command Create()
    {
        var id = new Argument<string>("SERVICE") { Description = "The service id (name or urn:ngsi-ld:Service:<name>)." };
        var wait = new Option<bool>("--wait") { Description = "Wait until the service and its components are gone (the workloads stopped)." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait with --wait (exit 7 after).", DefaultValueFactory = _ => 60 };
        var shared = new ClientOptions();
        var command = new Command("delete", "Remove a service: its workloads are stopped and its entities deleted.") { id, wait, timeout };
        shared.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var raw = parse.GetValue(id)!;
            if (!BlueprintMapper.TryNormalizeServiceId(raw, out var serviceId, out var idError))
            {
                return await ClientOutput.ErrorAsync("delete", $"'{raw}' is not a service id: {idError}", ExitCodes.BadUsage);
            }
            var seconds = parse.GetValue(timeout);
            if (seconds is < 1 or > 3600)
            {
                return await ClientOutput.ErrorAsync("delete", $"--timeout must be between 1 and 3600 seconds (was {seconds}).", ExitCodes.BadUsage);
            }
            var target = shared.Resolve(parse);
            if (target.Error is not null)
            {
                return await ClientOutput.ErrorAsync("delete", target.Error, ExitCodes.Failure);
            }
            var json = shared.IsJson(parse);
            var (client, http) = target.CreateClient(ClientOutput.RequestTimeout);
            using (http)
            {
                try
                {
                    if (!await client.DeleteAsync(serviceId, cancellationToken))
                    {
                        return await ClientOutput.ErrorAsync("delete", $"no service {serviceId} on {client.DomainUrl} (404); 'aeros services' lists them.", ClientExitCodes.NotFound);
                    }
                    if (!json)
                    {
                        Console.WriteLine($"Deleting {serviceId} on {client.DomainUrl}.");
                    }
                    var outcome = "deleting";
                    if (parse.GetValue(wait))
                    {
                        var time = TimeProvider.System;
                        var started = time.GetTimestamp();
                        var left = await RemainingAsync(target, serviceId, time, cancellationToken);
                        while (left.Count > 0)
                        {
                            if (time.GetElapsedTime(started) >= TimeSpan.FromSeconds(seconds))
                            {
                                return await ClientOutput.ErrorAsync("delete", $"{serviceId}: {left.Count} component(s) still there after {seconds} s ({string.Join(", ", left)}).", ClientExitCodes.Timeout);
                            }
                            await Task.Delay(PollPeriod, time, cancellationToken);
                            left = await RemainingAsync(target, serviceId, time, cancellationToken);
                        }
                        outcome = "deleted";
                        if (!json)
                        {
                            Console.WriteLine($"{serviceId} and its components are gone after {time.GetElapsedTime(started).TotalSeconds:0.0} s.");
                        }
                    }
                    if (json)
                    {
                        Console.WriteLine(JsonSerializer.Serialize(new { service = serviceId, outcome }, HloClient.Json));
                    }
                    return ExitCodes.Ok;
                }
                catch (HloClientException e)
                {
                    return await ClientOutput.ErrorAsync("delete", e);
                }
            }
        });
        return command;
    }
}
