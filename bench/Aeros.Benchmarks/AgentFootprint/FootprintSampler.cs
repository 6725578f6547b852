using System.Diagnostics;
using Aeros.Benchmarks.BrokerLoad;

namespace Aeros.Benchmarks.AgentFootprint;

/// <summary>The samples of one process: RSS and CPU% of one core, one per interval.</summary>
internal sealed class FootprintSeries(string name, int pid)
{
    public string Name { get; } = name;
    public int Pid { get; } = pid;
    public List<double> RssMiB { get; } = [];
    public List<double> CpuPercent { get; } = [];
    public long TotalTicks { get; set; }
    public double TotalSeconds { get; set; }
    public ProcReading? Last { get; set; }

    /// <summary>CPU% of one core over the whole sampling time (ticks / time): finer than the 1-tick (1%) steps of one sample.</summary>
    public double OverallCpuPercent => TotalSeconds > 0 ? TotalTicks / ProcReader.TicksPerSecond / TotalSeconds * 100 : double.NaN;
}

/// <summary>
/// Samples several processes at the same moments: VmRSS, and CPU% of one core as the utime+stime delta over the
/// interval divided by the interval's wall time.
/// </summary>
internal static class FootprintSampler
{
    public static async Task SampleAsync(IReadOnlyList<FootprintSeries> series, int samples, TimeSpan interval, CancellationToken cancellationToken)
    {
        var previous = new ProcReading[series.Count];
        var at = Stopwatch.GetTimestamp();
        for (var i = 0; i < series.Count; i++)
        {
            previous[i] = Read(series[i]);
        }
        using var timer = new PeriodicTimer(interval);
        for (var n = 0; n < samples; n++)
        {
            // The wait is bounded by the interval; cancellation (Ctrl-C) ends it early.
            await timer.WaitForNextTickAsync(cancellationToken);
            var now = Stopwatch.GetTimestamp();
            var seconds = Stopwatch.GetElapsedTime(at, now).TotalSeconds;
            at = now;
            for (var i = 0; i < series.Count; i++)
            {
                var reading = Read(series[i]);
                var ticks = reading.CpuTicks - previous[i].CpuTicks;
                series[i].RssMiB.Add(reading.RssKiB / 1024.0);
                series[i].CpuPercent.Add(ticks / ProcReader.TicksPerSecond / seconds * 100);
                series[i].TotalTicks += ticks;
                series[i].TotalSeconds += seconds;
                series[i].Last = reading;
                previous[i] = reading;
            }
        }
    }

    private static ProcReading Read(FootprintSeries s) =>
        ProcReader.Read(s.Pid) ?? throw new DriverException($"{s.Name} (process {s.Pid}) is gone or /proc/{s.Pid} cannot be read.");
}
