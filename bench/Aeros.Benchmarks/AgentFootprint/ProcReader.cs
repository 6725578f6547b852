using System.Globalization;

namespace Aeros.Benchmarks.AgentFootprint;

/// <summary>One reading of a process from /proc: memory (KiB) and CPU time (clock ticks).</summary>
/// <param name="RssKiB">VmRSS of /proc/PID/status: resident pages, shared file mappings (the runtime's dlls) included.</param>
/// <param name="RssAnonKiB">RssAnon: anonymous memory (GC heap, JIT code, native allocations, stacks).</param>
/// <param name="RssFileKiB">RssFile: resident file-backed pages (mapped assemblies and native libraries).</param>
/// <param name="RssShmemKiB">RssShmem: resident shared memory; for .NET mostly the double-mapped executable memory of
/// W^X (JIT code and stubs mapped writable and executable through a memfd).</param>
/// <param name="CpuTicks">utime + stime of /proc/PID/stat, in clock ticks.</param>
/// <param name="Threads">num_threads of /proc/PID/stat.</param>
internal readonly record struct ProcReading(long RssKiB, long RssAnonKiB, long RssFileKiB, long RssShmemKiB, long CpuTicks, int Threads);

/// <summary>Proportional and private memory of a process (/proc/PID/smaps_rollup), in KiB.</summary>
/// <param name="PssKiB">Pss: shared pages divided among the processes that map them.</param>
/// <param name="PrivateKiB">Private_Clean + Private_Dirty: what the process alone holds.</param>
internal readonly record struct ProcRollup(long PssKiB, long PrivateKiB);

/// <summary>Reads the figures the footprint benchmark samples from /proc.</summary>
internal static class ProcReader
{
    /// <summary>
    /// USER_HZ, the unit of utime/stime in /proc/PID/stat. The kernel exports it as 100 on every architecture .NET
    /// runs on (it is part of the ABI, independent of the kernel's internal HZ).
    /// </summary>
    public const double TicksPerSecond = 100;

    /// <summary>The reading of process <paramref name="pid"/>, or null when it is gone or /proc cannot be read.</summary>
    public static ProcReading? Read(int pid)
    {
        try
        {
            long rss = -1, anon = -1, file = -1, shmem = -1;
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = KiB(line);
                }
                else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                {
                    anon = KiB(line);
                }
                else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
                {
                    file = KiB(line);
                }
                else if (line.StartsWith("RssShmem:", StringComparison.Ordinal))
                {
                    shmem = KiB(line);
                }
            }
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // The command name (field 2) is in parentheses and may hold spaces: the fields that follow start after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state): utime is field 14, stime 15, num_threads 20.
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            var threads = int.Parse(fields[17], CultureInfo.InvariantCulture);
            return rss < 0 ? null : new ProcReading(rss, anon, file, shmem, ticks, threads);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The smaps rollup of process <paramref name="pid"/>, or null when it cannot be read.</summary>
    public static ProcRollup? ReadRollup(int pid)
    {
        try
        {
            long pss = -1, privateClean = 0, privateDirty = 0;
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/smaps_rollup"))
            {
                if (line.StartsWith("Pss:", StringComparison.Ordinal))
                {
                    pss = KiB(line);
                }
                else if (line.StartsWith("Private_Clean:", StringComparison.Ordinal))
                {
                    privateClean = KiB(line);
                }
                else if (line.StartsWith("Private_Dirty:", StringComparison.Ordinal))
                {
                    privateDirty = KiB(line);
                }
            }
            return pss < 0 ? null : new ProcRollup(pss, privateClean + privateDirty);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The value of a "Name:   1234 kB" line.</summary>
    private static long KiB(string line)
    {
        var value = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        var space = value.IndexOf(' ', StringComparison.Ordinal);
        return long.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture);
    }
}
