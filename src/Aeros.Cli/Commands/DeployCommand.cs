using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Cli.Client;
using Aeros.Orchestration.Blueprints;

namespace Aeros.Cli.Commands;

/// <summary>
/// <c>aeros deploy FILE</c>: checks the blueprint locally (errors as <c>file:line:col: message</c>), submits it to the
/// domain's HLO and, with <c>--wait</c> (the default), shows every component's status changes, chosen IE and decision
/// until all are Running (exit 0), one is Failed (exit 1) or <c>--timeout</c> passes (exit 7).
/// </summary>
internal static class DeployCommand
{
    private static readonly TimeSpan PollPeriod = TimeSpan.FromMilliseconds(250);

    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "The TOSCA blueprint (YAML or JSON), e.g. samples/blueprints/hello-web.yaml." };
        var id = new Option<string?>("--id") { Description = "The service id (a name or urn:ngsi-ld:Service:<name>); default: the file name without its extension." };
        var wait = new Option<bool>("--wait") { Description = "Wait until every component is Running or one Failed (the default)." };
        var noWait = new Option<bool>("--no-wait") { Description = "Return once the HLO accepted the service." };
        var timeout = new Option<int>("--timeout")
        {
            Description = "Seconds to wait for Running before giving up (exit 7).",
            DefaultValueFactory = _ => 120,
        };
        var replace = new Option<bool>("--replace") { Description = "PUT the blueprint over an existing service (re-allocates) instead of POSTing a new one." };
        var shared = new ClientOptions();
        var command = new Command("deploy", "Submit a blueprint to a domain's HLO and show progress until every component runs (or why not).")
        {
            file, id, wait, noWait, timeout, replace,
        };
        shared.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var json = shared.IsJson(parse);
            var path = parse.GetValue(file)!;
            var seconds = parse.GetValue(timeout);
            if (seconds is < 1 or > 3600)
            {
                return await ClientOutput.ErrorAsync("deploy", $"--timeout must be between 1 and 3600 seconds (was {seconds}).", ExitCodes.BadUsage);
            }
            if (parse.GetValue(wait) && parse.GetValue(noWait))
            {
                return await ClientOutput.ErrorAsync("deploy", "--wait and --no-wait exclude each other.", ExitCodes.BadUsage);
            }
            string text;
            try
            {
                text = await File.ReadAllTextAsync(path, cancellationToken);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return await ClientOutput.ErrorAsync("deploy", $"{path}: no such file.", ClientExitCodes.InvalidInput);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return await ClientOutput.ErrorAsync("deploy", $"{path}: {e.Message}", ClientExitCodes.InvalidInput);
            }
            var rawId = parse.GetValue(id) ?? Path.GetFileNameWithoutExtension(path);
            if (!BlueprintMapper.TryNormalizeServiceId(rawId, out var serviceId, out var idError))
            {
                return await ClientOutput.ErrorAsync("deploy", $"service id '{rawId}': {idError} Choose one with --id.", ExitCodes.BadUsage);
            }
            // Checked here first so a bad file is reported without a running continuum, with the file's name.
            var local = BlueprintParser.Parse(text);
            if (!local.IsValid)
            {
                var errors = local.Errors.Select(e => new HloValidationError(e.Line, e.Column, e.Path, e.Message)).ToList();
                return await InvalidAsync(path, errors, json);
            }
            var target = shared.Resolve(parse);
            if (target.Error is not null)
            {
                return await ClientOutput.ErrorAsync("deploy", target.Error, ExitCodes.Failure);
            }
            var (client, http) = target.CreateClient(ClientOutput.RequestTimeout);
            using (http)
            {
                try
                {
                    var submitted = await client.SubmitAsync(serviceId, text, parse.GetValue(replace), cancellationToken);
                    if (submitted.Status == 400)
                    {
                        return await InvalidAsync(path, submitted.Errors, json, submitted.Detail);
                    }
                    if (submitted.Status == 409)
                    {
                        return await ClientOutput.ErrorAsync("deploy", $"service {serviceId} already exists ({submitted.Detail}); delete it first or use --replace.", ClientExitCodes.Conflict);
                    }
                    if (submitted.Status == 404)
                    {
                        return await ClientOutput.ErrorAsync("deploy", $"service {serviceId} does not exist ({submitted.Detail}).", ClientExitCodes.NotFound);
                    }
                    if (!submitted.Accepted)
                    {
                        return await ClientOutput.ErrorAsync("deploy", $"the HLO refused service {serviceId} ({submitted.Status}): {submitted.Detail}", ExitCodes.Failure);
                    }
                    if (!json)
                    {
                        Console.WriteLine($"Submitted {serviceId} to {client.DomainUrl}.");
                    }
                    if (parse.GetValue(noWait))
                    {
                        if (json)
                        {
                            Console.WriteLine(JsonSerializer.Serialize(new { service = serviceId, outcome = "accepted", status = submitted.ServiceStatus }, HloClient.Json));
                        }
                        return ExitCodes.Ok;
                    }
                    return await WaitAsync(client, serviceId, TimeSpan.FromSeconds(seconds), json, TimeProvider.System, cancellationToken);
                }
                catch (HloClientException e)
                {
                    return await ClientOutput.ErrorAsync("deploy", e);
                }
            }
        });
        return command;
    }

    private static async Task<int> InvalidAsync(string path, IReadOnlyList<HloValidationError> errors, bool json, string? detail = null)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { file = path, outcome = "invalid", errors }, HloClient.Json));
            return ClientExitCodes.InvalidInput;
        }
        if (errors.Count == 0)
        {
            await Console.Error.WriteLineAsync($"{path}: {detail ?? "the blueprint is invalid"}");
        }
        foreach (var e in errors)
        {
            var where = string.IsNullOrEmpty(e.Path) ? "" : e.Path + ": ";
            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{path}:{e.Line}:{e.Column}: {where}{e.Message}"));
        }
        await Console.Error.WriteLineAsync($"aeros deploy: {path} has {errors.Count} error(s); nothing was deployed.");
        return ClientExitCodes.InvalidInput;
    }

    /// <summary>Polls the service until every component runs, one failed, or the time is up; prints each change.</summary>
    private static async Task<int> WaitAsync(HloClient client, string serviceId, TimeSpan timeout, bool json, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var events = new JsonArray();
        HloService? service = null;
        var notFoundPolls = 0;
        while (true)
        {
            service = await client.GetAsync(serviceId, cancellationToken);
            if (service is null)
            {
                // A service handed to another domain may be briefly unknown; give up only after it stays unknown.
                if (++notFoundPolls >= 20)
                {
                    return await ClientOutput.ErrorAsync("deploy", $"service {serviceId} disappeared from {client.DomainUrl} (404).", ClientExitCodes.NotFound);
                }
            }
            else
            {
                notFoundPolls = 0;
                var elapsed = time.GetElapsedTime(started);
                foreach (var c in service.Components ?? [])
                {
                    var key = $"{c.Status}|{c.InfrastructureElement}|{c.Generation}|{c.StatusReason}";
                    if (seen.TryGetValue(c.Id, out var last) && last == key)
                    {
                        continue;
                    }
                    seen[c.Id] = key;
                    events.Add(new JsonObject
                    {
                        ["afterSeconds"] = Math.Round(elapsed.TotalSeconds, 2),
                        ["component"] = c.Id,
                        ["status"] = c.Status,
                        ["infrastructureElement"] = c.InfrastructureElement,
                        ["domain"] = c.Domain,
                        ["generation"] = c.Generation,
                        ["statusReason"] = c.StatusReason,
                        ["decision"] = c.Decision?.Reason,
                    });
                    if (!json)
                    {
                        Console.WriteLine(ClientOutput.Progress(elapsed, c));
                    }
                }
                var components = service.Components ?? [];
                if (components.FirstOrDefault(c => c.IsFailed) is { } failed)
                {
                    return await FinishAsync(json, service, events, "failed", ExitCodes.Failure,
                        $"component {failed.Name ?? failed.Id} failed: {failed.StatusReason ?? failed.Decision?.Reason ?? "no reason given"}");
                }
                if (components.Count > 0 && components.All(c => c.IsRunning))
                {
                    if (!json)
                    {
                        Console.WriteLine($"{serviceId}: all {components.Count} component(s) Running after {time.GetElapsedTime(started).TotalSeconds:0.0} s.");
                    }
                    return await FinishAsync(json, service, events, "running", ExitCodes.Ok, null);
                }
            }
            if (time.GetElapsedTime(started) >= timeout)
            {
                return await FinishAsync(json, service, events, "timeout", ClientExitCodes.Timeout,
                    $"not every component of {serviceId} is Running after {timeout.TotalSeconds:0} s; see 'aeros services {serviceId}'.");
            }
            await Task.Delay(PollPeriod, time, cancellationToken);
        }
    }

    private static async Task<int> FinishAsync(bool json, HloService? service, JsonArray events, string outcome, int code, string? error)
    {
        if (json)
        {
            Console.WriteLine(new JsonObject
            {
                ["service"] = service is null ? null : JsonSerializer.SerializeToNode(service, HloClient.Json),
                ["outcome"] = outcome,
                ["error"] = error,
                ["events"] = events,
            }.ToJsonString(HloClient.Json));
        }
        if (error is not null)
        {
            await Console.Error.WriteLineAsync($"aeros deploy: {error}");
        }
        return code;
    }
}
