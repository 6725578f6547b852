using System.Globalization;
using Aeros.Abstractions.Continuum;
using Aeros.Agent.Awareness;
using Aeros.Agent.Diagnose;
using Aeros.Continuum;

namespace Aeros.Agent.Reporting;

/// <summary>
/// Builds the node's <see cref="InfrastructureElement"/> from a snapshot and its health: the full entity for a
/// registration, and the part that changes while the node runs for a report.
/// </summary>
internal static class IeEntity
{
    /// <summary>The last part of the LLO id of a node that runs processes only (no container runtime).</summary>
    public const string ProcessTechnology = "Process";

    /// <summary>The whole entity (registration).</summary>
    public static InfrastructureElement Full(AgentIdentity identity, NodeSnapshot s, HealthReport h, string? containerTechnology, DateTimeOffset now,
        string? selfApiUrl = null) =>
        Changing(identity, s, h, containerTechnology, now) with
        {
            SelfApiUrl = selfApiUrl,
            Domain = ContinuumIds.Domain(identity.Domain),
            Name = s.Hostname,
            MacAddress = s.MacAddress ?? identity.MacAddress,
            OperatingSystem = OperatingSystem.IsLinux() ? OperatingSystemFamily.Linux : OperatingSystem.IsMacOS() ? OperatingSystemFamily.MacOS : OperatingSystem.IsWindows() ? OperatingSystemFamily.Windows : null,
            CpuArchitecture = ContinuumEnumNames.TryParse<CpuArchitecture>(s.CpuArchitecture, out var arch) ? arch : null,
            CpuCores = s.CpuCores,
            CpuFreqMax = s.CpuFreqMax,
            RamCapacity = s.RamCapacity,
            DiskCapacity = s.DiskCapacity,
            NetSpeedUp = s.NetSpeed,
            NetSpeedDown = s.NetSpeed,
            Gpu = s.Gpu,
            RealTimeCapable = s.RealTimeCapable,
        };

    /// <summary>The attributes that change while the node runs (a report), with the heartbeat.</summary>
    public static InfrastructureElement Changing(AgentIdentity identity, NodeSnapshot s, HealthReport h, string? containerTechnology, DateTimeOffset now) => new()
    {
        Id = identity.IeId,
        Hostname = s.Hostname,
        InternalIpAddress = s.IpAddress,
        ContainerTechnology = ContinuumEnumNames.TryParse<ContainerTechnology>(containerTechnology, out var tech) ? tech : null,
        LowLevelOrchestrator = LowLevelOrchestratorId(identity.Domain, containerTechnology),
        Location = s.Location is { } l ? GeoGeometry.Point(l.Longitude, l.Latitude) : null,
        InfrastructureElementTier = ContinuumEnumNames.TryParse<InfrastructureElementTier>(s.Tier, out var tier) ? tier : null,
        InfrastructureElementStatus = ContinuumEnumNames.TryParse<InfrastructureElementStatus>(h.Status, out var status) ? status : null,
        CurrentCpuUsage = s.CurrentCpuUsage,
        AvailableRam = s.AvailableRam,
        CurrentRamUsage = s.CurrentRamUsage,
        CurrentRamUsagePct = s.CurrentRamUsagePct,
        AvailableDisk = s.AvailableDisk,
        CurrentDiskUsage = s.CurrentDiskUsage,
        CurrentDiskUsagePct = s.CurrentDiskUsagePct,
        NetTrafficUp = s.NetTrafficUp,
        NetTrafficDown = s.NetTrafficDown,
        NetLostPackages = s.NetLostPackages,
        CurrentPowerConsumption = s.CurrentPowerConsumption,
        AvgPowerConsumption = s.AvgPowerConsumption,
        EnergyEfficiencyRatio = s.EnergyEfficiencyRatio,
        HealthScore = h.Score,
        HealthBreakdown = h.Factors.Where(f => f.Value is not null).ToDictionary(f => f.Name, f => f.Value!.Value, StringComparer.Ordinal),
        Heartbeat = now,
    };

    /// <summary>
    /// <c>urn:ngsi-ld:LowLevelOrchestrator:&lt;domain&gt;:&lt;technology&gt;</c> of the runtime the node offers; a node
    /// without a container runtime names the domain's process LLO (<see cref="ProcessTechnology"/>).
    /// </summary>
    public static string LowLevelOrchestratorId(string domain, string? containerTechnology) =>
        ContinuumEnumNames.TryParse<ContainerTechnology>(containerTechnology, out var tech)
            ? ContinuumIds.LowLevelOrchestrator(domain, tech)
            : $"urn:ngsi-ld:LowLevelOrchestrator:{domain}:{ProcessTechnology}";

    /// <summary>What the next report is compared with: the values of the last accepted report.</summary>
    public sealed record Reported(double Cpu, double RamPct, double? DiskPct, double Power, int HealthBand, string Status,
        string Hostname, string? Ip, string Tier, string? Location, string? ContainerTechnology)
    {
        public static Reported From(NodeSnapshot s, HealthReport h, string? containerTechnology) => new(
            s.CurrentCpuUsage, s.CurrentRamUsagePct, s.CurrentDiskUsagePct, s.CurrentPowerConsumption, ReportingOptions.HealthBand(h.Score), h.Status,
            s.Hostname, s.IpAddress, s.Tier,
            s.Location is { } l ? string.Create(CultureInfo.InvariantCulture, $"{l.Latitude},{l.Longitude}") : null, containerTechnology);

        /// <summary>Why <paramref name="now"/> differs significantly from this report, or null when it does not.</summary>
        public string? SignificantChange(Reported now, ReportingOptions o)
        {
            if (now.Status != Status)
            {
                return $"status {Status} -> {now.Status}";
            }
            if (now.HealthBand != HealthBand)
            {
                return $"health band {HealthBand} -> {now.HealthBand}";
            }
            if (Math.Abs(now.Cpu - Cpu) >= o.CpuDelta)
            {
                return Inv($"CPU {Cpu:0.#} % -> {now.Cpu:0.#} %");
            }
            if (Math.Abs(now.RamPct - RamPct) >= o.RamDelta)
            {
                return Inv($"RAM {RamPct:0.#} % -> {now.RamPct:0.#} %");
            }
            if (now.DiskPct is { } disk && (DiskPct is not { } was || Math.Abs(disk - was) >= o.DiskDelta))
            {
                return Inv($"disk {DiskPct:0.#} % -> {disk:0.#} %");
            }
            if (Math.Abs(now.Power - Power) >= Math.Max(Power, 1) * o.PowerDelta / 100)
            {
                return Inv($"power {Power:0.#} W -> {now.Power:0.#} W");
            }
            if (now.Hostname != Hostname || now.Ip != Ip || now.Tier != Tier || now.Location != Location || now.ContainerTechnology != ContainerTechnology)
            {
                return "identity, tier, location or runtime changed";
            }
            return null;
        }

        private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
    }
}
