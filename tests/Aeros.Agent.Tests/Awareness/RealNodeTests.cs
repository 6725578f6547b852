using System.Diagnostics;
using System.Globalization;
using Aeros.Agent.Awareness;

namespace Aeros.Agent.Tests.Awareness;

/// <summary>The collector on this machine, checked against /proc, /sys and coreutils read independently here.</summary>
public sealed class RealNodeTests : IDisposable
{
    private readonly string _state = Path.Combine(Path.GetTempPath(), "aeros-agent-real-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_state, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public void Sample_ThisNode_MatchesProcAndSys()
    {
        var collector = new NodeCollector(HostFiles.Real, _state, 10, 50, TimeSpan.FromSeconds(60), DateTimeOffset.UnixEpoch);
        var snapshot = collector.Sample(DateTimeOffset.UnixEpoch.AddSeconds(1), NodeCollectorTests.Config());

        var meminfo = File.ReadAllLines("/proc/meminfo").ToDictionary(l => l[..l.IndexOf(':')], l => long.Parse(l[(l.IndexOf(':') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture));
        Assert.Equal(Math.Round(meminfo["MemTotal"] / 1024.0, 2), snapshot.RamCapacity);
        Assert.InRange(snapshot.AvailableRam, (meminfo["MemAvailable"] / 1024.0) - (0.05 * snapshot.RamCapacity), (meminfo["MemAvailable"] / 1024.0) + (0.05 * snapshot.RamCapacity));
        Assert.Equal(Math.Round(snapshot.RamCapacity - snapshot.AvailableRam, 2), snapshot.CurrentRamUsage, 0.02);

        var cpus = File.ReadAllLines("/proc/stat").Count(l => l.StartsWith("cpu", StringComparison.Ordinal) && l.Length > 3 && char.IsDigit(l[3]));
        Assert.Equal(cpus, snapshot.CpuCores);
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/hostname").Trim(), snapshot.Hostname);
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), snapshot.Kernel);
        Assert.Equal(Run("uname", "-m").Trim() switch { "x86_64" => "AMD64", "aarch64" => "ARM64", "armv7l" => "ARM32", var other => other.ToUpperInvariant() }, snapshot.CpuArchitecture);

        var defaultRoute = File.ReadAllLines("/proc/net/route").Skip(1).Select(l => l.Split('\t', StringSplitOptions.TrimEntries))
            .FirstOrDefault(f => f.Length > 7 && f[1] == "00000000" && f[7] == "00000000");
        if (defaultRoute is not null)
        {
            Assert.Equal(defaultRoute[0], snapshot.NetworkInterface);
            Assert.Equal(File.ReadAllText($"/sys/class/net/{defaultRoute[0]}/address").Trim(), snapshot.MacAddress);
        }

        // df reports 1K blocks of the file system holding the state directory.
        var df = Run("df", "-k", "--output=size,avail", _state).Split('\n', StringSplitOptions.RemoveEmptyEntries)[1]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => long.Parse(v, CultureInfo.InvariantCulture) / 1024.0).ToArray();
        Assert.Equal(df[0], snapshot.DiskCapacity!.Value, 1.0);
        Assert.InRange(snapshot.AvailableDisk!.Value, df[1] - 256, df[1] + 256);
        Assert.Equal(100 * snapshot.CurrentDiskUsage!.Value / snapshot.DiskCapacity.Value, snapshot.CurrentDiskUsagePct!.Value, 0.02);
    }

    [Fact]
    public async Task Sample_CpuUsage_MatchesProcStatOverTheSameWindow()
    {
        var before = ReadStat();
        var collector = new NodeCollector(HostFiles.Real, _state, 10, 50, TimeSpan.FromSeconds(60), DateTimeOffset.UnixEpoch);
        // The measurement window, not a wait for a condition: both readings span these 500 ms.
        await Task.Delay(500);
        var snapshot = collector.Sample(DateTimeOffset.UnixEpoch.AddSeconds(0.5), NodeCollectorTests.Config());
        var after = ReadStat();

        var busy = (after.Busy - before.Busy) * 100.0 / (after.Total - before.Total);
        Assert.InRange(snapshot.CurrentCpuUsage, busy - 20, busy + 20);
        Assert.InRange(snapshot.CurrentCpuUsage, 0, 100);
    }

    private static (long Busy, long Total) ReadStat()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Sum();
        return (total - fields[3] - fields[4], total);
    }

    private static string Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(10_000))
        {
            process.Kill();
            throw new TimeoutException($"{file} did not exit within 10 s");
        }
        return output;
    }
}
