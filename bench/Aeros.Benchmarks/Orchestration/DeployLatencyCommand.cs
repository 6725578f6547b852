using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;
using Aeros.Benchmarks.BrokerLoad;

namespace Aeros.Benchmarks.Orchestration;

/// <summary>
/// <c>deploy-latency</c>: on a one-domain local continuum, N one-component process services in a row, each measured from
/// the HLO request to its ServiceComponent <c>Running</c> in the broker, then deleted. The baseline, in the same run:
/// the same process started directly through one agent's workload API (PUT → the agent reports it Running).
/// </summary>
internal static class DeployLatencyCommand
{
    private static readonly TimeSpan PollPeriod = TimeSpan.FromMilliseconds(10);

    public static async Task<int> RunAsync(string[] args)
    {
        var options = OrchestrationBenchOptions.Parse(args, "--count", out var error);
        if (options is null)
        {
            if (error is not null)
            {
                Console.Error.WriteLine("deploy-latency: " + error.Replace("\n", "\ndeploy-latency: ", StringComparison.Ordinal));
            }
            Console.Error.WriteLine(OrchestrationBenchOptions.Usage("deploy-latency", "--count"));
            return error is null ? 0 : 2;
        }
        return await Cancellable.RunAsync("deploy-latency", async token =>
        {
            try
            {
                return await RunAsync(options, token);
            }
            catch (DriverException e)
            {
                Console.Error.WriteLine($"deploy-latency: {e.Message}");
                if (e.Output is { Length: > 0 } details)
                {
                    Console.Error.WriteLine(details);
                }
                return 1;
            }
        });
    }

    private static async Task<int> RunAsync(OrchestrationBenchOptions options, CancellationToken cancellationToken)
    {
        var aeros = await BrokerProcess.ResolveAsync(options.AerosPath, cancellationToken);
        var load = MachineInfo.LoadAverage();
        Console.Error.WriteLine($"deploy-latency: starting a continuum of 1 domain x {options.Ies} IEs…");
        await using var continuum = await BenchContinuum.StartAsync(aeros, options.Ies, options.BasePort, options.StartTimeout, cancellationToken);
        await continuum.WaitForIesAsync(options.StartTimeout, cancellationToken);

        var deploys = new List<double>();
        for (var i = 0; i < options.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var serviceId = string.Create(CultureInfo.InvariantCulture, $"urn:ngsi-ld:Service:latency-{i}");
            var componentId = ContinuumIds.ServiceComponent(serviceId, "sleeper");
            var started = Stopwatch.GetTimestamp();
            await continuum.SubmitAsync(serviceId, BenchContinuum.Sleeper("sleeper"), cancellationToken);
            var (_, at) = await continuum.WaitForComponentAsync(componentId, c => c.ServiceComponentStatus == ServiceComponentStatus.Running
                || c.ServiceComponentStatus == ServiceComponentStatus.Failed, PollPeriod, options.TrialTimeout, $"deployment {i}", cancellationToken);
            var component = await continuum.Broker.GetAsync<ServiceComponent>(componentId, cancellationToken);
            if (component?.ServiceComponentStatus == ServiceComponentStatus.Failed)
            {
                throw new DriverException($"deployment {i} Failed: {component.StatusReason}");
            }
            deploys.Add(Stopwatch.GetElapsedTime(started, at).TotalSeconds);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"deploy-latency: {serviceId} Running after {deploys[^1]:0.000} s"));
            await continuum.DeleteAsync(serviceId, options.TrialTimeout, cancellationToken);
        }

        // Baseline: the same process through one agent directly, no HLO, broker or LLO in the path.
        var (agentUrl, _, _) = continuum.Agents.Values.First();
        var direct = new List<double>();
        for (var i = 0; i < options.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var url = new Uri(agentUrl.TrimEnd('/') + string.Create(CultureInfo.InvariantCulture, $"/self/v1/workloads/baseline-{i}"));
            var spec = new JsonObject { ["kind"] = "Process", ["command"] = "/bin/sleep", ["args"] = new JsonArray("3600") };
            var started = Stopwatch.GetTimestamp();
            using (var put = await continuum.Http.PutAsync(url, new StringContent(spec.ToJsonString(), Encoding.UTF8, "application/json"), cancellationToken))
            {
                if (put.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.OK))
                {
                    throw new DriverException($"the baseline PUT answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync(cancellationToken)}");
                }
            }
            while (true)
            {
                var status = JsonNode.Parse(await continuum.Http.GetStringAsync(url, cancellationToken));
                if ((string?)status?["state"] == "Running")
                {
                    break;
                }
                if (Stopwatch.GetElapsedTime(started) > options.TrialTimeout)
                {
                    throw new DriverException($"baseline {i} not Running within {options.TrialTimeout.TotalSeconds:0} s: {status?.ToJsonString()}");
                }
                await Task.Delay(PollPeriod, cancellationToken);
            }
            direct.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
            using (await continuum.Http.DeleteAsync(url, cancellationToken))
            {
            }
        }

        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(inv, $"### deploy-latency ({options.Count} services in a row, 1 domain × {options.Ies} IEs, process workload `/bin/sleep`)");
        md.AppendLine();
        md.AppendLine(inv, $"- Machine: {MachineInfo.Describe()}");
        md.AppendLine(inv, $"- Load average before: {(load is null ? "unknown" : string.Join(" / ", load.Select(l => l.ToString("0.00", inv))))}");
        md.AppendLine("- Measured: `POST /hlo/v1/services/{id}` → its ServiceComponent `Running` in the broker (polled every 10 ms); baseline: `PUT /self/v1/workloads/{name}` on one agent → the agent reports `Running`");
        md.AppendLine();
        md.AppendLine("| Figure | HLO → LLO → agent | Agent directly (baseline) | Ratio |");
        md.AppendLine("|---|---|---|---|");
        foreach (var (name, p) in new[] { ("p50", 0.5), ("p99", 0.99) })
        {
            var a = FailoverCommand.Percentile(deploys, p);
            var b = FailoverCommand.Percentile(direct, p);
            md.AppendLine(inv, $"| {name} | {a * 1000:0} ms | {b * 1000:0.0} ms | {a / b:0.0}× |");
        }
        Console.WriteLine(md.ToString());
        return 0;
    }
}
