using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Aeros.Abstractions.Continuum;
using Aeros.Cli.Client;
using Aeros.Continuum;

namespace Aeros.Cli.Commands;

/// <summary>One row of <c>aeros ie list</c> (also its <c>--output json</c> shape).</summary>
/// <param name="Id">InfrastructureElement id.</param>
/// <param name="Domain">Its domain's name.</param>
/// <param name="Status"><c>infrastructureElementStatus</c>.</param>
/// <param name="HealthScore">Health in [0, 1].</param>
/// <param name="CpuUsagePercent"><c>currentCpuUsage</c> (%).</param>
/// <param name="AvailableRamMb"><c>availableRam</c> (MB).</param>
/// <param name="HeartbeatAgeSeconds">Seconds since its agent last reported.</param>
/// <param name="Reachable">The LLO's verdict (false once its heartbeat is missing past the grace).</param>
/// <param name="SelfApiUrl">Its agent's self-API root.</param>
public sealed record IeListEntry(string Id, string? Domain, string? Status, double? HealthScore, double? CpuUsagePercent, double? AvailableRamMb,
    double? HeartbeatAgeSeconds, bool? Reachable, string? SelfApiUrl);

/// <summary><c>aeros ie list</c>: the infrastructure elements of the continuum as the domain's (federated) broker sees them.</summary>
internal static class IeCommand
{
    public static Command Create()
    {
        var shared = new ClientOptions();
        var list = new Command("list", "List the IEs of the continuum: id, domain, status, health, CPU %, free RAM, heartbeat age, reachable.");
        shared.AddTo(list);
        list.SetAction(async (parse, cancellationToken) =>
        {
            var target = shared.Resolve(parse);
            if (target.Error is not null)
            {
                return await ClientOutput.ErrorAsync("ie list", target.Error, ExitCodes.Failure);
            }
            var time = TimeProvider.System;
            using var http = target.CreateHttp(ClientOutput.RequestTimeout * 2);
            var client = new ContinuumClient(http, new ContinuumClientOptions { MaxAttempts = 1, RequestTimeout = ClientOutput.RequestTimeout }, time);
            IReadOnlyList<InfrastructureElement> elements;
            try
            {
                elements = await client.QueryAsync<InfrastructureElement>(cancellationToken: cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or Polly.Timeout.TimeoutRejectedException
                || (e is ContinuumClientException { Status: null })
                || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return await ClientOutput.ErrorAsync("ie list", $"the domain host at {target.Url} is not reachable ({e.Message}); is it running ('aeros status')?", ClientExitCodes.Unreachable);
            }
            catch (ContinuumClientException e)
            {
                return await ClientOutput.ErrorAsync("ie list", $"the broker at {target.Url} refused the query: {e.Message}", ExitCodes.Failure);
            }
            var now = time.GetUtcNow();
            var entries = elements.OrderBy(e => e.Id, StringComparer.Ordinal).Select(e => new IeListEntry(e.Id,
                e.Domain is null ? null : ClientOutput.ShortDomain(e.Domain), e.InfrastructureElementStatus?.ToString(), e.HealthScore, e.CurrentCpuUsage,
                e.AvailableRam, e.Heartbeat is { } beat ? Math.Round((now - beat).TotalSeconds, 1) : null, e.Reachable, e.SelfApiUrl)).ToList();
            if (shared.IsJson(parse))
            {
                Console.WriteLine(JsonSerializer.Serialize(entries, HloClient.Json));
                return ExitCodes.Ok;
            }
            if (entries.Count == 0)
            {
                Console.WriteLine($"No infrastructure elements on {target.Url}.");
                return ExitCodes.Ok;
            }
            var inv = CultureInfo.InvariantCulture;
            var rows = entries.Select(e => (IReadOnlyList<string>)[e.Id, e.Domain ?? "", e.Status ?? "", e.HealthScore?.ToString("0.00", inv) ?? "",
                e.CpuUsagePercent?.ToString("0.0", inv) ?? "", e.AvailableRamMb?.ToString("0", inv) ?? "",
                e.HeartbeatAgeSeconds?.ToString("0.0", inv) ?? "", e.Reachable switch { true => "yes", false => "NO", null => "" }]).ToList();
            foreach (var line in ClientOutput.Table(["IE", "DOMAIN", "STATUS", "HEALTH", "CPU %", "FREE RAM MB", "HEARTBEAT AGE S", "REACHABLE"], rows))
            {
                Console.WriteLine(line);
            }
            return ExitCodes.Ok;
        });
        return new Command("ie", "Infrastructure elements of the continuum.") { list };
    }
}
