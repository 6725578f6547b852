using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Benchmarks.BrokerLoad;

namespace Aeros.Benchmarks.AgentFootprint;

/// <summary>
/// <c>agent-footprint</c>: starts a real broker and a real <c>aeros agent</c> (child processes), applies N process
/// workloads through the agent's API, then samples the agent's RSS and CPU% every second for the duration, together
/// with a do-nothing .NET process (the baseline) sampled at the same moments.
/// </summary>
internal sealed class AgentFootprintCommand(AgentFootprintOptions options)
{
    private const string Domain = "bench";
    private const string InfoPath = "self/v1/info";
    private const double RssTargetMiB = 40;
    private const double CpuTargetPercent = 1;
    private const double NativeRssTargetMiB = 20;
    private const double NativeStartTargetMs = 100;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan WorkloadsTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StartPoll = TimeSpan.FromMilliseconds(5);

    public static async Task<int> RunAsync(string[] args)
    {
        var options = AgentFootprintOptions.Parse(args, out var error);
        if (options is null)
        {
            if (!string.IsNullOrEmpty(error))
            {
                Console.Error.WriteLine($"agent-footprint: {error.Replace("\n", "\nagent-footprint: ", StringComparison.Ordinal)}");
            }
            Console.Error.WriteLine(AgentFootprintOptions.Usage);
            return string.IsNullOrEmpty(error) ? 0 : 2;
        }
        return await Cancellable.RunAsync("agent-footprint", token => new AgentFootprintCommand(options).ExecuteAsync(token));
    }

    private async Task<int> ExecuteAsync(CancellationToken cancellationToken)
    {
        var temp = Path.Combine(Path.GetTempPath(), "aeros-agent-footprint-" + Guid.NewGuid().ToString("N"));
        var loadBefore = MachineInfo.LoadAverage();
        Result? result = null;
        string? failure = null;
        string agentProgram = options.AerosPath ?? "(default build)";
        try
        {
            agentProgram = await BrokerProcess.ResolveAsync(options.AerosPath, cancellationToken);
            var brokerProgram = await BrokerProcess.ResolveAsync(null, cancellationToken);
            Directory.CreateDirectory(temp);
            result = await MeasureAsync(brokerProgram, agentProgram, temp, cancellationToken);
        }
        catch (DriverException e)
        {
            failure = e.Message + (e.Output is null ? "" : "\n" + e.Output);
        }
        catch (HttpRequestException e)
        {
            failure = $"A request to the agent failed: {e.Message}";
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            failure = $"A request to the agent timed out: {e.Message}";
        }
        finally
        {
            DeleteDirectory(temp);
        }
        if (failure is not null)
        {
            Console.Error.WriteLine($"agent-footprint: {failure}");
        }
        var md = Report(agentProgram, loadBefore, result, failure);
        Console.WriteLine();
        Console.Write(md);
        if (options.OutputPath is not null)
        {
            await File.WriteAllTextAsync(options.OutputPath, md, CancellationToken.None);
        }
        return failure is null ? 0 : 1;
    }

    /// <summary>
    /// <c>aeros agent ...</c>, or just <c>aeros-agent ...</c> for the agent-only executable (src/Aeros.Cli.Agent), which takes
    /// the agent's options at its root.
    /// </summary>
    private static string[] AgentCommandPrefix(string program) =>
        Path.GetFileNameWithoutExtension(program).Equals("aeros-agent", StringComparison.Ordinal) ? [] : ["agent"];

    /// <summary>What one run measured.</summary>
    private sealed record Result(
        FootprintSeries Agent, FootprintSeries Baseline, double AgentStartMs, double BaselineStartMs, double AgentRssAtStartMiB,
        ProcRollup? AgentRollup, ProcRollup? BaselineRollup, int? RunningAtEnd, long? RestartsAtEnd, string EntityInBroker, bool Native);

