using System.Net;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;
using Aeros.Continuum;

namespace Aeros.Cli.LocalContinuum;

/// <summary>
/// What <c>aeros status</c> reports (also its <c>--output json</c> shape, documented in docs/local-continuum.md).
/// </summary>
/// <param name="Source"><c>state</c> (read from a running <c>aeros up</c>'s state file) or <c>url</c> (one domain asked directly).</param>
/// <param name="DataDirectory">The data directory of the continuum (null for <c>url</c>).</param>
/// <param name="UpPid">The <c>aeros up</c> process (null for <c>url</c>).</param>
/// <param name="UpAlive">Whether it still runs (null for <c>url</c>).</param>
/// <param name="Domains">The domains.</param>
/// <param name="Ies">The infrastructure elements: those of the state file and every other one the domains' brokers know.</param>
public sealed record ContinuumStatusReport(string Source, string? DataDirectory, int? UpPid, bool? UpAlive,
    IReadOnlyList<DomainStatusReport> Domains, IReadOnlyList<IeStatusReport> Ies);

/// <summary>One domain in <see cref="ContinuumStatusReport"/>.</summary>
/// <param name="Name">Domain name (null when asked by URL and it does not answer).</param>
/// <param name="Url">Root URL of the domain host.</param>
/// <param name="BrokerUrl">NGSI-LD API base.</param>
/// <param name="FederationUrl">Federation API base.</param>
/// <param name="Pid">Process id when started by <c>aeros up</c>.</param>
/// <param name="Alive">Whether that process runs (null when not started by <c>aeros up</c>).</param>
/// <param name="Up">Whether the domain answered just now.</param>
/// <param name="FederatedWith">The other domains it is in sync with (its federator's view).</param>
public sealed record DomainStatusReport(string? Name, string Url, string BrokerUrl, string FederationUrl, int? Pid, bool? Alive, bool Up,
    IReadOnlyList<string> FederatedWith);

/// <summary>One infrastructure element in <see cref="ContinuumStatusReport"/>.</summary>
/// <param name="Id">InfrastructureElement id.</param>
/// <param name="Domain">Its domain's name.</param>
/// <param name="AgentUrl">Its agent's root URL (self-API under <c>/self/v1</c>).</param>
/// <param name="Pid">The agent's process id when started by <c>aeros up</c>.</param>
/// <param name="Alive">Whether that process runs (null when not started by <c>aeros up</c>).</param>
/// <param name="Status"><c>infrastructureElementStatus</c> from the broker (e.g. <c>Ready</c>), null when the broker has no entity.</param>
/// <param name="HealthScore"><c>healthScore</c> in [0, 1].</param>
/// <param name="Heartbeat">When its agent last reported.</param>
/// <param name="HeartbeatAgeSeconds">Age of <paramref name="Heartbeat"/> now, in seconds.</param>
public sealed record IeStatusReport(string Id, string? Domain, string? AgentUrl, int? Pid, bool? Alive, string? Status, double? HealthScore,
    DateTimeOffset? Heartbeat, double? HeartbeatAgeSeconds);

