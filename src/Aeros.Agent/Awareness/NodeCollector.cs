using System.Globalization;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Aeros.Agent.Awareness;

/// <summary>
/// Reads the node from <c>/proc</c> and <c>/sys</c> and turns counters into rates between two calls of
/// <see cref="Sample"/>. Facts that do not change while the node runs (OS, kernel, architecture, CPU frequency,
/// PREEMPT_RT, GPU) are read once. Not thread-safe: one sampler calls it.
/// </summary>
internal sealed class NodeCollector
{
    private const double MB = 1024 * 1024;
    private static readonly TimeSpan IdentityRefresh = TimeSpan.FromSeconds(10);

    private readonly HostFiles _files;
    private readonly string _stateDirectory;
    private readonly PowerMeter _power;
    private CpuTimes _lastCpu;
    private (long Rx, long Tx, long Lost, long Packets) _lastNet;
    private DateTimeOffset _lastTime;
    private (string? Interface, string? Ip, string? Mac, double? Speed, string Hostname) _identity;
    private DateTimeOffset _identityTime;

    public NodeCollector(HostFiles files, string stateDirectory, double idleWatts, double maxWatts, TimeSpan powerAverageWindow, DateTimeOffset now)
    {
        _files = files;
        _stateDirectory = Path.GetFullPath(stateDirectory);
        _power = new PowerMeter(files, idleWatts, maxWatts, powerAverageWindow);
        OperatingSystem = files.ReadText("/etc/os-release") is { } osRelease ? ProcParsers.ParseOsRelease(osRelease) ?? "Linux" : "Linux";
        Kernel = files.ReadText("/proc/sys/kernel/osrelease")?.Trim() ?? Environment.OSVersion.Version.ToString();
        CpuArchitecture = ArchitectureName(RuntimeInformation.OSArchitecture);
        var stat = files.ReadText("/proc/stat");
        var perCpu = stat is null ? 0 : ProcParsers.ParseStat(stat).PerCpu.Count;
        CpuCores = perCpu > 0 ? perCpu : Environment.ProcessorCount;
        CpuFreqMax = ReadCpuFreqMax(files);
        RealTimeCapable = IsRealTime(files);
        Gpu = HasGpu(files);
        // A first reading so that the first sample already has rates over a period.
        (_lastCpu, _lastNet) = (ReadCpu(), ReadNet().Totals);
        _lastTime = now;
    }

    public string OperatingSystem { get; }

    public string Kernel { get; }

    public string CpuArchitecture { get; }

    public int CpuCores { get; }

    public double? CpuFreqMax { get; }

    public bool RealTimeCapable { get; }

    public bool Gpu { get; }

    public string PowerSource => _power.Source;

    /// <summary>The state directory whose file system is reported as the disk.</summary>
    public string StateDirectory => _stateDirectory;

    /// <summary>Takes a snapshot at <paramref name="now"/>, with rates over the time since the previous one.</summary>
    public NodeSnapshot Sample(DateTimeOffset now, AgentConfig config)
    {
        var seconds = Math.Max((now - _lastTime).TotalSeconds, 1e-3);
        var cpu = ReadCpu();
        var totalTicks = cpu.Total - _lastCpu.Total;
        var cpuUsage = totalTicks > 0 ? Math.Clamp(100.0 * (cpu.Busy - _lastCpu.Busy) / totalTicks, 0, 100) : 0;
        var (net, _) = ReadNet();
        var lost = Math.Max(0, net.Lost - _lastNet.Lost);
        var packets = Math.Max(0, net.Packets - _lastNet.Packets);
        var up = Math.Max(0, net.Tx - _lastNet.Tx) / MB / seconds;
        var down = Math.Max(0, net.Rx - _lastNet.Rx) / MB / seconds;
        _lastCpu = cpu;
        _lastNet = net;
        _lastTime = now;

        var mem = _files.ReadText("/proc/meminfo") is { } memText ? ProcParsers.ParseMemInfo(memText) : default;
        var ramTotal = mem.TotalBytes / MB;
        var ramAvailable = mem.AvailableBytes / MB;
        var ramUsed = Math.Max(0, ramTotal - ramAvailable);
        var (diskTotal, diskAvailable) = ReadDisk();
        double? diskUsed = diskTotal is { } t && diskAvailable is { } a ? Math.Max(0, t - a) : null;
        double? diskPct = diskTotal > 0 && diskUsed is { } u ? 100 * u / diskTotal.Value : null;
        var load = _files.ReadText("/proc/loadavg") is { } loadText ? ProcParsers.ParseLoadAvg(loadText)?.One : null;
        if (now - _identityTime >= IdentityRefresh || _identityTime == default)
        {
            _identity = ReadIdentity();
            _identityTime = now;
        }
        var (power, average, ratio) = _power.Measure(now, cpuUsage);
        return new NodeSnapshot(
            now, _identity.Hostname, _identity.Ip, _identity.Mac, _identity.Interface, OperatingSystem, Kernel, CpuArchitecture, CpuCores, CpuFreqMax,
            Round(cpuUsage), load, Round(ramTotal), Round(ramAvailable), Round(ramUsed), ramTotal > 0 ? Round(100 * ramUsed / ramTotal) : 0,
            diskTotal is null ? null : Round(diskTotal.Value), diskAvailable is null ? null : Round(diskAvailable.Value),
            diskUsed is null ? null : Round(diskUsed.Value), diskPct is null ? null : Round(diskPct.Value),
            Round(up, 4), Round(down, 4), _identity.Speed, lost, packets + lost > 0 ? Round(100.0 * lost / (packets + lost), 4) : 0,
            RealTimeCapable, Gpu, config.Location, config.Tier, Round(power), Round(average), Round(ratio, 4), _power.Source);
    }

