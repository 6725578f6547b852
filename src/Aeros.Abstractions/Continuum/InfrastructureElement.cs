namespace Aeros.Abstractions.Continuum;

/// <summary>
/// One node of the continuum (<c>InfrastructureElement</c>); id <see cref="ContinuumIds.InfrastructureElement"/>.
/// Units follow the aerOS self-awareness service: memory and disk in MB, usage in %, frequency in MHz, link speed in
/// Mbps, traffic in MB/s, power in W. A number that is not known is null (never −1).
/// </summary>
public sealed record InfrastructureElement : ContinuumEntity
{
    /// <summary>The domain (Relationship, a Domain URN).</summary>
    public string? Domain { get; init; }

    /// <summary>Host name.</summary>
    public string? Hostname { get; init; }

    /// <summary>IP address of the main interface.</summary>
    public string? InternalIpAddress { get; init; }

    /// <summary>MAC address of the main interface (with colons).</summary>
    public string? MacAddress { get; init; }

    /// <summary>The low-level orchestrator that runs its workloads (Relationship).</summary>
    public string? LowLevelOrchestrator { get; init; }

    /// <summary>Operating system family.</summary>
    public OperatingSystemFamily? OperatingSystem { get; init; }

    /// <summary>CPU architecture (Relationship to <c>urn:ngsi-ld:CpuArchitecture:*</c>).</summary>
    public CpuArchitecture? CpuArchitecture { get; init; }

    /// <summary>State (Relationship to <c>urn:ngsi-ld:InfrastructureElementStatus:*</c>).</summary>
    public InfrastructureElementStatus? InfrastructureElementStatus { get; init; }

    /// <summary>Tier (Relationship to <c>urn:ngsi-ld:InfrastructureElementTier:*</c>).</summary>
    public InfrastructureElementTier? InfrastructureElementTier { get; init; }

    /// <summary>Available workload runtime.</summary>
    public ContainerTechnology? ContainerTechnology { get; init; }

    /// <summary>Trust score in [0, 1].</summary>
    public double? TrustScore { get; init; }

    /// <summary>Number of CPU cores.</summary>
    public int? CpuCores { get; init; }

    /// <summary>Highest CPU frequency, MHz.</summary>
    public double? CpuFreqMax { get; init; }

    /// <summary>CPU usage, %.</summary>
    public double? CurrentCpuUsage { get; init; }

    /// <summary>Total memory, MB.</summary>
    public double? RamCapacity { get; init; }

    /// <summary>Available memory, MB.</summary>
    public double? AvailableRam { get; init; }

    /// <summary>Used memory, MB.</summary>
    public double? CurrentRamUsage { get; init; }

    /// <summary>Used memory, %.</summary>
    public double? CurrentRamUsagePct { get; init; }

    /// <summary>Whether a GPU is present.</summary>
    public bool? Gpu { get; init; }

    /// <summary>GPU memory, MB.</summary>
    public double? GpuMemory { get; init; }

    /// <summary>Disk kind.</summary>
    public DiskType? DiskType { get; init; }

    /// <summary>Disk capacity, MB.</summary>
    public double? DiskCapacity { get; init; }

    /// <summary>Available disk, MB.</summary>
    public double? AvailableDisk { get; init; }

    /// <summary>Used disk, MB.</summary>
    public double? CurrentDiskUsage { get; init; }

    /// <summary>Used disk, %.</summary>
    public double? CurrentDiskUsagePct { get; init; }

    /// <summary>Uplink speed, Mbps.</summary>
    public double? NetSpeedUp { get; init; }

    /// <summary>Downlink speed, Mbps.</summary>
    public double? NetSpeedDown { get; init; }

    /// <summary>Outgoing traffic, MB/s.</summary>
    public double? NetTrafficUp { get; init; }

    /// <summary>Incoming traffic, MB/s.</summary>
    public double? NetTrafficDown { get; init; }

    /// <summary>Lost (dropped or erroneous) packets since boot.</summary>
    public long? NetLostPackages { get; init; }

    /// <summary>Average power consumption, W.</summary>
    public double? AvgPowerConsumption { get; init; }

    /// <summary>Current power consumption, W.</summary>
    public double? CurrentPowerConsumption { get; init; }

    /// <summary>The power source (Relationship).</summary>
    public string? PowerSource { get; init; }

    /// <summary>Energy efficiency in [0, 1].</summary>
    public double? EnergyEfficiencyRatio { get; init; }

    /// <summary>Whether the element runs a real-time kernel.</summary>
    public bool? RealTimeCapable { get; init; }

    /// <summary>Health score in [0, 1] (self-diagnose composite indicator).</summary>
    public double? HealthScore { get; init; }

    /// <summary>The parts of <see cref="HealthScore"/> by indicator name, each in [0, 1].</summary>
    public IReadOnlyDictionary<string, double>? HealthBreakdown { get; init; }

    /// <summary>When the agent last reported (orchestrators detect a lost element by its age).</summary>
    public DateTimeOffset? Heartbeat { get; init; }

    /// <summary>Aeros extension: base URL of the element's agent self-API (<c>/self/v1</c> lies under it), used by the LLO.</summary>
    public string? SelfApiUrl { get; init; }

    /// <summary>
    /// Aeros extension, written by the domain's LLO (never by the agent): false once the element's heartbeat is older
    /// than the LLO's grace, true again when it is back (after a flap hold); null while no LLO has judged it.
    /// </summary>
    public bool? Reachable { get; init; }

    /// <summary>Aeros extension, written by the LLO: when the element was marked unreachable; absent while it is reachable.</summary>
    public DateTimeOffset? UnreachableSince { get; init; }
}