/// <summary>Builds a <see cref="ContinuumStatusReport"/> by asking the domains now.</summary>
internal static class ContinuumStatusReader
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The status of the continuum in <paramref name="state"/>.</summary>
    public static async Task<ContinuumStatusReport> FromStateAsync(ContinuumState state, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        // The state file's own domains are the only recipients of its credential.
        using var handler = Client.CliCredentials.Handler(Client.CliLogin.From(state.Security), null, state.Domains.Select(d => new Uri(d.Url)));
        var domains = await Task.WhenAll(state.Domains.Select(d =>
            DomainAsync(handler, new Uri(d.Url), d.Name, d.Pid, ProcessControl.IsAlive(d.Pid, d.StartTicks), cancellationToken)));
        var ies = await IesAsync(handler, domains, time, cancellationToken);
        var known = ies.ToDictionary(i => i.Id);
        var reports = new List<IeStatusReport>();
        foreach (var agent in state.Agents)
        {
            known.Remove(agent.IeId, out var fromBroker);
            var alive = ProcessControl.IsAlive(agent.Pid, agent.StartTicks);
            reports.Add(fromBroker is null
                ? new IeStatusReport(agent.IeId, agent.Domain, agent.Url, agent.Pid, alive, null, null, null, null)
                : fromBroker with { Domain = fromBroker.Domain ?? agent.Domain, AgentUrl = agent.Url, Pid = agent.Pid, Alive = alive });
        }
        reports.AddRange(known.Values.OrderBy(i => i.Id, StringComparer.Ordinal));
        return new ContinuumStatusReport("state", state.DataDirectory, state.UpPid, ProcessControl.IsAlive(state.UpPid, state.UpStartTicks), domains, reports);
    }

    /// <summary>The status as one domain host at <paramref name="url"/> sees it: itself, the domains it federates with, every IE its broker returns.</summary>
    /// <remarks>
    /// The login's token goes to <paramref name="url"/>'s origin only: the other domains come from the federation view
    /// (Domain entities, i.e. data) and are asked without it (a secured one then shows as not answering).
    /// </remarks>
    public static async Task<ContinuumStatusReport> FromUrlAsync(Uri url, TimeProvider time, CancellationToken cancellationToken,
        Client.CliLogin? credential = null, string? loginFile = null)
    {
        using var handler = Client.CliCredentials.Handler(credential, loginFile, [url]);
        var self = await DomainAsync(handler, url, null, null, null, cancellationToken);
        var domains = new List<DomainStatusReport> { self };
        if (self.Up)
        {
            foreach (var other in await PeersAsync(handler, url, cancellationToken))
            {
                domains.Add(await DomainAsync(handler, other, null, null, null, cancellationToken));
            }
        }
        return new ContinuumStatusReport("url", null, null, null, domains, await IesAsync(handler, [self], time, cancellationToken));
    }

    private static async Task<DomainStatusReport> DomainAsync(HttpMessageHandler handler, Uri url, string? name, int? pid, bool? alive, CancellationToken cancellationToken)
    {
        var root = url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
        var view = await GetJsonAsync(handler, new Uri(root, "federation/v1/domains"), cancellationToken);
        var synced = view is null ? [] : LocalContinuumHost.SyncedDomains(view).Order(StringComparer.Ordinal).ToList();
        return new DomainStatusReport(name ?? (string?)view?["domain"], root.AbsoluteUri, new Uri(root, "ngsi-ld/v1/").AbsoluteUri,
            new Uri(root, "federation/v1/").AbsoluteUri, pid, alive, view is not null, synced);
    }

    private static async Task<IReadOnlyList<Uri>> PeersAsync(HttpMessageHandler handler, Uri url, CancellationToken cancellationToken)
    {
        var root = url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
        var view = await GetJsonAsync(handler, new Uri(root, "federation/v1/domains"), cancellationToken);
        return [.. (view?["domains"]?.AsArray() ?? []).Select(d => (string?)d?["publicUrl"]).OfType<string>()
            .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var parsed) ? parsed : null).OfType<Uri>()];
    }

    /// <summary>Every IE the answering domains' brokers return (a federated query each), by id; an IE's own domain's copy wins.</summary>
    private static async Task<IReadOnlyList<IeStatusReport>> IesAsync(HttpMessageHandler handler, IReadOnlyList<DomainStatusReport> domains, TimeProvider time, CancellationToken cancellationToken)
    {
        var byId = new Dictionary<string, IeStatusReport>(StringComparer.Ordinal);
        foreach (var domain in domains.Where(d => d.Up))
        {
            using var http = new HttpClient(handler, disposeHandler: false) { BaseAddress = new Uri(domain.Url), Timeout = RequestTimeout * 2 };
            var client = new ContinuumClient(http, new ContinuumClientOptions { MaxAttempts = 1, RequestTimeout = RequestTimeout }, time);
            IReadOnlyList<InfrastructureElement> elements;
            try
            {
                elements = await client.QueryAsync<InfrastructureElement>(cancellationToken: cancellationToken);
            }
            catch (Exception e) when (e is ContinuumClientException or HttpRequestException or Polly.Timeout.TimeoutRejectedException
                || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                continue;
            }
            foreach (var ie in elements)
            {
                var domainName = ie.Domain is { } d && d.StartsWith(DomainPrefix, StringComparison.Ordinal) ? d[DomainPrefix.Length..] : ie.Domain;
                if (byId.ContainsKey(ie.Id) && domainName != domain.Name)
                {
                    continue;
                }
                var age = ie.Heartbeat is { } beat ? Math.Round((time.GetUtcNow() - beat).TotalSeconds, 1) : (double?)null;
                byId[ie.Id] = new IeStatusReport(ie.Id, domainName, ie.SelfApiUrl, null, null, ie.InfrastructureElementStatus?.ToString(), ie.HealthScore,
                    ie.Heartbeat, age);
            }
        }
        return [.. byId.Values];
    }

    private const string DomainPrefix = "urn:ngsi-ld:Domain:";

    private static async Task<JsonNode?> GetJsonAsync(HttpMessageHandler handler, Uri url, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(handler, disposeHandler: false) { Timeout = RequestTimeout };
        try
        {
            using var response = await http.GetAsync(url, cancellationToken);
            return response.StatusCode == HttpStatusCode.OK ? JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken)) : null;
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }
}