    private async Task<Result> MeasureAsync(string brokerProgram, string agentProgram, string temp, CancellationToken cancellationToken)
    {
        var data = Path.Combine(temp, "broker");
        var state = Path.Combine(temp, "agent");
        Directory.CreateDirectory(data);
        Directory.CreateDirectory(state);
        Progress("starting the broker");
        await using var broker = BrokerProcess.Start(brokerProgram, data);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        // The probe also warms up the driver's HttpClient, so the agent's start time below is not charged with it.
        await broker.WaitUntilReadyAsync(client, BrokerProcess.ReadyProbe, TimeSpan.FromSeconds(30), cancellationToken);

        Progress("starting the idle baseline");
        var started = Stopwatch.GetTimestamp();
        await using var baseline = IdleProcess.Start();
        await PollAsync(baseline, () => Task.FromResult(baseline.FirstLineStartingWith(IdleProcess.ReadyLine) is not null), "print its ready line", cancellationToken);
        var baselineStartMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

        Progress($"starting the agent ({agentProgram})");
        started = Stopwatch.GetTimestamp();
        await using var agent = ChildProcess.Start("the agent", agentProgram,
            [.. AgentCommandPrefix(agentProgram), "--broker", broker.BaseAddress.ToString().TrimEnd('/'), "--domain", Domain, "--state-dir", state],
            options.AgentEnvironment);
        var info = new Uri(agent.BaseAddress, InfoPath);
        await PollAsync(agent, async () =>
        {
            try
            {
                using var response = await client.GetAsync(info, cancellationToken);
                return response.StatusCode == HttpStatusCode.OK;
            }
            catch (HttpRequestException)
            {
                return false; // not listening yet
            }
        }, $"answer {info} with 200", cancellationToken);
        var agentStartMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var rssAtStart = (ProcReader.Read(agent.Id)?.RssKiB ?? 0) / 1024.0;

        Progress($"applying {options.Workloads} process workloads");
        for (var i = 0; i < options.Workloads; i++)
        {
            var spec = new JsonObject
            {
                ["kind"] = "Process",
                ["command"] = "sleep",
                ["args"] = new JsonArray("3600"),
                ["restartPolicy"] = "Always",
            };
            using var response = await client.PutAsJsonAsync(new Uri(agent.BaseAddress, $"self/v1/workloads/footprint-{i}"), spec, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new DriverException("The agent has no workload API (PUT /self/v1/workloads/{name} answered 404); run with --workloads 0 or an agent with the workload module.");
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new DriverException($"PUT workload footprint-{i} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }
        }
        if (options.Workloads > 0)
        {
            await PollAsync(agent, async () => (await SummaryAsync(client, agent, cancellationToken))?.Running == options.Workloads,
                $"run all {options.Workloads} workloads", cancellationToken, WorkloadsTimeout);
        }

        Progress($"settling {options.SettleSeconds} s, then sampling for {options.DurationSeconds} s");
        await Task.Delay(TimeSpan.FromSeconds(options.SettleSeconds), cancellationToken);
        agent.EnsureRunning("the settle time");
        var agentSeries = new FootprintSeries("the agent", agent.Id);
        var baselineSeries = new FootprintSeries("the idle baseline", baseline.Id);
        await FootprintSampler.SampleAsync([agentSeries, baselineSeries], options.DurationSeconds, TimeSpan.FromSeconds(1), cancellationToken);
        agent.EnsureRunning("sampling");
        var summary = await SummaryAsync(client, agent, cancellationToken);
        var entity = await EntityInBrokerAsync(client, agent, broker, cancellationToken);
        var native = !agentProgram.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            && !File.Exists(Path.Combine(Path.GetDirectoryName(agentProgram) ?? ".", "aeros.dll"));
        return new Result(agentSeries, baselineSeries, agentStartMs, baselineStartMs, rssAtStart,
            ProcReader.ReadRollup(agent.Id), ProcReader.ReadRollup(baseline.Id), summary?.Running, summary?.Restarts, entity, native);
    }

    /// <summary>
    /// Whether the agent's IE entity (the id in <c>/self/v1/info</c>) is in the broker: a published build that cannot
    /// serialize its entity (trimming, AOT) still answers its self-API, so its footprint alone would not show it.
    /// </summary>
    private static async Task<string> EntityInBrokerAsync(HttpClient client, ChildProcess agent, ChildProcess broker, CancellationToken cancellationToken)
    {
        var info = await client.GetFromJsonAsync<JsonObject>(new Uri(agent.BaseAddress, InfoPath), cancellationToken);
        if (info?["id"]?.GetValue<string>() is not { } id)
        {
            return "unknown (no id in /self/v1/info)";
        }
        using var response = await client.GetAsync(new Uri(broker.BaseAddress, "ngsi-ld/v1/entities/" + Uri.EscapeDataString(id)), cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return string.Create(CultureInfo.InvariantCulture, $"**no** (GET {id} answered {(int)response.StatusCode})");
        }
        var entity = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        return string.Create(CultureInfo.InvariantCulture, $"yes ({id}, {entity?.Count ?? 0} members)");
    }

    /// <summary>The workload summary of the agent, or null when it has no workload API (an agent without the module).</summary>
    private static async Task<(int Running, long Restarts)?> SummaryAsync(HttpClient client, ChildProcess agent, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(new Uri(agent.BaseAddress, "self/v1/workloads"), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        if (!response.IsSuccessStatusCode)
        {
            throw new DriverException($"GET /self/v1/workloads answered {(int)response.StatusCode}.");
        }
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        var summary = body?["summary"] as JsonObject ?? throw new DriverException("GET /self/v1/workloads has no summary object.");
        return ((int?)summary["running"] ?? -1, (long?)summary["restarts"] ?? -1);
    }

    /// <summary>Polls <paramref name="condition"/> every 5 ms until it holds; fails when the process exits or after the timeout.</summary>
    private static async Task PollAsync(ChildProcess process, Func<Task<bool>> condition, string what, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var limit = timeout ?? ReadyTimeout;
        var started = Stopwatch.GetTimestamp();
        while (!await condition())
        {
            process.EnsureRunning($"the wait for it to {what}");
            if (Stopwatch.GetElapsedTime(started) > limit)
            {
                throw new DriverException($"{process.Name} did not {what} within {limit.TotalSeconds:0} s.", process.RecentOutput);
            }
            await Task.Delay(StartPoll, cancellationToken);
        }
    }

    private string Report(string agentProgram, double[]? loadBefore, Result? r, string? failure)
    {
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("# Aeros agent footprint").AppendLine();
        md.AppendLine(inv, $"- Machine: {MachineInfo.Describe()}");
        md.AppendLine(string.Create(inv, $"- Run: {options.Workloads} process workloads (`sleep 3600`), {options.SettleSeconds} s settle, {options.DurationSeconds} samples at 1 s, ")
            + string.Create(inv, $"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        md.AppendLine(inv, $"- Agent: `{agentProgram}`{(options.AgentEnvironment.Count == 0 ? "" : " with " + string.Join(", ", options.AgentEnvironment.Select(e => $"`{e.Key}={e.Value}`")))}");
        if (loadBefore is not null)
        {
            md.AppendLine(string.Create(inv, $"- Load average before the run: {loadBefore[0]:0.00} {loadBefore[1]:0.00} {loadBefore[2]:0.00}")
                + (loadBefore[0] > Environment.ProcessorCount * 0.5 ? " (busy machine: CPU figures are inflated by contention)" : ""));
        }
        md.AppendLine();
        if (r is not null)
        {
            var rssTarget = r.Native ? NativeRssTargetMiB : RssTargetMiB;
            var a = r.Agent;
            var b = r.Baseline;
            var aRss = a.RssMiB.Order().ToArray();
            var bRss = b.RssMiB.Order().ToArray();
            var aCpu = a.CpuPercent.Order().ToArray();
            var bCpu = b.CpuPercent.Order().ToArray();
            md.AppendLine("| Measure | Agent | Baseline: idle .NET process | Agent / baseline | Target |");
            md.AppendLine("|---|---:|---:|---:|---|");
            md.AppendLine(inv, $"| RSS, mean (MiB) | {aRss.Average():0.0} | {bRss.Average():0.0} | {Ratio(aRss.Average(), bRss.Average())} | ≤ {rssTarget:0} MiB — {Met(aRss.Average() <= rssTarget)} |");
            md.AppendLine(inv, $"| RSS, max (MiB) | {aRss[^1]:0.0} | {bRss[^1]:0.0} | {Ratio(aRss[^1], bRss[^1])} | ≤ {rssTarget:0} MiB — {Met(aRss[^1] <= rssTarget)} |");
            md.AppendLine(inv, $"| CPU % of one core, mean of 1 s samples | {aCpu.Average():0.00} | {bCpu.Average():0.00} | {Ratio(aCpu.Average(), bCpu.Average())} | ≤ {CpuTargetPercent:0}% — {Met(aCpu.Average() <= CpuTargetPercent)} |");
            md.AppendLine(inv, $"| CPU % of one core, p95 of 1 s samples | {Pct(aCpu, 95):0.00} | {Pct(bCpu, 95):0.00} | – | – |");
            md.AppendLine(inv, $"| CPU % of one core, whole run (ticks / time) | {a.OverallCpuPercent:0.00} | {b.OverallCpuPercent:0.00} | – | – |");
            md.AppendLine(string.Create(inv, $"| Start: process start → ready (agent: `/self/v1/info` 200; baseline: Main ran) | {r.AgentStartMs:0} ms | {r.BaselineStartMs:0} ms | {Ratio(r.AgentStartMs, r.BaselineStartMs)} | ")
                + (r.Native ? string.Create(inv, $"≤ {NativeStartTargetMs:0} ms (NativeAOT) — {Met(r.AgentStartMs <= NativeStartTargetMs)}") : "– (≤ 100 ms is the NativeAOT target)") + " |");
            md.AppendLine(inv, $"| RSS right after start (MiB) | {r.AgentRssAtStartMiB:0.0} | – | – | – |");
            md.AppendLine(inv, $"| At end: PSS (MiB) | {Mib(r.AgentRollup?.PssKiB)} | {Mib(r.BaselineRollup?.PssKiB)} | – | – |");
            md.AppendLine(inv, $"| At end: private (MiB) | {Mib(r.AgentRollup?.PrivateKiB)} | {Mib(r.BaselineRollup?.PrivateKiB)} | – | – |");
            md.AppendLine(inv, $"| At end: RssAnon / RssFile / RssShmem (MiB) | {Mib(a.Last?.RssAnonKiB)} / {Mib(a.Last?.RssFileKiB)} / {Mib(a.Last?.RssShmemKiB)} | {Mib(b.Last?.RssAnonKiB)} / {Mib(b.Last?.RssFileKiB)} / {Mib(b.Last?.RssShmemKiB)} | – | – |");
            md.AppendLine(inv, $"| At end: threads | {a.Last?.Threads} | {b.Last?.Threads} | – | – |");
            md.AppendLine();
            md.AppendLine(r.RunningAtEnd is null
                ? "- This agent has no workload API (`/self/v1/workloads` answers 404)."
                : string.Create(inv, $"- Workloads running at the end: {r.RunningAtEnd} of {options.Workloads} ({r.RestartsAtEnd} restarts); they are the agent's children and not in its RSS."));
            md.AppendLine(inv, $"- The agent's IE entity in the broker at the end: {r.EntityInBroker}.");
            md.AppendLine("- RSS is VmRSS: it counts the shared runtime files the process maps in full; PSS divides them among the processes that map them. 1 MiB = 2^20 bytes (the aerOS \"MB\").");
            md.AppendLine("- CPU %: utime+stime delta over each 1 s interval (100 ticks/s, so one sample moves in steps of 1%); the whole-run figure is finer.");
        }
        if (failure is not null)
        {
            md.AppendLine().AppendLine(inv, $"**Driver failure**: {failure}");
        }
        return md.ToString();
    }

    private static string Met(bool met) => met ? "met" : "**missed**";

    private static string Ratio(double value, double baseline) =>
        baseline > 0 ? string.Create(CultureInfo.InvariantCulture, $"{value / baseline:0.00}×") : "–";

    private static string Mib(long? kib) => kib is { } k ? string.Create(CultureInfo.InvariantCulture, $"{k / 1024.0:0.0}") : "?";

    private static double Pct(double[] sorted, double percentile) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static void Progress(string what) => Console.Error.WriteLine($"agent-footprint: {what}");

    private static void DeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"warning: cannot delete {path}: {e.Message}");
        }
    }
}
