using Aeros.Agent.Awareness;

namespace Aeros.Agent.Tests.Awareness;

public sealed class ProcParsersTests
{
    private const string MemInfo = """
        MemTotal:       16314720 kB
        MemFree:         1234560 kB
        MemAvailable:    8157360 kB
        Buffers:          204800 kB
        Cached:          4096000 kB
        SwapCached:            0 kB
        HugePages_Total:       0
        """;

    [Fact]
    public void ParseMemInfo_Sample_ReadsBytes()
    {
        var mem = ProcParsers.ParseMemInfo(MemInfo);

        Assert.Equal(16314720L * 1024, mem.TotalBytes);
        Assert.Equal(8157360L * 1024, mem.AvailableBytes);
        Assert.Equal(1234560L * 1024, mem.FreeBytes);
    }

    [Fact]
    public void ParseMemInfo_NoMemAvailable_FallsBackToFreeBuffersCached()
    {
        var mem = ProcParsers.ParseMemInfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 30 kB\n");

        Assert.Equal(150L * 1024, mem.AvailableBytes);
    }

    [Fact]
    public void ParseStat_Sample_ReadsTotalAndEveryCpu()
    {
        const string stat = """
            cpu  4705 356 584 3699176 23060 0 277 12 0 0
            cpu0 1393280 32966 572056 13343292 6130 0 17875 5 0 0
            cpu1 1 2 3 4 5 6 7 8 0 0
            intr 114930548 113199788 3 0 5 263 0 4 [... lots more numbers ...]
            ctxt 1990473
            btime 1062191376
            """;

        var (total, perCpu) = ProcParsers.ParseStat(stat);

        Assert.Equal(new CpuTimes(4705, 356, 584, 3699176, 23060, 0, 277, 12), total);
        Assert.Equal(2, perCpu.Count);
        Assert.Equal(new CpuTimes(1, 2, 3, 4, 5, 6, 7, 8), perCpu[1]);
        Assert.Equal(36, perCpu[1].Total);
        Assert.Equal(36 - 4 - 5, perCpu[1].Busy);
    }

    [Fact]
    public void ParseNetDev_Sample_ReadsEveryInterface()
    {
        const string dev = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
                lo: 58740859991 104976608    0    0    0     0          0         0 58740859991 104976608    0    0    0     0       0          0
              eth0: 266076100    9425    3    4    0     0          0         0   549764    7304    5    6    0     0       0          0
            """;

        var devices = ProcParsers.ParseNetDev(dev);

        Assert.Equal(2, devices.Count);
        Assert.Equal(new NetDevCounters("eth0", 266076100, 9425, 3, 4, 549764, 7304, 5, 6), devices[1]);
        Assert.Equal(18, devices[1].Lost);
        Assert.Equal("lo", devices[0].Device);
    }

    [Fact]
    public void ParseDefaultRouteInterface_TwoDefaults_TakesLowestMetric()
    {
        const string route = """
            Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
            wlan0	00000000	0101A8C0	0003	0	0	600	00000000	0	0	0
            eth0	00000000	010200C0	0003	0	0	100	00000000	0	0	0
            eth0	000200C0	00000000	0001	0	0	0	00FFFFFF	0	0	0
            """;

        Assert.Equal("eth0", ProcParsers.ParseDefaultRouteInterface(route));
    }

    [Fact]
    public void ParseDefaultRouteInterface_NoDefaultRoute_IsNull()
    {
        const string route = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\neth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";

        Assert.Null(ProcParsers.ParseDefaultRouteInterface(route));
    }

    [Fact]
    public void ParseOsRelease_Quoted_ReturnsPrettyName()
    {
        Assert.Equal("Debian GNU/Linux 12 (bookworm)", ProcParsers.ParseOsRelease("NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n"));
        Assert.Equal("Alpine", ProcParsers.ParseOsRelease("NAME=Alpine\nID=alpine\n"));
    }

    [Fact]
    public void ParseCpuInfoMaxMhz_SeveralCpus_TakesHighest()
    {
        Assert.Equal(3400.5, ProcParsers.ParseCpuInfoMaxMhz("processor\t: 0\ncpu MHz\t\t: 2100.000\nprocessor\t: 1\ncpu MHz\t\t: 3400.500\n"));
        Assert.Null(ProcParsers.ParseCpuInfoMaxMhz("processor\t: 0\nBogoMIPS\t: 108.00\n"));
    }

    [Fact]
    public void ParseLoadAvg_Sample_ReadsThreeAverages()
    {
        Assert.Equal((1.55, 4.21, 4.06), ProcParsers.ParseLoadAvg("1.55 4.21 4.06 1/80 8249\n"));
        Assert.Null(ProcParsers.ParseLoadAvg("garbage"));
    }

    [Fact]
    public void FindMount_NestedMounts_TakesLongestPrefix()
    {
        const string mounts = """
            /dev/vda1 / ext4 rw,relatime 0 0
            tmpfs /tmp tmpfs rw 0 0
            /dev/vdb1 /var/lib ext4 rw 0 0
            /dev/vdc1 /var/lib/aeros\040data xfs rw 0 0
            """;

        Assert.Equal(("/dev/vdb1", "/var/lib", "ext4"), ProcParsers.FindMount(mounts, "/var/lib/aeros/agent"));
        Assert.Equal(("/dev/vdc1", "/var/lib/aeros data", "xfs"), ProcParsers.FindMount(mounts, "/var/lib/aeros data/x"));
        Assert.Equal(("/dev/vda1", "/", "ext4"), ProcParsers.FindMount(mounts, "/var/libx"));
    }
}
