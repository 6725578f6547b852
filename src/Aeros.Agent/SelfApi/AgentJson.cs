using System.Text.Json.Nodes;
using Aeros.Agent.Awareness;
using Aeros.Agent.Diagnose;

namespace Aeros.Agent.SelfApi;

/// <summary>The JSON shapes of the self-API. Attribute names follow the aerOS InfrastructureElement model.</summary>
internal static class AgentJson
{
    public static JsonObject Snapshot(NodeSnapshot s) => new()
    {
        ["timestamp"] = s.Timestamp.ToString("O"),
        ["hostname"] = s.Hostname,
        ["internalIpAddress"] = s.IpAddress,
        ["macAddress"] = s.MacAddress,
        ["networkInterface"] = s.NetworkInterface,
        ["currentCpuUsage"] = s.CurrentCpuUsage,
        ["load1"] = s.Load1,
        ["ramCapacity"] = s.RamCapacity,
        ["availableRam"] = s.AvailableRam,
        ["currentRamUsage"] = s.CurrentRamUsage,
        ["currentRamUsagePct"] = s.CurrentRamUsagePct,
        ["diskCapacity"] = s.DiskCapacity,
        ["availableDisk"] = s.AvailableDisk,
        ["currentDiskUsage"] = s.CurrentDiskUsage,
        ["currentDiskUsagePct"] = s.CurrentDiskUsagePct,
        ["netTrafficUp"] = s.NetTrafficUp,
        ["netTrafficDown"] = s.NetTrafficDown,
        ["netSpeedUp"] = s.NetSpeed,
        ["netSpeedDown"] = s.NetSpeed,
        ["netLostPackages"] = s.NetLostPackages,
        ["netLossPct"] = s.NetLossPct,
        ["currentPowerConsumption"] = s.CurrentPowerConsumption,
        ["avgPowerConsumption"] = s.AvgPowerConsumption,
        ["energyEfficiencyRatio"] = s.EnergyEfficiencyRatio,
        ["powerSource"] = s.PowerSource,
        ["location"] = Location(s.Location),
        ["infrastructureElementTier"] = s.Tier,
    };

    public static JsonObject Info(AgentIdentity id, NodeCollector node, NodeSnapshot? latest, AgentConfig config) => new()
    {
        ["id"] = id.IeId,
        ["type"] = "InfrastructureElement",
        ["domain"] = id.Domain,
        ["domainId"] = "urn:ngsi-ld:Domain:" + id.Domain,
        ["broker"] = id.Broker?.AbsoluteUri,
        ["agentVersion"] = AgentIdentity.Version,
        ["startedAt"] = id.StartedAt.ToString("O"),
        ["hostname"] = latest?.Hostname ?? id.Hostname,
        ["internalIpAddress"] = latest?.IpAddress,
        ["macAddress"] = latest?.MacAddress ?? id.MacAddress,
        ["operatingSystem"] = node.OperatingSystem,
        ["kernel"] = node.Kernel,
        ["cpuArchitecture"] = node.CpuArchitecture,
        ["cpuArchitectureUrn"] = "urn:ngsi-ld:CpuArchitecture:" + node.CpuArchitecture,
        ["cpuCores"] = node.CpuCores,
        ["cpuFreqMax"] = node.CpuFreqMax,
        ["realTimeCapable"] = node.RealTimeCapable,
        ["gpu"] = node.Gpu,
        ["powerSource"] = node.PowerSource,
        ["infrastructureElementTier"] = config.Tier,
        ["infrastructureElementTierUrn"] = "urn:ngsi-ld:InfrastructureElementTier:" + config.Tier,
        ["location"] = Location(config.Location),
        ["stateDirectory"] = node.StateDirectory,
    };

    public static JsonObject Health(HealthReport r) => new()
    {
        ["timestamp"] = r.Timestamp.ToString("O"),
        ["healthScore"] = r.Score,
        ["infrastructureElementStatus"] = r.Status,
        ["infrastructureElementStatusUrn"] = r.StatusUrn,
        ["reasons"] = new JsonArray(r.Reasons.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
        ["factors"] = new JsonArray(r.Factors.Select(f => (JsonNode?)new JsonObject
        {
            ["name"] = f.Name,
            ["value"] = f.Value,
            ["weight"] = f.Weight,
            ["effectiveWeight"] = f.EffectiveWeight,
            ["input"] = f.Input,
        }).ToArray()),
    };

    public static JsonObject Config(AgentConfig c) => new()
    {
        ["samplingPeriod"] = c.SamplingPeriod.TotalSeconds,
        ["location"] = Location(c.Location),
        ["tier"] = c.Tier,
        ["maintenance"] = c.Maintenance,
        ["weights"] = new JsonObject
        {
            ["cpu"] = c.Weights.Cpu,
            ["memory"] = c.Weights.Memory,
            ["disk"] = c.Weights.Disk,
            ["network"] = c.Weights.Network,
            ["workloads"] = c.Weights.Workloads,
            ["broker"] = c.Weights.Broker,
        },
        ["thresholds"] = new JsonObject
        {
            ["cpuGood"] = c.Thresholds.CpuGood,
            ["cpuBad"] = c.Thresholds.CpuBad,
            ["memoryGood"] = c.Thresholds.MemoryGood,
            ["memoryBad"] = c.Thresholds.MemoryBad,
            ["diskGood"] = c.Thresholds.DiskGood,
            ["diskBad"] = c.Thresholds.DiskBad,
            ["networkLossGood"] = c.Thresholds.NetworkLossGood,
            ["networkLossBad"] = c.Thresholds.NetworkLossBad,
            ["workloadFailureBad"] = c.Thresholds.WorkloadFailureBad,
            ["overloadCpu"] = c.Thresholds.OverloadCpu,
            ["overloadMemory"] = c.Thresholds.OverloadMemory,
            ["overloadScore"] = c.Thresholds.OverloadScore,
            ["zeroFactorCap"] = c.Thresholds.ZeroFactorCap,
        },
    };

    private static JsonObject? Location(GeoLocation? l) => l is null ? null : new JsonObject
    {
        ["type"] = "Point",
        ["coordinates"] = new JsonArray(l.Longitude, l.Latitude),
        ["latitude"] = l.Latitude,
        ["longitude"] = l.Longitude,
    };
}
