using System.Globalization;

namespace Aeros.Cli.LocalContinuum;

/// <summary>Plain-text tables of a local continuum (what <c>aeros up</c> prints when ready and <c>aeros status</c> shows).</summary>
internal static class EndpointTable
{
    public static IEnumerable<string> Render(ContinuumState state)
    {
        var domainRows = state.Domains.Select(d => new[] { d.Name + (d.Entrypoint ? " *" : ""), d.BrokerUrl, d.FederationUrl, Pid(d.Pid) });
        foreach (var line in Format(["DOMAIN", "BROKER", "FEDERATION", "PID"], domainRows))
        {
            yield return line;
        }
        if (state.Agents.Count > 0)
        {
            yield return "";
            var agentRows = state.Agents.Select(a => new[] { a.IeId, a.Domain, a.Url, Pid(a.Pid) });
            foreach (var line in Format(["IE", "DOMAIN", "AGENT", "PID"], agentRows))
            {
                yield return line;
            }
        }
        yield return "(* entrypoint domain)";
    }

    public static IEnumerable<string> Render(ContinuumStatusReport report)
    {
        var domainRows = report.Domains.Select(d => new[]
        {
            d.Name ?? "?", d.Up ? "up" : "DOWN", d.BrokerUrl, d.FederationUrl, Pid(d.Pid, d.Alive), d.FederatedWith.Count == 0 ? "-" : string.Join(",", d.FederatedWith),
        });
        foreach (var line in Format(["DOMAIN", "STATE", "BROKER", "FEDERATION", "PID", "FEDERATED WITH"], domainRows))
        {
            yield return line;
        }
        yield return "";
        var ieRows = report.Ies.Select(i => new[]
        {
            i.Id, i.Domain ?? "?", i.Status ?? "(not in broker)", i.HealthScore?.ToString("0.00", CultureInfo.InvariantCulture) ?? "-",
            i.HeartbeatAgeSeconds?.ToString("0.0' s'", CultureInfo.InvariantCulture) ?? "-", i.AgentUrl ?? "-", Pid(i.Pid, i.Alive),
        });
        foreach (var line in Format(["IE", "DOMAIN", "STATUS", "HEALTH", "HEARTBEAT AGE", "AGENT", "PID"], ieRows))
        {
            yield return line;
        }
    }

    private static string Pid(int? pid, bool? alive = true) => pid is null ? "-"
        : pid.Value.ToString(CultureInfo.InvariantCulture) + (alive == false ? " (gone)" : "");

    private static IEnumerable<string> Format(string[] header, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(c => all.Max(r => r[c].Length)).ToArray();
        return all.Select(r => string.Join("  ", r.Select((cell, c) => c == r.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
    }
}
