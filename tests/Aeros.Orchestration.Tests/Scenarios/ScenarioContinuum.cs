using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Aeros.Cli.LocalContinuum;

namespace Aeros.Orchestration.Tests.Scenarios;

/// <summary>
/// A real local continuum for end-to-end scenarios: <c>aeros up</c> as a child on free loopback ports and a fresh data
/// directory; the client commands run against it through its state file. Agents and domain hosts can be SIGKILLed (only
/// that process, as a crash would) and restarted with the arguments <c>aeros up</c> gave them. Disposing kills
/// <c>aeros up</c>, every process its state file names and every restarted child, and deletes the data.
/// </summary>
internal sealed class ScenarioContinuum : IAsyncDisposable
{
    /// <summary>Generous: a loaded 2-core machine starts several .NET hosts slowly.</summary>
    public static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(180);

    private readonly List<AerosProcess> _restarted = [];
    private ContinuumState? _state;

    private ScenarioContinuum(AerosProcess up, string data, int basePort)
    {
        Up = up;
        Data = data;
        BasePort = basePort;
    }

    public AerosProcess Up { get; }

    public string Data { get; }

    public int BasePort { get; }

    public ContinuumState State => _state ?? throw new InvalidOperationException("not ready yet");

    /// <summary>
    /// Starts <c>aeros up --domains N --ies-per-domain M</c> (security on, as by default, unless <paramref name="security"/>
    /// is false: then with <c>--no-security</c>) and waits until it is ready and every IE is visible from domain1.
    /// </summary>
    public static async Task<ScenarioContinuum> StartAsync(int domains, int iesPerDomain, bool security = true)
    {
        var basePort = FreeBasePort(domains, iesPerDomain);
        var data = Path.Combine(Path.GetTempPath(), "aeros-scenario-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        string[] args = ["up", "--domains", domains.ToString(CultureInfo.InvariantCulture), "--ies-per-domain",
            iesPerDomain.ToString(CultureInfo.InvariantCulture), "--base-port", basePort.ToString(CultureInfo.InvariantCulture), "--data", data, "--timeout", "150",
            .. security ? Array.Empty<string>() : ["--no-security"]];
        var up = AerosProcess.Start(args);
        var run = new ScenarioContinuum(up, data, basePort);
        try
        {
            await TestDeadline.Until(() => up.Output.Contains("Continuum ready in", StringComparison.Ordinal) || up.HasExited,
                "aeros up reports ready", () => up.Output, ReadyDeadline);
            Assert.False(up.HasExited, "aeros up exited before it was ready:\n" + up.Output);
            run._state = ContinuumStateFile.Read(data) ?? throw new InvalidOperationException("no state file after ready");
            await run.WaitForIesAsync(domains * iesPerDomain);
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <c>aeros ARGS --data DATA</c> to its end (bounded by <paramref name="deadline"/>): exit code, stdout lines, everything printed.</summary>
    public async Task<(int Code, string Stdout, string Output)> AerosAsync(TimeSpan deadline, params string[] args)
    {
        await using var process = AerosProcess.Start([.. args, "--data", Data]);
        await TestDeadline.Until(() => process.HasExited, $"aeros {string.Join(' ', args)}", () => process.Output, deadline);
        await process.WaitForExitAsync($"aeros {string.Join(' ', args)}");
        var stdout = string.Join('\n', process.Output.Split('\n').Where(l => l.StartsWith("[out] ", StringComparison.Ordinal)).Select(l => l[6..]));
        return (process.ExitCode, stdout, process.Output);
    }

    /// <summary><c>aeros services ID --output json</c> (null when unknown).</summary>
    public async Task<JsonNode?> ServiceAsync(string serviceId, string domain = "domain1")
    {
        var (code, stdout, output) = await AerosAsync(TimeSpan.FromSeconds(60), "services", serviceId, "--domain", domain, "--output", "json");
        return code switch
        {
            0 => JsonNode.Parse(stdout),
            5 => null,
            _ => throw new InvalidOperationException($"aeros services {serviceId} exited with {code}:\n{output}"),
        };
    }

    /// <summary>The workload names on the agent of <paramref name="ieId"/> (empty when it does not answer).</summary>
    public async Task<IReadOnlyList<string>> WorkloadsAsync(string ieId) => await WorkloadsOrNullAsync(ieId) ?? [];

    /// <summary>The workload names on the agent of <paramref name="ieId"/>, null when it does not answer.</summary>
    public async Task<IReadOnlyList<string>?> WorkloadsOrNullAsync(string ieId)
    {
        var agent = State.Agents.Single(a => a.IeId == ieId);
        // With security on, agents' self-APIs take tokens: the CLI credential of the state file (ContinuumAdministrator).
        using var tokens = State.Security is { } credential ? Aeros.Cli.Client.CliCredentials.ClientTokenSource(Aeros.Cli.Client.CliLogin.From(credential)!) : null;
        using var http = tokens is null ? new HttpClient() : new HttpClient(new Aeros.Security.BearerTokenHandler(tokens, new SocketsHttpHandler()));
        http.Timeout = TimeSpan.FromSeconds(10);
        try
        {
            var body = JsonNode.Parse(await http.GetStringAsync(new Uri(agent.Url.TrimEnd('/') + "/self/v1/workloads")))!;
            return [.. body["workloads"]!.AsArray().Select(w => (string)w!["name"]!)];
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>SIGKILLs the agent process of <paramref name="ieId"/> (its workloads are left as a crash leaves them).</summary>
    public void KillAgent(string ieId)
    {
        var agent = State.Agents.Single(a => a.IeId == ieId);
        Assert.True(ProcessControl.Signal(agent.Pid, ProcessControl.Sigkill), $"could not SIGKILL {ieId} (pid {agent.Pid})");
    }

    /// <summary>
    /// Starts the agent of <paramref name="ieId"/> again with the arguments and (with security on) the credential
    /// <c>aeros up</c> gave it, as the state file records them.
    /// </summary>
    public void RestartAgent(string ieId) => Restart(ChildLaunch.AgentOf(State, ieId));

    /// <summary>SIGKILLs the domain host <paramref name="name"/>.</summary>
    public void KillDomain(string name)
    {
        var domain = State.Domains.Single(d => d.Name == name);
        Assert.True(ProcessControl.Signal(domain.Pid, ProcessControl.Sigkill), $"could not SIGKILL {name} (pid {domain.Pid})");
    }

    /// <summary>
    /// Starts the domain host <paramref name="name"/> again with the arguments and (with security on) the credential
    /// <c>aeros up</c> gave it, as the state file records them.
    /// </summary>
    public void RestartDomain(string name) => Restart(ChildLaunch.DomainOf(State, name));

    private void Restart(ChildLaunch launch) => _restarted.Add(AerosProcess.Start(launch.Environment, [.. launch.Arguments]));

    /// <summary>
    /// Waits until domain1's (federated) broker lists <paramref name="count"/> IEs, each with an agent URL. Agents not yet
    /// Ready get their overload thresholds switched off: every agent of the test reads the same /proc/stat, and while
    /// the other test projects run in parallel the machine's CPU can sit at 100 %, which is Overloaded by default (a
    /// restarted agent starts with the defaults again).
    /// </summary>
    public Task WaitForIesAsync(int count) => TestDeadline.Until(async () =>
    {
        var (code, stdout, _) = await AerosAsync(TimeSpan.FromSeconds(60), "ie", "list", "--output", "json");
        if (code != 0)
        {
            return false;
        }
        var elements = JsonNode.Parse(stdout)!.AsArray();
        var ready = elements.Count(i => i!["selfApiUrl"] is not null && (string?)i["status"] == "Ready");
        foreach (var element in elements.Where(i => (string?)i!["status"] != "Ready" && i["selfApiUrl"] is not null))
        {
            await RelaxAsync(new Uri((string)element!["selfApiUrl"]!));
        }
        return ready == count;
    }, $"domain1 sees {count} ready IEs", ReadyDeadline, async () => (await AerosAsync(TimeSpan.FromSeconds(60), "ie", "list")).Output);

    private static async Task RelaxAsync(Uri selfApi)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var body = new StringContent(Hlo.HloTestbed.RelaxedConfig, System.Text.Encoding.UTF8, "application/json");
        try
        {
            using var response = await http.PutAsync(new Uri(selfApi, "/self/v1/config"), body);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // The agent is (re)starting; the next poll tries again.
        }
    }

    /// <summary>
    /// A copy of a sample blueprint with its port replaced by a free one (so parallel runs do not collide) and without a
    /// CPU-usage limit: the file and the port.
    /// </summary>
    public (string File, int Port) SampleWithFreePort(string sample, int samplePort)
    {
        var port = AerosProcess.FreePort();
        // The agents report this machine's CPU, which a busy CI run holds near 100 %: the copy drops a sample's
        // cpu_usage ≤ 90 % filter (the placement tests cover that constraint) so a deploy does not wait on the load.
        var text = File.ReadAllText(SamplePath(sample)).Replace(samplePort.ToString(CultureInfo.InvariantCulture), port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("cpu_usage: { less_or_equal: 0.9 }", "cpu_usage: { less_or_equal: 1.0 }", StringComparison.Ordinal);
        var file = Path.Combine(Data, sample);
        File.WriteAllText(file, text);
        return (file, port);
    }

    public static string SamplePath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "samples", "blueprints", name);
            if (File.Exists(path))
            {
                return path;
            }
        }
        throw new FileNotFoundException("samples/blueprints not found above " + AppContext.BaseDirectory, name);
    }

    private static int FreeBasePort(int domains, int iesPerDomain)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var basePort = Random.Shared.Next(30_100, 32_000);
            if (Enumerable.Range(basePort, domains).Concat(Enumerable.Range(basePort + 100, domains * iesPerDomain)).All(IsFree))
            {
                return basePort;
            }
        }
        throw new InvalidOperationException("no free block of ports between 30100 and 32100");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _restarted)
        {
            await process.DisposeAsync();
        }
        ContinuumState? state = _state;
        try
        {
            state ??= ContinuumStateFile.Read(Data);
        }
        catch (InvalidDataException)
        {
        }
        await Up.DisposeAsync();
        // Agents started their workloads as their own children; a SIGKILLed agent leaves them, so kill what is left.
        foreach (var (pid, ticks) in (state?.Domains.Select(d => (d.Pid, d.StartTicks)) ?? []).Concat(state?.Agents.Select(a => (a.Pid, a.StartTicks)) ?? []))
        {
            if (ProcessControl.IsAlive(pid, ticks))
            {
                ProcessControl.Signal(pid, ProcessControl.Sigkill);
            }
        }
        KillWorkloadsLeftIn(Data);
        try
        {
            Directory.Delete(Data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>
    /// SIGKILLs every process whose working directory lies in <paramref name="directory"/>: the workloads a SIGKILLed
    /// agent left behind (process workloads start in their agent's state directory, which is under this run's data).
    /// </summary>
    private static void KillWorkloadsLeftIn(string directory)
    {
        var prefix = Path.GetFullPath(directory).TrimEnd('/') + "/";
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                var cwd = new FileInfo(Path.Combine(entry, "cwd")).LinkTarget;
                if (cwd is not null && (cwd + "/").StartsWith(prefix, StringComparison.Ordinal))
                {
                    ProcessControl.Signal(pid, ProcessControl.Sigkill);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another user's process or one that just exited: not ours.
            }
        }
    }
}
