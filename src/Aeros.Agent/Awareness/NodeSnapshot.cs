namespace Aeros.Agent.Awareness;

/// <summary>
/// What the agent knows about its node at one moment (self-awareness). Units follow the aerOS data model: MB
/// (2^20 bytes), %, MHz, MB/s, Mbps, W. A null number is unknown on this node (never −1).
/// </summary>
/// <param name="Timestamp">When the sample was taken.</param>
/// <param name="Hostname">The host name.</param>
/// <param name="IpAddress">Primary IPv4 address: the one of the default route's interface.</param>
/// <param name="MacAddress">MAC of the default route's interface (lower case, with colons).</param>
/// <param name="NetworkInterface">Name of the default route's interface.</param>
/// <param name="OperatingSystem">os-release PRETTY_NAME.</param>
/// <param name="Kernel">Kernel release (uname -r).</param>
/// <param name="CpuArchitecture">AMD64, ARM64, ARM32, ... (the aerOS CpuArchitecture enumeration).</param>
/// <param name="CpuCores">Logical CPUs.</param>
/// <param name="CpuFreqMax">Highest CPU frequency in MHz; null if the node does not say.</param>
/// <param name="CurrentCpuUsage">CPU busy % over the last sampling period (all CPUs).</param>
/// <param name="Load1">One-minute load average.</param>
/// <param name="RamCapacity">MemTotal in MB.</param>
/// <param name="AvailableRam">MemAvailable in MB.</param>
/// <param name="CurrentRamUsage">RamCapacity − AvailableRam in MB.</param>
/// <param name="CurrentRamUsagePct">CurrentRamUsage as % of RamCapacity.</param>
/// <param name="DiskCapacity">Size of the state directory's file system in MB.</param>
/// <param name="AvailableDisk">Space available to the agent there in MB.</param>
/// <param name="CurrentDiskUsage">DiskCapacity − AvailableDisk in MB.</param>
/// <param name="CurrentDiskUsagePct">CurrentDiskUsage as % of DiskCapacity.</param>
/// <param name="NetTrafficUp">Bytes sent per second over all non-loopback interfaces, in MB/s.</param>
/// <param name="NetTrafficDown">Bytes received per second over all non-loopback interfaces, in MB/s.</param>
/// <param name="NetSpeed">Link speed of the default route's interface in Mbps; null if the driver does not report it.</param>
/// <param name="NetLostPackages">Packets dropped or in error (both directions, non-loopback) during the last sampling period.</param>
/// <param name="NetLossPct">NetLostPackages as % of the packets of the period (0 when there was no traffic).</param>
/// <param name="RealTimeCapable">Whether the kernel is PREEMPT_RT.</param>
/// <param name="Gpu">Whether a GPU is present (/dev/nvidia*, or a DRM card whose vendor is NVIDIA, AMD or Intel).</param>
/// <param name="Location">Configured location, if any.</param>
/// <param name="Tier">Configured tier.</param>
/// <param name="CurrentPowerConsumption">Power draw in W (RAPL or the linear model, see <paramref name="PowerSource"/>).</param>
/// <param name="AvgPowerConsumption">Exponential moving average of the power draw in W.</param>
/// <param name="EnergyEfficiencyRatio">Share (0–1) of the power draw above the idle baseline, i.e. spent on work.</param>
/// <param name="PowerSource"><c>rapl</c> or <c>model</c>.</param>
public sealed record NodeSnapshot(
    DateTimeOffset Timestamp,
    string Hostname,
    string? IpAddress,
    string? MacAddress,
    string? NetworkInterface,
    string OperatingSystem,
    string Kernel,
    string CpuArchitecture,
    int CpuCores,
    double? CpuFreqMax,
    double CurrentCpuUsage,
    double? Load1,
    double RamCapacity,
    double AvailableRam,
    double CurrentRamUsage,
    double CurrentRamUsagePct,
    double? DiskCapacity,
    double? AvailableDisk,
    double? CurrentDiskUsage,
    double? CurrentDiskUsagePct,
    double NetTrafficUp,
    double NetTrafficDown,
    double? NetSpeed,
    long NetLostPackages,
    double NetLossPct,
    bool RealTimeCapable,
    bool Gpu,
    GeoLocation? Location,
    string Tier,
    double CurrentPowerConsumption,
    double AvgPowerConsumption,
    double EnergyEfficiencyRatio,
    string PowerSource);
