using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Aeros.Cli.LocalContinuum;

/// <summary>
/// The app host behind <c>aeros up</c>: checks the ports, starts the domain hosts and agents as children, waits until
/// every domain answers and is federated with the others and every agent's IE is in its domain's broker, writes the
/// state file, and runs until cancelled; then (and on any failure) stops every child: SIGTERM, a grace, a kill.
/// </summary>
internal sealed partial class LocalContinuumHost(LocalContinuumOptions options, TextWriter output, TextWriter error, TimeProvider time,
    ILogger<LocalContinuumHost> logger)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);
    private const int LogTailLines = 15;

    private readonly List<ChildProcess> _children = [];
    private ContinuumSecurity? _security;

    /// <summary>Runs the continuum until <paramref name="stop"/> fires; the exit code of <c>aeros up</c>.</summary>
    public async Task<int> RunAsync(CancellationToken stop)
    {
        var layout = ContinuumLayout.Plan(options);
        Directory.CreateDirectory(layout.DataDirectory);
        using var upLock = TryLock(layout.DataDirectory);
        if (upLock is null)
        {
            var owner = ReadLockOwner(layout.DataDirectory);
            await error.WriteLineAsync($"aeros up: a continuum is already running on {layout.DataDirectory}{owner}; stop it with 'aeros down --data {layout.DataDirectory}' or use another --data.");
            return ExitCodes.Failure;
        }
        if (FirstTakenPort(layout) is { } taken)
        {
            await error.WriteLineAsync($"aeros up: port {taken.Port} on 127.0.0.1 (for {taken.Owner}) is already in use; free it or choose another --base-port.");
            return ExitCodes.Failure;
        }
        // A state file left by an up that was killed describes nothing that runs now (its ports were free).
        ContinuumStateFile.Delete(layout.DataDirectory);
        var started = time.GetTimestamp();
        try
        {
            var failure = await StartAndWaitAsync(layout, started, stop);
            if (failure is not null)
            {
                await error.WriteLineAsync($"aeros up: {failure}");
                return ExitCodes.Failure;
            }
            var state = StateOf(layout);
            ContinuumStateFile.Write(layout.DataDirectory, state);
            LogReady(logger, layout.Domains.Count, layout.Agents.Count, time.GetElapsedTime(started).TotalSeconds);
            await PrintTableAsync(state, time.GetElapsedTime(started));
            await RunUntilStoppedAsync(stop);
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await error.WriteLineAsync("aeros up: interrupted before the continuum was ready.");
            return ExitCodes.Failure;
        }
        finally
        {
            await StopChildrenAsync();
            ContinuumStateFile.Delete(layout.DataDirectory);
            File.Delete(ContinuumLayout.PidFile(layout.DataDirectory));
        }
    }

    private async Task<string?> StartAndWaitAsync(ContinuumLayout layout, long started, CancellationToken stop)
    {
        var entrypoint = layout.Domains[0];
        _security = options.Security ? new ContinuumSecurity(layout) : null;
        using var adminTokens = _security?.AdminTokens();
        // With security on every probe passes the gateways, with the IAM's administrator token.
        using var http = adminTokens is null ? new HttpClient { Timeout = ProbeTimeout } : ContinuumSecurity.Authorized(adminTokens, ProbeTimeout);
        if (_security is not null)
        {
            // A fresh IAM per up: its administrator secret and every client secret are generated now.
            var iam = ContinuumSecurity.IamDirectory(entrypoint);
            if (Directory.Exists(iam))
            {
                Directory.Delete(iam, recursive: true);
            }
        }
        await output.WriteLineAsync($"Starting {layout.Domains.Count} domain(s) and {layout.Agents.Count} agent(s) on 127.0.0.1 (data and logs in {layout.DataDirectory})"
            + (_security is null ? "" : ", security on"));

        // domain1 first: the others join through it, and a peer that is not up yet would cost them a retry back-off.
        StartDomain(entrypoint, null);
        var failure = await WaitAsync("domain1 to answer", started, async ct => await DomainAnswersAsync(http, entrypoint, ct) is not null
            ? (true, "domain1 answers", []) : (false, "waiting for domain1", [$"{entrypoint.Name} does not answer at {entrypoint.Url}"]), stop);
        if (failure is not null)
        {
            return failure;
        }
        if (_security is not null)
        {
            using var provisioning = CancellationTokenSource.CreateLinkedTokenSource(stop);
            provisioning.CancelAfter(TimeSpan.FromSeconds(60));
            using var admin = ContinuumSecurity.Authorized(adminTokens!, TimeSpan.FromSeconds(30));
            if (await _security.ProvisionAsync(admin, provisioning.Token) is { } provisionError)
            {
                return provisionError;
            }
            await output.WriteLineAsync($"  IAM at {_security.Issuer}: clients for {layout.Domains.Count} domain host(s), {layout.Agents.Count} agent(s) and the CLI created");
        }
        foreach (var domain in layout.Domains.Skip(1))
        {
            StartDomain(domain, entrypoint.Url);
        }
        foreach (var agent in layout.Agents)
        {
            StartAgent(agent, layout.Domains.First(d => d.Name == agent.Domain));
        }
        return await WaitAsync("the continuum to be ready", started, ct => ProbeAllAsync(http, layout, ct), stop);
    }

    private void StartDomain(PlannedDomain domain, Uri? peer) => Start(domain.Name,
        ChildLaunch.Domain(domain.Name, domain.Url, domain.DataDirectory, domain.Entrypoint, peer, _security?.DomainEnvironment(domain)), domain.LogFile);

    private void StartAgent(PlannedAgent agent, PlannedDomain domain) => Start(Path.GetFileNameWithoutExtension(agent.LogFile),
        ChildLaunch.Agent(domain.Url, domain.Name, agent.IeId, agent.Url, agent.StateDirectory, _security?.AgentEnvironment(agent)), agent.LogFile);

    private void Start(string name, ChildLaunch launch, string logFile)
    {
        var child = ChildProcess.Start(name, launch.Arguments, logFile, launch.Environment);
        _children.Add(child);
        LogChildStarted(logger, name, child.Pid, logFile);
    }

    /// <summary>
    /// Polls <paramref name="probe"/> until it is done; null then, else why not: a child that exited (with the end of
    /// its log), or the overall timeout (with what was not ready). Progress is printed whenever it changes.
    /// </summary>
    private async Task<string?> WaitAsync(string phase, long started, Func<CancellationToken, Task<(bool Done, string Progress, IReadOnlyList<string> Missing)>> probe,
        CancellationToken stop)
    {
        var lastProgress = "";
        IReadOnlyList<string> missing = [];
        while (true)
        {
            if (_children.FirstOrDefault(c => c.HasExited) is { } dead)
            {
                var tail = await dead.LastLinesAsync(LogTailLines);
                return $"{dead.Name} (pid {dead.Pid}) exited with code {dead.ExitCode} while starting; the end of {dead.LogFile}:\n    "
                    + string.Join("\n    ", tail);
            }
            var remaining = options.ReadyTimeout - time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                return string.Create(CultureInfo.InvariantCulture, $"not ready after {options.ReadyTimeout.TotalSeconds:0.#} s (waiting for {phase}); not ready:\n    ")
                    + string.Join("\n    ", missing);
            }
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop);
            attempt.CancelAfter(remaining < ProbeTimeout ? remaining : ProbeTimeout);
            try
            {
                var (done, progress, notReady) = await probe(attempt.Token);
                missing = notReady;
                if (progress != lastProgress)
                {
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  [{time.GetElapsedTime(started).TotalSeconds,5:0.0} s] {progress}"));
                    lastProgress = progress;
                }
                if (done)
                {
                    return null;
                }
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                // One slow probe: the next round asks again, the overall deadline still holds.
            }
            await Task.Delay(PollInterval, time, stop);
        }
    }

    private static async Task<(bool, string, IReadOnlyList<string>)> ProbeAllAsync(HttpClient http, ContinuumLayout layout, CancellationToken ct)
    {
        var missing = new List<string>();
        var domainViews = await Task.WhenAll(layout.Domains.Select(d => DomainAnswersAsync(http, d, ct)));
        var answering = 0;
        var federated = 0;
        for (var i = 0; i < layout.Domains.Count; i++)
        {
            var domain = layout.Domains[i];
            if (domainViews[i] is not { } view)
            {
                missing.Add($"{domain.Name} does not answer at {domain.Url}");
                continue;
            }
            answering++;
            var others = layout.Domains.Where(d => d != domain).Select(d => d.Name).ToList();
            var synced = SyncedDomains(view);
            var unsynced = others.Where(o => !synced.Contains(o)).ToList();
            if (unsynced.Count == 0)
            {
                federated++;
            }
            else
            {
                missing.Add($"{domain.Name} is not yet federated with {string.Join(", ", unsynced)}");
            }
        }
        var agentChecks = await Task.WhenAll(layout.Agents.Select(a => AgentReadyAsync(http, a, layout.Domains.First(d => d.Name == a.Domain), ct)));
        var agentsReady = 0;
        for (var i = 0; i < layout.Agents.Count; i++)
        {
            if (agentChecks[i] is { } why)
            {
                missing.Add(why);
            }
            else
            {
                agentsReady++;
            }
        }
        var progress = string.Create(CultureInfo.InvariantCulture,
            $"domains answering {answering}/{layout.Domains.Count}, federated {federated}/{layout.Domains.Count}; IEs registered {agentsReady}/{layout.Agents.Count}");
        return (missing.Count == 0, progress, missing);
    }

    /// <summary>The domain's federation view (<c>GET /federation/v1/domains</c>), or null when it does not answer.</summary>
    private static async Task<JsonNode?> DomainAnswersAsync(HttpClient http, PlannedDomain domain, CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(domain.Url, "federation/v1/domains"), ct);
            return response.StatusCode == HttpStatusCode.OK ? JsonNode.Parse(await response.Content.ReadAsStringAsync(ct)) : null;
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return null;
        }
    }

    internal static HashSet<string> SyncedDomains(JsonNode view) =>
        [.. (view["domains"]?.AsArray() ?? []).Where(d => (string?)d?["state"] == "synced").Select(d => (string?)d?["name"] ?? "")];

    /// <summary>Null when the agent answers and its IE entity is in its domain's broker, else what is missing.</summary>
    private static async Task<string?> AgentReadyAsync(HttpClient http, PlannedAgent agent, PlannedDomain domain, CancellationToken ct)
    {
        try
        {
            using (var info = await http.GetAsync(new Uri(agent.Url, "self/v1/info"), ct))
            {
                if (info.StatusCode != HttpStatusCode.OK)
                {
                    return $"agent {agent.IeId} answers {(int)info.StatusCode} at {agent.Url}self/v1/info";
                }
            }
            using var entity = await http.GetAsync(new Uri(domain.Url, "ngsi-ld/v1/entities/" + Uri.EscapeDataString(agent.IeId) + "?local=true"), ct);
            return entity.StatusCode == HttpStatusCode.OK ? null : $"{agent.IeId} is not yet in {domain.Name}'s broker";
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return $"agent {agent.IeId} does not answer at {agent.Url}";
        }
    }

    private ContinuumState StateOf(ContinuumLayout layout)
    {
        var byName = _children.ToDictionary(c => c.Name);
        return new ContinuumState(ContinuumState.CurrentVersion, Environment.ProcessId, ProcessControl.StartTicks(Environment.ProcessId), time.GetUtcNow(),
            layout.DataDirectory,
            [.. layout.Domains.Select(d => new ContinuumDomainState(d.Name, d.Url.AbsoluteUri, new Uri(d.Url, "ngsi-ld/v1/").AbsoluteUri,
                new Uri(d.Url, "federation/v1/").AbsoluteUri, d.Entrypoint, byName[d.Name].Pid, byName[d.Name].StartTicks, d.DataDirectory, d.LogFile,
                _security?.HostCredential(d)))],
            [.. layout.Agents.Select(a =>
            {
                var child = byName[Path.GetFileNameWithoutExtension(a.LogFile)];
                return new ContinuumAgentState(a.IeId, a.Domain, a.Url.AbsoluteUri, child.Pid, child.StartTicks, a.StateDirectory, a.LogFile,
                    _security?.AgentCredential(a));
            })], _security?.CliCredential);
    }

    private async Task PrintTableAsync(ContinuumState state, TimeSpan elapsed)
    {
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Continuum ready in {elapsed.TotalSeconds:0.0} s: {state.Domains.Count} domain(s), {state.Agents.Count} IE(s)."));
        await output.WriteLineAsync();
        foreach (var line in EndpointTable.Render(state))
        {
            await output.WriteLineAsync(line);
        }
        await output.WriteLineAsync();
        await output.WriteLineAsync($"State in {ContinuumStateFile.PathOf(state.DataDirectory)}, logs in {Path.Combine(state.DataDirectory, "logs")}.");
        foreach (var line in SecurityLines(state))
        {
            await output.WriteLineAsync(line);
        }
        await output.WriteLineAsync($"Press Ctrl-C (or run 'aeros down --data {state.DataDirectory}') to stop.");
    }

    /// <summary>
    /// What <c>aeros up</c> prints about security: off, or how to get a token (curl), where the client commands find their
    /// credential, and how to store it with <c>aeros login</c> for <c>--url</c>. Secrets are never printed: the lines read
    /// them from the state file (mode 0600).
    /// </summary>
    internal static IReadOnlyList<string> SecurityLines(ContinuumState state)
    {
        if (state.Security is not { } security)
        {
            return ["Security off (--no-security): every API answers anyone on this machine without a token."];
        }
        var file = ContinuumStateFile.PathOf(state.DataDirectory);
        var secret = $"$(jq -r .security.clientSecret {file})";
        var entrypoint = state.Domains.First(d => d.Entrypoint).Url.TrimEnd('/');
        return
        [
            $"Security on: every API needs a bearer token from {security.TokenUrl} (the continuum's IAM, issuer {security.Issuer}).",
            $"  'aeros deploy/services/ie list/logs/delete/status --data {state.DataDirectory}' use the CLI credential ({security.ClientId}) in {file} (mode 0600).",
            "  A token for curl:",
            $"    curl -s -d grant_type=client_credentials -d client_id={security.ClientId} --data-urlencode \"client_secret={secret}\" {security.TokenUrl}",
            "  For client commands with --url (e.g. from another data directory: give that one as --data), store it once with",
            $"    AEROS_CLIENT_SECRET=\"{secret}\" aeros login --url {entrypoint} --client-id {security.ClientId} --data {state.DataDirectory}",
        ];
    }

    /// <summary>Runs until <paramref name="stop"/>; a child that exits meanwhile is reported (e.g. an agent killed on purpose) but the others keep running.</summary>
    private async Task RunUntilStoppedAsync(CancellationToken stop)
    {
        var running = _children.ToList();
        var stopped = Task.Delay(Timeout.Infinite, stop);
        while (running.Count > 0)
        {
            var exited = await Task.WhenAny(running.Select(c => c.Exited).Append(stopped));
            if (exited == stopped)
            {
                return;
            }
            foreach (var child in running.Where(c => c.HasExited).ToList())
            {
                running.Remove(child);
                LogChildExited(logger, child.Name, child.Pid, child.ExitCode ?? -1, child.LogFile);
            }
        }
        await stopped.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Agents first (they may still report to their domain), then the domains; each group in parallel.</summary>
    private async Task StopChildrenAsync()
    {
        if (_children.Count == 0)
        {
            return;
        }
        var alive = _children.Count(c => !c.HasExited);
        if (alive > 0)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Stopping {alive} process(es)..."));
        }
        var agents = _children.Where(c => c.Name.Contains("-ie", StringComparison.Ordinal)).ToList();
        var domains = _children.Except(agents).ToList();
        var killed = 0;
        foreach (var group in new[] { agents, domains })
        {
            var results = await Task.WhenAll(group.Select(c => c.StopAsync(options.StopGrace, time)));
            for (var i = 0; i < group.Count; i++)
            {
                if (results[i])
                {
                    killed++;
                    LogChildKilled(logger, group[i].Name, group[i].Pid, options.StopGrace.TotalSeconds);
                }
            }
        }
        foreach (var child in _children)
        {
            child.Dispose();
        }
        if (alive > 0)
        {
            await output.WriteLineAsync(killed == 0
                ? string.Create(CultureInfo.InvariantCulture, $"Stopped {alive} process(es).")
                : string.Create(CultureInfo.InvariantCulture, $"Stopped {alive} process(es) ({killed} had to be killed after {options.StopGrace.TotalSeconds:0.#} s)."));
        }
        _children.Clear();
    }

    /// <summary>The first port of the layout something else listens on (or cannot be bound), with what it was meant for.</summary>
    private static (int Port, string Owner)? FirstTakenPort(ContinuumLayout layout)
    {
        var owners = layout.Domains.Select(d => (d.Port, $"domain {d.Name}")).Concat(layout.Agents.Select(a => (a.Port, $"agent {a.IeId}")));
        foreach (var (port, owner) in owners)
        {
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
            }
            catch (SocketException)
            {
                return (port, owner);
            }
        }
        return null;
    }

    /// <summary>
    /// Holds <c>up.lock</c> exclusively (an advisory lock the kernel drops when the process dies, so a killed up never
    /// blocks the next); null when another up holds it.
    /// </summary>
    private static FileStream? TryLock(string dataDirectory)
    {
        try
        {
            var stream = new FileStream(ContinuumLayout.LockFile(dataDirectory), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            File.WriteAllText(ContinuumLayout.PidFile(dataDirectory), Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            return stream;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string ReadLockOwner(string dataDirectory) =>
        ContinuumLayout.ReadUpPid(dataDirectory) is { } pid ? string.Create(CultureInfo.InvariantCulture, $" (aeros up, pid {pid})") : "";

    [LoggerMessage(EventId = 5300, Level = LogLevel.Information, Message = "Started {Child} as process {Pid} (log {LogFile})")]
    private static partial void LogChildStarted(ILogger logger, string child, int pid, string logFile);

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "Continuum ready: {Domains} domain(s), {Agents} agent(s) in {Seconds:0.0} s")]
    private static partial void LogReady(ILogger logger, int domains, int agents, double seconds);

    [LoggerMessage(EventId = 5302, Level = LogLevel.Warning, Message = "{Child} (pid {Pid}) exited with code {ExitCode}; the others keep running (see {LogFile})")]
    private static partial void LogChildExited(ILogger logger, string child, int pid, int exitCode, string logFile);

    [LoggerMessage(EventId = 5303, Level = LogLevel.Warning, Message = "{Child} (pid {Pid}) did not stop within {Seconds} s of SIGTERM and was killed")]
    private static partial void LogChildKilled(ILogger logger, string child, int pid, double seconds);
}
