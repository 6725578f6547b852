using Aeros.Agent.Awareness;
using Aeros.Agent.Diagnose;
using Aeros.Agent.Reporting;
using Aeros.Agent.SelfApi.Transport;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Agent.Metrics;

/// <summary>
/// <c>GET /metrics</c>: node metrics under node_exporter's names, read from <c>/proc</c> at scrape time as
/// node_exporter does (so counters are exact, not sampled), plus the agent's <c>aeros_*</c> metrics.
/// </summary>
internal static class PrometheusMetrics
{
    public const string Path = "/metrics";

    private static readonly string[] CpuModes = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"];

    /// <summary>The <c>GET /metrics</c> route.</summary>
    public static IReadOnlyList<SelfApiRoute> Routes { get; } =
    [
        new("GET", Path, request =>
        {
            var s = request.Services;
            var text = Write(HostFiles.Real, s.GetRequiredService<NodeSampler>(), s.GetRequiredService<ISelfDiagnosis>(),
                s.GetRequiredService<IDiagnoseInputs>(), s.GetRequiredService<AgentIdentity>(), s.GetService<ReportingStats>());
            return ValueTask.FromResult(SelfApiResponse.Text(200, PrometheusText.ContentType, text));
        }),
    ];

    internal static string Write(HostFiles files, NodeSampler sampler, ISelfDiagnosis diagnosis, IDiagnoseInputs inputs, AgentIdentity identity,
        ReportingStats? reporting = null)
    {
        var p = new PrometheusText();
        if (files.ReadText("/proc/stat") is { } stat)
        {
            var (_, perCpu) = ProcParsers.ParseStat(stat);
            p.Family("node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode.");
            for (var cpu = 0; cpu < perCpu.Count; cpu++)
            {
                var t = perCpu[cpu];
                Span<long> ticks = [t.User, t.Nice, t.System, t.Idle, t.IoWait, t.Irq, t.SoftIrq, t.Steal];
                var label = cpu.ToString(System.Globalization.CultureInfo.InvariantCulture);
                for (var m = 0; m < CpuModes.Length; m++)
                {
                    p.Sample("node_cpu_seconds_total", ticks[m] / ProcParsers.TicksPerSecond, ("cpu", label), ("mode", CpuModes[m]));
                }
            }
        }
        if (files.ReadText("/proc/meminfo") is { } memText)
        {
            var mem = ProcParsers.ParseMemInfo(memText);
            p.Family("node_memory_MemTotal_bytes", "gauge", "Memory information field MemTotal_bytes.").Sample("node_memory_MemTotal_bytes", mem.TotalBytes);
            p.Family("node_memory_MemAvailable_bytes", "gauge", "Memory information field MemAvailable_bytes.").Sample("node_memory_MemAvailable_bytes", mem.AvailableBytes);
            p.Family("node_memory_MemFree_bytes", "gauge", "Memory information field MemFree_bytes.").Sample("node_memory_MemFree_bytes", mem.FreeBytes);
        }
        if (files.ReadText("/proc/loadavg") is { } loadText && ProcParsers.ParseLoadAvg(loadText) is { } load)
        {
            p.Family("node_load1", "gauge", "1m load average.").Sample("node_load1", load.One);
            p.Family("node_load5", "gauge", "5m load average.").Sample("node_load5", load.Five);
            p.Family("node_load15", "gauge", "15m load average.").Sample("node_load15", load.Fifteen);
        }
        WriteFilesystem(p, files, sampler.Collector.StateDirectory);
        if (files.ReadText("/proc/net/dev") is { } netText)
        {
            var devices = ProcParsers.ParseNetDev(netText);
            p.Family("node_network_receive_bytes_total", "counter", "Network device statistic receive_bytes.");
            foreach (var d in devices)
            {
                p.Sample("node_network_receive_bytes_total", d.RxBytes, ("device", d.Device));
            }
            p.Family("node_network_transmit_bytes_total", "counter", "Network device statistic transmit_bytes.");
            foreach (var d in devices)
            {
                p.Sample("node_network_transmit_bytes_total", d.TxBytes, ("device", d.Device));
            }
            p.Family("node_network_receive_drop_total", "counter", "Network device statistic receive_drop.");
            foreach (var d in devices)
            {
                p.Sample("node_network_receive_drop_total", d.RxDrops, ("device", d.Device));
            }
            p.Family("node_network_transmit_drop_total", "counter", "Network device statistic transmit_drop.");
            foreach (var d in devices)
            {
                p.Sample("node_network_transmit_drop_total", d.TxDrops, ("device", d.Device));
            }
        }

        var collector = sampler.Collector;
        p.Family("aeros_agent_info", "gauge", "Identity of the Aeros agent; the value is always 1.")
            .Sample("aeros_agent_info", 1, ("ie_id", identity.IeId), ("domain", identity.Domain), ("version", AgentIdentity.Version),
                ("architecture", collector.CpuArchitecture), ("power_source", collector.PowerSource));
        if (diagnosis.Current() is { } health)
        {
            p.Family("aeros_health_score", "gauge", "Health score of the node in [0,1] (see docs/agent.md).").Sample("aeros_health_score", health.Score);
            p.Family("aeros_health_factor", "gauge", "Normalised health factor in [0,1]; 1 is healthy. Unknown factors are absent.");
            foreach (var f in health.Factors)
            {
                if (f.Value is { } v)
                {
                    p.Sample("aeros_health_factor", v, ("factor", f.Name));
                }
            }
            p.Family("aeros_node_status", "gauge", "1 for the node's current infrastructureElementStatus.").Sample("aeros_node_status", 1, ("status", health.Status));
        }
        if (sampler.Latest is { } latest)
        {
            p.Family("aeros_power_watts", "gauge", "Power draw of the node in watts (RAPL or the linear CPU model).").Sample("aeros_power_watts", latest.CurrentPowerConsumption, ("source", latest.PowerSource));
            p.Family("aeros_power_average_watts", "gauge", "Exponential moving average of the power draw in watts.").Sample("aeros_power_average_watts", latest.AvgPowerConsumption);
            p.Family("aeros_energy_efficiency_ratio", "gauge", "Share of the power draw above the idle baseline (0-1).").Sample("aeros_energy_efficiency_ratio", latest.EnergyEfficiencyRatio);
            p.Family("aeros_cpu_usage_percent", "gauge", "CPU busy percent over the last sampling period.").Sample("aeros_cpu_usage_percent", latest.CurrentCpuUsage);
        }
        var w = inputs.Workloads;
        p.Family("aeros_workloads", "gauge", "Workloads managed by the agent, by state.")
            .Sample("aeros_workloads", w.Total, ("state", "total"))
            .Sample("aeros_workloads", w.Running, ("state", "running"))
            .Sample("aeros_workloads", w.Failed, ("state", "failed"))
            .Sample("aeros_workloads", w.CrashLooping, ("state", "crashlooping"));
        p.Family("aeros_workload_restarts_total", "counter", "Workload restarts since the agent started.").Sample("aeros_workload_restarts_total", w.Restarts);
        p.Family("aeros_broker_reachable", "gauge", "1 if the domain broker answered the last request, 0 if not, -1 while unknown.")
            .Sample("aeros_broker_reachable", inputs.Broker switch { BrokerReachability.Reachable => 1, BrokerReachability.Unreachable => 0, _ => -1 });
        if (reporting is not null)
        {
            WriteReporting(p, reporting);
        }
        return p.ToString();
    }

