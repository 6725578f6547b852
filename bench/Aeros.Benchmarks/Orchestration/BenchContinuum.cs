using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;
using Aeros.Benchmarks.BrokerLoad;
using Aeros.Continuum;

namespace Aeros.Benchmarks.Orchestration;

/// <summary>
/// A one-domain local continuum for the orchestration benchmarks: <c>aeros up --domains 1 --ies-per-domain N --no-security</c> as a
/// child, its state file read for the domain and agent endpoints and pids. Agents can be SIGKILLed and restarted with
/// the arguments <c>aeros up</c> gave them. Disposing stops <c>aeros up</c>, every process the state file names or
/// this class started, and every workload process left in the data directory, then deletes it.
/// </summary>
internal sealed class BenchContinuum : IAsyncDisposable
{
    private readonly Process _up;
    private readonly string _aeros;
    private readonly List<Process> _restarted = [];
    private readonly StringBuilder _upOutput = new();

    private BenchContinuum(Process up, string aeros, string data)
    {
        _up = up;
        _aeros = aeros;
        Data = data;
    }

    public string Data { get; }

    /// <summary>When <c>aeros up</c> was started (<see cref="Stopwatch"/> timestamp): the domain host's LLO started after it.</summary>
    public long StartedTimestamp { get; private set; }

    public Uri DomainUrl { get; private set; } = null!;

    public string DomainName { get; private set; } = "";

