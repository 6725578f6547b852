using Aeros.Agent.Awareness;

namespace Aeros.Agent.Tests.Awareness;

/// <summary>The collector on a fake node tree: every value is computed from files written here.</summary>
public sealed class NodeCollectorTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly FakeNode _node = new();
    private readonly string _state = Path.Combine(Path.GetTempPath(), "aeros-agent-state-" + Guid.NewGuid().ToString("N"));

    public NodeCollectorTests()
    {
        _node.Write("/proc/stat", "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\ncpu1 50 0 50 400 0 0 0 0 0 0\n")
            .Write("/proc/meminfo", "MemTotal: 2097152 kB\nMemFree: 524288 kB\nMemAvailable: 1572864 kB\n")
            .Write("/proc/net/dev", NetDev(eth0Rx: 1_000_000, eth0Tx: 500_000, eth0Packets: 1000, lost: 0, loRx: 5_000_000))
            .Write("/proc/net/route", "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\neth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n")
            .Write("/sys/class/net/eth0/address", "AA:BB:CC:00:11:22\n")
            .Write("/sys/class/net/eth0/speed", "1000\n")
            .Write("/proc/sys/kernel/hostname", "edge-7\n")
            .Write("/proc/sys/kernel/osrelease", "6.1.0-rt\n")
            .Write("/proc/sys/kernel/version", "#1 SMP PREEMPT_RT Debian\n")
            .Write("/etc/os-release", "PRETTY_NAME=\"Test OS 1\"\n")
            .Write("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", "2400000\n")
            .Write("/sys/devices/system/cpu/cpu1/cpufreq/cpuinfo_max_freq", "3600000\n")
            .Write("/proc/loadavg", "0.50 0.40 0.30 1/100 42\n");
    }

    public void Dispose()
    {
        _node.Dispose();
        try
        {
            Directory.Delete(_state, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public void Sample_CountersAdvance_ComputesUsageAndRates()
    {
        var collector = new NodeCollector(_node.Files, _state, idleWatts: 10, maxWatts: 50, TimeSpan.FromSeconds(60), T0);
        // +300 busy and +100 idle ticks: 75 % busy. eth0 +2 MiB down, +1 MiB up over 2 s; loopback traffic is ignored.
        _node.Write("/proc/stat", "cpu  250 0 250 900 0 0 0 0 0 0\ncpu0 1 0 1 1 0 0 0 0 0 0\ncpu1 1 0 1 1 0 0 0 0 0 0\n")
            .Write("/proc/net/dev", NetDev(eth0Rx: 1_000_000 + 2 * 1048576, eth0Tx: 500_000 + 1048576, eth0Packets: 1096, lost: 4, loRx: 9_000_000));

        var s = collector.Sample(T0.AddSeconds(2), Config());

        Assert.Equal(75, s.CurrentCpuUsage);
        Assert.Equal(1, s.NetTrafficDown);
        Assert.Equal(0.5, s.NetTrafficUp);
        Assert.Equal(4, s.NetLostPackages);
        Assert.Equal(4, s.NetLossPct); // 4 lost of 96 delivered + 4 lost
        Assert.Equal(2048, s.RamCapacity);
        Assert.Equal(1536, s.AvailableRam);
        Assert.Equal(512, s.CurrentRamUsage);
        Assert.Equal(25, s.CurrentRamUsagePct);
        Assert.Equal("edge-7", s.Hostname);
        Assert.Equal("eth0", s.NetworkInterface);
        Assert.Equal("aa:bb:cc:00:11:22", s.MacAddress);
        Assert.Equal(1000, s.NetSpeed);
        Assert.Equal(0.5, s.Load1);
        Assert.Equal("Test OS 1", s.OperatingSystem);
        Assert.Equal("6.1.0-rt", s.Kernel);
        Assert.Equal(2, s.CpuCores);
        Assert.Equal(3600, s.CpuFreqMax);
        Assert.True(s.RealTimeCapable);
        Assert.False(s.Gpu);
        Assert.Equal("model", s.PowerSource);
        Assert.Equal(10 + (40 * 0.75), s.CurrentPowerConsumption);
        Assert.Equal(0.75, s.EnergyEfficiencyRatio);
        Assert.NotNull(s.DiskCapacity);
        Assert.Equal(T0.AddSeconds(2), s.Timestamp);
    }

    [Fact]
    public void Sample_CounterReset_NeverNegative()
    {
        var collector = new NodeCollector(_node.Files, _state, 10, 50, TimeSpan.FromSeconds(60), T0);
        _node.Write("/proc/net/dev", NetDev(eth0Rx: 10, eth0Tx: 10, eth0Packets: 1, lost: 0, loRx: 0));

        var s = collector.Sample(T0.AddSeconds(1), Config());

        Assert.Equal(0, s.NetTrafficDown);
        Assert.Equal(0, s.NetTrafficUp);
        Assert.Equal(0, s.NetLostPackages);
    }

    [Fact]
    public void CpuFreqMax_NoCpufreq_FallsBackToCpuinfo()
    {
        using var node = new FakeNode();
        node.Write("/proc/cpuinfo", "processor\t: 0\ncpu MHz\t\t: 1800.000\n");

        using var empty = new FakeNode();

        Assert.Equal(1800, NodeCollector.ReadCpuFreqMax(node.Files));
        Assert.Null(NodeCollector.ReadCpuFreqMax(empty.Files));
    }

    [Fact]
    public void HasGpu_NvidiaDeviceOrGpuVendor_True()
    {
        using var nvidia = new FakeNode();
        nvidia.Write("/dev/nvidia0", "");
        using var amd = new FakeNode();
        amd.Write("/sys/class/drm/card0/device/vendor", "0x1002\n");
        using var virtio = new FakeNode();
        virtio.Write("/sys/class/drm/card0/device/vendor", "0x1af4\n").Write("/dev/nvidiactl", "");

        Assert.True(NodeCollector.HasGpu(nvidia.Files));
        Assert.True(NodeCollector.HasGpu(amd.Files));
        Assert.False(NodeCollector.HasGpu(virtio.Files));
    }

    [Fact]
    public void IsRealTime_SysKernelRealtime_True()
    {
        using var node = new FakeNode();
        Assert.False(NodeCollector.IsRealTime(node.Files));
        node.Write("/sys/kernel/realtime", "1\n");
        Assert.True(NodeCollector.IsRealTime(node.Files));
    }

    [Theory]
    [InlineData(System.Runtime.InteropServices.Architecture.X64, "AMD64")]
    [InlineData(System.Runtime.InteropServices.Architecture.Arm64, "ARM64")]
    [InlineData(System.Runtime.InteropServices.Architecture.Arm, "ARM32")]
    [InlineData(System.Runtime.InteropServices.Architecture.RiscV64, "RISC-V")]
    [InlineData(System.Runtime.InteropServices.Architecture.S390x, "S390X")]
    [InlineData(System.Runtime.InteropServices.Architecture.Ppc64le, "PPC64LE")]
    public void ArchitectureName_DotnetArchitecture_AerosName(System.Runtime.InteropServices.Architecture architecture, string expected) =>
        Assert.Equal(expected, NodeCollector.ArchitectureName(architecture));

    internal static AgentConfig Config() => new AgentOptions().ToConfig();

    private static string NetDev(long eth0Rx, long eth0Tx, long eth0Packets, long lost, long loRx) => $"""
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo: {loRx} 10 0 0 0 0 0 0 {loRx} 10 0 0 0 0 0 0
          eth0: {eth0Rx} {eth0Packets / 2} {lost / 2} 0 0 0 0 0 {eth0Tx} {eth0Packets / 2} 0 {lost - (lost / 2)} 0 0 0 0
        """;
}
