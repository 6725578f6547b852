using System.Globalization;

namespace Aeros.Benchmarks.Gateway;

/// <summary>
/// CPU seconds (user + system) a set of processes used, read from <c>/proc/PID/stat</c>. On a machine shared with
/// other work, CPU time per request is a steadier figure than requests per second: it does not depend on how much of
/// the cores the other processes left over.
/// </summary>
internal sealed class ProcessCpu
{
    // USER_HZ: the unit of utime/stime in /proc/PID/stat; 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    private readonly int[] _pids;

    private ProcessCpu(int[] pids) => _pids = pids;

    /// <summary>The process <paramref name="pid"/> alone.</summary>
    public static ProcessCpu Of(int pid) => new([pid]);

    /// <summary><paramref name="pid"/> and its direct children (nginx: the master and its workers).</summary>
    public static ProcessCpu WithChildren(int pid)
    {
        var pids = new List<int> { pid };
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var child)
                && child != pid && TryReadStat(child, out var parent, out _) && parent == pid)
            {
                pids.Add(child);
            }
        }
        return new([.. pids]);
    }

    public int Count => _pids.Length;

    /// <summary>CPU seconds used so far by all the processes (a process that is gone counts 0).</summary>
    public double Seconds()
    {
        long ticks = 0;
        foreach (var pid in _pids)
        {
            if (TryReadStat(pid, out _, out var t))
            {
                ticks += t;
            }
        }
        return ticks / TicksPerSecond;
    }

    private static bool TryReadStat(int pid, out int parent, out long cpuTicks)
    {
        parent = 0;
        cpuTicks = 0;
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
        // "pid (comm) state ppid ... utime(14) stime(15)": comm may hold spaces and parentheses, so split after the last ')'.
        var close = text.LastIndexOf(')');
        if (close < 0)
        {
            return false;
        }
        var fields = text[(close + 2)..].Split(' ');
        // fields[0] is field 3 (state): field n is fields[n - 3].
        if (fields.Length < 13 || !int.TryParse(fields[1], CultureInfo.InvariantCulture, out parent)
            || !long.TryParse(fields[11], CultureInfo.InvariantCulture, out var user) || !long.TryParse(fields[12], CultureInfo.InvariantCulture, out var system))
        {
            return false;
        }
        cpuTicks = user + system;
        return true;
    }
}