    /// <summary>The aerOS CpuArchitecture name of a .NET architecture.</summary>
    public static string ArchitectureName(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "AMD64",
        Architecture.Arm64 => "ARM64",
        Architecture.Arm or Architecture.Armv6 => "ARM32",
        Architecture.LoongArch64 => "LOONG64",
        Architecture.Ppc64le => "PPC64LE",
        Architecture.RiscV64 => "RISC-V",
        Architecture.S390x => "S390X",
        Architecture.X86 => "386",
        _ => architecture.ToString().ToUpperInvariant(),
    };

    internal static double? ReadCpuFreqMax(HostFiles files)
    {
        double? max = null;
        foreach (var cpu in files.Glob("/sys/devices/system/cpu", "cpu*"))
        {
            if (files.ReadText(cpu + "/cpufreq/cpuinfo_max_freq") is { } text
                && long.TryParse(text.AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var khz)
                && (max is null || khz / 1000.0 > max))
            {
                max = khz / 1000.0;
            }
        }
        return max ?? (files.ReadText("/proc/cpuinfo") is { } cpuinfo ? ProcParsers.ParseCpuInfoMaxMhz(cpuinfo) : null);
    }

    internal static bool IsRealTime(HostFiles files) =>
        files.ReadText("/sys/kernel/realtime")?.Trim() == "1"
        || (files.ReadText("/proc/sys/kernel/version")?.Contains("PREEMPT_RT", StringComparison.Ordinal) ?? false);

    internal static bool HasGpu(HostFiles files)
    {
        if (files.Glob("/dev", "nvidia*").Any(p => p.Length > "/dev/nvidia".Length && char.IsDigit(p[^1])))
        {
            return true;
        }
        // PCI vendors of GPUs: NVIDIA, AMD, Intel. Virtual display adapters (virtio, QXL, ...) are not GPUs.
        return files.Glob("/sys/class/drm", "card*")
            .Select(card => files.ReadText(card + "/device/vendor")?.Trim())
            .Any(vendor => vendor is "0x10de" or "0x1002" or "0x8086");
    }

    private CpuTimes ReadCpu() => _files.ReadText("/proc/stat") is { } text ? ProcParsers.ParseStat(text).Total : default;

    private ((long Rx, long Tx, long Lost, long Packets) Totals, IReadOnlyList<NetDevCounters> Devices) ReadNet()
    {
        var devices = _files.ReadText("/proc/net/dev") is { } text ? ProcParsers.ParseNetDev(text) : [];
        long rx = 0, tx = 0, lost = 0, packets = 0;
        foreach (var d in devices)
        {
            if (d.Device == "lo")
            {
                continue;
            }
            rx += d.RxBytes;
            tx += d.TxBytes;
            lost += d.Lost;
            packets += d.Packets;
        }
        return ((rx, tx, lost, packets), devices);
    }

    private (double? Total, double? Available) ReadDisk()
    {
        try
        {
            Directory.CreateDirectory(_stateDirectory);
            var drive = new DriveInfo(_stateDirectory);
            return (drive.TotalSize / MB, drive.AvailableFreeSpace / MB);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return (null, null);
        }
    }

    private (string? Interface, string? Ip, string? Mac, double? Speed, string Hostname) ReadIdentity()
    {
        var hostname = _files.ReadText("/proc/sys/kernel/hostname")?.Trim() is { Length: > 0 } h ? h : Environment.MachineName;
        var iface = _files.ReadText("/proc/net/route") is { } route ? ProcParsers.ParseDefaultRouteInterface(route) : null;
        if (iface is null)
        {
            return (null, null, null, null, hostname);
        }
        var mac = _files.ReadText($"/sys/class/net/{iface}/address")?.Trim().ToLowerInvariant();
        double? speed = _files.ReadText($"/sys/class/net/{iface}/speed") is { } s
            && double.TryParse(s.AsSpan().Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var mbps) && mbps > 0 ? mbps : null;
        string? ip = null;
        try
        {
            var nic = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == iface);
            ip = nic?.GetIPProperties().UnicastAddresses.FirstOrDefault(a => a.Address.AddressFamily == AddressFamily.InterNetwork)?.Address.ToString();
        }
        catch (NetworkInformationException)
        {
        }
        return (iface, ip, mac, speed, hostname);
    }

    private static double Round(double value, int digits = 2) => Math.Round(value, digits, MidpointRounding.AwayFromZero);
}
