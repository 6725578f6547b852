using System.Globalization;

namespace Aeros.Cli.LocalContinuum;

/// <summary>One domain host of a local continuum as planned: name, port, URL and where its files go.</summary>
internal sealed record PlannedDomain(string Name, int Port, Uri Url, string DataDirectory, string LogFile, bool Entrypoint);

/// <summary>One agent of a local continuum as planned.</summary>
internal sealed record PlannedAgent(string IeId, string Domain, int Port, Uri Url, string StateDirectory, string LogFile);

/// <summary>
/// The documented layout of <c>aeros up</c> (docs/local-continuum.md): domain k at base+k-1, agent j (numbered over
/// all domains, domain by domain) at base+100+j; data, logs and agent state under the data directory.
/// </summary>
internal sealed record ContinuumLayout(string DataDirectory, IReadOnlyList<PlannedDomain> Domains, IReadOnlyList<PlannedAgent> Agents)
{
    /// <summary>The state file of the continuum running on <paramref name="dataDirectory"/>.</summary>
    public static string StateFile(string dataDirectory) => Path.Combine(dataDirectory, "continuum.json");

    /// <summary>The lock file the running <c>aeros up</c> holds.</summary>
    public static string LockFile(string dataDirectory) => Path.Combine(dataDirectory, "up.lock");

    /// <summary>The pid of the <c>aeros up</c> holding the lock (the lock file itself cannot be read while it is held).</summary>
    public static string PidFile(string dataDirectory) => Path.Combine(dataDirectory, "up.pid");

    /// <summary>The pid in <see cref="PidFile"/>, or null.</summary>
    public static int? ReadUpPid(string dataDirectory)
    {
        try
        {
            return int.TryParse(File.ReadAllText(PidFile(dataDirectory)).Trim(), CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static ContinuumLayout Plan(LocalContinuumOptions options)
    {
        var data = Path.GetFullPath(options.DataDirectory);
        var logs = Path.Combine(data, "logs");
        var domains = new List<PlannedDomain>();
        var agents = new List<PlannedAgent>();
        for (var d = 1; d <= options.Domains; d++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"domain{d}");
            var port = options.BasePort + d - 1;
            domains.Add(new PlannedDomain(name, port, LoopbackUrl(port), Path.Combine(data, name), Path.Combine(logs, name + ".log"), d == 1));
            for (var i = 1; i <= options.IesPerDomain; i++)
            {
                var agentPort = options.BasePort + LocalContinuumOptions.AgentPortOffset + agents.Count;
                var ie = string.Create(CultureInfo.InvariantCulture, $"{name}-ie{i}");
                agents.Add(new PlannedAgent(string.Create(CultureInfo.InvariantCulture, $"urn:ngsi-ld:InfrastructureElement:{name}:ie{i}"), name, agentPort,
                    LoopbackUrl(agentPort), Path.Combine(data, "agents", ie), Path.Combine(logs, ie + ".log")));
            }
        }
        return new ContinuumLayout(data, domains, agents);
    }

    /// <summary>Every port the layout uses, domains first.</summary>
    public IEnumerable<int> Ports => Domains.Select(d => d.Port).Concat(Agents.Select(a => a.Port));

    private static Uri LoopbackUrl(int port) => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/"));
}