    private static void WriteReporting(PrometheusText p, ReportingStats r)
    {
        var kinds = Enum.GetValues<ReportKind>();
        p.Family("aeros_reports_total", "counter", "Reports of the IE entity the broker accepted, by kind (registration = full upsert).");
        foreach (var kind in kinds)
        {
            p.Sample("aeros_reports_total", r.Reports(kind), ("kind", KindLabel(kind)));
        }
        p.Family("aeros_report_attributes_total", "counter", "Attributes sent in accepted reports, by kind.");
        foreach (var kind in kinds)
        {
            p.Sample("aeros_report_attributes_total", r.Attributes(kind), ("kind", KindLabel(kind)));
        }
        p.Family("aeros_report_bytes_total", "counter", "Request body bytes of accepted reports, by kind.");
        foreach (var kind in kinds)
        {
            p.Sample("aeros_report_bytes_total", r.Bytes(kind), ("kind", KindLabel(kind)));
        }
        p.Family("aeros_report_full_bytes", "gauge", "Body bytes of the last full upsert (the cost of one report of a fixed-period full-report scheme).")
            .Sample("aeros_report_full_bytes", r.FullReportBytes);
        p.Family("aeros_report_failures_total", "counter", "Reports the broker did not accept (no answer or an error answer).").Sample("aeros_report_failures_total", r.Failures);
        p.Family("aeros_broker_registration_attempts_total", "counter", "Attempts to register the IE entity (first one and retries during outages).")
            .Sample("aeros_broker_registration_attempts_total", r.RegistrationAttempts);
        p.Family("aeros_broker_outages_total", "counter", "Times the broker became unreachable for the reporter.").Sample("aeros_broker_outages_total", r.Outages);
    }

    private static string KindLabel(ReportKind kind) => kind switch
    {
        ReportKind.Registration => "registration",
        ReportKind.Change => "change",
        ReportKind.Interval => "interval",
        _ => "heartbeat",
    };

    private static void WriteFilesystem(PrometheusText p, HostFiles files, string stateDirectory)
    {
        DriveInfo drive;
        long size, avail, free;
        try
        {
            drive = new DriveInfo(stateDirectory);
            (size, avail, free) = (drive.TotalSize, drive.AvailableFreeSpace, drive.TotalFreeSpace);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return;
        }
        var mount = files.ReadText("/proc/self/mounts") is { } mounts ? ProcParsers.FindMount(mounts, stateDirectory) : null;
        (string, string)[] labels = [("device", mount?.Device ?? ""), ("fstype", mount?.FsType ?? ""), ("mountpoint", mount?.MountPoint ?? stateDirectory)];
        p.Family("node_filesystem_size_bytes", "gauge", "Filesystem size in bytes.").Sample("node_filesystem_size_bytes", size, labels);
        p.Family("node_filesystem_avail_bytes", "gauge", "Filesystem space available to non-root users in bytes.").Sample("node_filesystem_avail_bytes", avail, labels);
        p.Family("node_filesystem_free_bytes", "gauge", "Filesystem free space in bytes.").Sample("node_filesystem_free_bytes", free, labels);
    }
}