    /// <summary>IE id → (agent URL, pid, state directory).</summary>
    public Dictionary<string, (string Url, int Pid, string StateDirectory)> Agents { get; } = new(StringComparer.Ordinal);

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(15) };

    public ContinuumClient Broker { get; private set; } = null!;

    /// <summary>Starts the continuum; <paramref name="environment"/> reaches every child of <c>aeros up</c> (e.g. <c>Llo__FlapCount</c>).</summary>
    public static async Task<BenchContinuum> StartAsync(string aeros, int ies, int basePort, TimeSpan timeout, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        basePort = basePort > 0 ? basePort : FreeBasePort(ies);
        var data = Path.Combine(Path.GetTempPath(), "aeros-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        var up = Launch(aeros, ["up", "--domains", "1", "--ies-per-domain", ies.ToString(CultureInfo.InvariantCulture),
            "--base-port", basePort.ToString(CultureInfo.InvariantCulture), "--data", data, "--timeout", ((int)timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            // The orchestration figures are measured without the gateway (comparable with docs/benchmarks.md); the
            // gateway's own cost is the 'gateway' bench.
            "--no-security"],
            environment);
        var run = new BenchContinuum(up, aeros, data) { StartedTimestamp = Stopwatch.GetTimestamp() };
        up.OutputDataReceived += (_, e) => run.Keep(e.Data);
        up.ErrorDataReceived += (_, e) => run.Keep(e.Data);
        up.BeginOutputReadLine();
        up.BeginErrorReadLine();
        try
        {
            var started = Stopwatch.GetTimestamp();
            var stateFile = Path.Combine(data, "continuum.json");
            while (!File.Exists(stateFile))
            {
                if (up.HasExited || Stopwatch.GetElapsedTime(started) > timeout + TimeSpan.FromSeconds(10))
                {
                    throw new DriverException($"aeros up did not become ready within {timeout.TotalSeconds:0} s.", run.UpOutput);
                }
                await Task.Delay(200, cancellationToken);
            }
            var state = JsonNode.Parse(await File.ReadAllTextAsync(stateFile, cancellationToken))!;
            var domain = state["domains"]![0]!;
            run.DomainUrl = new Uri((string)domain["url"]!);
            run.DomainName = (string)domain["name"]!;
            foreach (var agent in state["agents"]!.AsArray())
            {
                run.Agents[(string)agent!["ieId"]!] = ((string)agent["url"]!, (int)agent["pid"]!, (string)agent["stateDirectory"]!);
            }
            var brokerHttp = new HttpClient { BaseAddress = run.DomainUrl, Timeout = TimeSpan.FromSeconds(15) };
            run.Broker = new ContinuumClient(brokerHttp, new ContinuumClientOptions { MaxAttempts = 1, RequestTimeout = TimeSpan.FromSeconds(5) }, TimeProvider.System);
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    public string UpOutput
    {
        get
        {
            lock (_upOutput)
            {
                return _upOutput.ToString();
            }
        }
    }

    /// <summary>POSTs the blueprint to the HLO; throws with the answer unless 202.</summary>
    public async Task SubmitAsync(string serviceId, string yaml, CancellationToken cancellationToken)
    {
        using var content = new StringContent(yaml, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/yaml");
        using var response = await Http.PostAsync(new Uri(DomainUrl, "hlo/v1/services/" + Uri.EscapeDataString(serviceId)), content, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new DriverException($"POST {serviceId} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    /// <summary>DELETEs the service and waits (bounded) until the HLO no longer knows it.</summary>
    public async Task DeleteAsync(string serviceId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var url = new Uri(DomainUrl, "hlo/v1/services/" + Uri.EscapeDataString(serviceId));
        using (await Http.DeleteAsync(url, cancellationToken))
        {
        }
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < timeout)
        {
            using var response = await Http.GetAsync(url, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return;
            }
            await Task.Delay(100, cancellationToken);
        }
        throw new DriverException($"{serviceId} was not gone {timeout.TotalSeconds:0} s after DELETE.");
    }

    /// <summary>Polls the broker every <paramref name="period"/> until <paramref name="done"/> holds for the component; the time it held first.</summary>
    public async Task<(ServiceComponent Component, long Timestamp)> WaitForComponentAsync(string componentId, Func<ServiceComponent, bool> done, TimeSpan period,
        TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        ServiceComponent? last = null;
        while (true)
        {
            try
            {
                last = await Broker.GetAsync<ServiceComponent>(componentId, cancellationToken);
            }
            catch (Exception e) when (e is ContinuumClientException or HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                last = null; // a slow answer under load: poll again
            }
            if (last is not null && done(last))
            {
                return (last, Stopwatch.GetTimestamp());
            }
            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new DriverException($"{what}: not within {timeout.TotalSeconds:0} s (last: {last?.ServiceComponentStatus} on {last?.InfrastructureElement}, {last?.StatusReason}).");
            }
            await Task.Delay(period, cancellationToken);
        }
    }

    /// <summary>SIGKILLs the agent of <paramref name="ieId"/> (not its workloads: a crash).</summary>
    public void KillAgent(string ieId)
    {
        using var process = Process.GetProcessById(Agents[ieId].Pid);
        process.Kill(entireProcessTree: false); // SIGKILL on Unix
    }

    /// <summary>Starts the agent of <paramref name="ieId"/> again and waits until the broker shows it Ready and reachable with a fresh heartbeat.</summary>
    public async Task RestartAgentAsync(string ieId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (url, _, stateDirectory) = Agents[ieId];
        var restartedAt = DateTimeOffset.UtcNow;
        var process = Launch(_aeros, ["agent", "--broker", DomainUrl.AbsoluteUri.TrimEnd('/'), "--domain", DomainName, "--ie-id", ieId,
            "--urls", url.TrimEnd('/'), "--state-dir", stateDirectory]);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _restarted.Add(process);
        Agents[ieId] = (url, process.Id, stateDirectory);
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            InfrastructureElement? ie = null;
            try
            {
                ie = await Broker.GetAsync<InfrastructureElement>(ieId, cancellationToken);
            }
            catch (Exception e) when (e is ContinuumClientException or HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
            }
            if (ie is { InfrastructureElementStatus: InfrastructureElementStatus.Ready, Reachable: not false } && ie.Heartbeat > restartedAt)
            {
                return;
            }
            if (process.HasExited || Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new DriverException($"the restarted agent {ieId} did not become Ready and reachable within {timeout.TotalSeconds:0} s.");
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Waits until every IE is Ready with an agent URL (the LLO can place on any of them).</summary>
    public async Task WaitForIesAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                var ies = await Broker.QueryAsync<InfrastructureElement>(cancellationToken: cancellationToken);
                if (ies.Count(i => i.InfrastructureElementStatus == InfrastructureElementStatus.Ready && i.SelfApiUrl is not null && i.Reachable != false) >= Agents.Count)
                {
                    return;
                }
            }
            catch (Exception e) when (e is ContinuumClientException or HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
            }
            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new DriverException($"not every IE was Ready within {timeout.TotalSeconds:0} s.", UpOutput);
            }
            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>A one-component process blueprint (<c>/bin/sleep 3600</c>).</summary>
    public static string Sleeper(string node) => $$"""
        tosca_definitions_version: tosca_simple_yaml_1_3
        node_templates:
          {{node}}:
            type: tosca.nodes.Container.Application
            artifacts:
              sleeper:
                type: aeros.artifacts.Deployment.Process
                file: /bin/sleep
                args: ["3600"]
        """;

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_upOutput)
        {
            if (_upOutput.Length < 64 * 1024)
            {
                _upOutput.AppendLine(line);
            }
        }
    }

    private static Process Launch(string aeros, IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var isDll = aeros.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var start = new ProcessStartInfo(isDll ? ChildProcess.DotnetHost : aeros)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (isDll)
        {
            start.ArgumentList.Add(aeros);
        }
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        return Process.Start(start) ?? throw new DriverException($"cannot start {aeros}");
    }

    private static int FreeBasePort(int ies)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var basePort = Random.Shared.Next(33_000, 35_000);
            if (Enumerable.Range(basePort, 1).Concat(Enumerable.Range(basePort + 100, ies)).All(IsFree))
            {
                return basePort;
            }
        }
        throw new DriverException("no free block of ports between 33000 and 35100; pass --base-port.");
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
        // SIGTERM lets aeros up stop its children cleanly; a bounded wait, then the tree is killed.
        if (!_up.HasExited)
        {
            _ = Kill(_up.Id, 15);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _up.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _up.Kill(entireProcessTree: true);
            }
        }
        foreach (var process in _restarted)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            process.Dispose();
        }
        foreach (var (_, (_, pid, _)) in Agents)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // already gone
            }
        }
        KillWorkloadsLeftIn(Data);
        _up.Dispose();
        Http.Dispose();
        try
        {
            Directory.Delete(Data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>SIGKILLs every process whose working directory lies in <paramref name="directory"/> (workloads a killed agent left).</summary>
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
                    _ = Kill(pid, 9);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    // A blittable signature: the plain DllImport needs no unsafe blocks.
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
#pragma warning disable SYSLIB1054 // LibraryImport would require AllowUnsafeBlocks for the whole project for one call.
    private static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054
}
