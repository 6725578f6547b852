using System.Globalization;

namespace Aeros.Agent.Awareness;

/// <summary>Memory figures from <c>/proc/meminfo</c>, in bytes.</summary>
internal readonly record struct MemInfo(long TotalBytes, long AvailableBytes, long FreeBytes);

/// <summary>Jiffy counters of one <c>cpu</c> line of <c>/proc/stat</c> (in USER_HZ ticks).</summary>
internal readonly record struct CpuTimes(long User, long Nice, long System, long Idle, long IoWait, long Irq, long SoftIrq, long Steal)
{
    /// <summary>All ticks; guest time is already counted in user/nice, so it is left out as the kernel does.</summary>
    public long Total => User + Nice + System + Idle + IoWait + Irq + SoftIrq + Steal;

    /// <summary>Ticks the CPU did not wait idle.</summary>
    public long Busy => Total - Idle - IoWait;
}

/// <summary>Counters of one interface in <c>/proc/net/dev</c>.</summary>
internal readonly record struct NetDevCounters(string Device, long RxBytes, long RxPackets, long RxErrors, long RxDrops, long TxBytes, long TxPackets, long TxErrors, long TxDrops)
{
    public long Lost => RxErrors + RxDrops + TxErrors + TxDrops;

    public long Packets => RxPackets + TxPackets;
}

/// <summary>
/// Parsers of the Linux <c>/proc</c> and <c>/sys</c> text formats the agent reads. Pure functions over the text so that
/// they are tested against fixed samples; a malformed line is skipped rather than failing a whole sample.
/// </summary>
internal static class ProcParsers
{
    /// <summary>The USER_HZ of <c>/proc/stat</c>: 100 on every Linux architecture .NET runs on.</summary>
    public const double TicksPerSecond = 100;

    public static MemInfo ParseMemInfo(string text)
    {
        long total = 0, available = -1, free = 0, buffers = 0, cached = 0;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }
            var key = line[..colon];
            var rest = line[(colon + 1)..].Trim();
            var space = rest.IndexOf(' ');
            var number = space < 0 ? rest : rest[..space];
            if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var kb))
            {
                continue;
            }
            var bytes = kb * 1024;
            switch (key)
            {
                case "MemTotal": total = bytes; break;
                case "MemAvailable": available = bytes; break;
                case "MemFree": free = bytes; break;
                case "Buffers": buffers = bytes; break;
                case "Cached": cached = bytes; break;
            }
        }
        // Kernels before 3.14 have no MemAvailable; free + buffers + page cache is the classic approximation.
        return new MemInfo(total, available >= 0 ? available : free + buffers + cached, free);
    }

    /// <summary>The aggregate <c>cpu</c> line and every <c>cpuN</c> line (index = N).</summary>
    public static (CpuTimes Total, IReadOnlyList<CpuTimes> PerCpu) ParseStat(string text)
    {
        var total = default(CpuTimes);
        var perCpu = new List<CpuTimes>();
        Span<long> values = stackalloc long[8];
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            if (!line.StartsWith("cpu"))
            {
                continue;
            }
            values.Clear();
            var fields = 0;
            var label = default(ReadOnlySpan<char>);
            var index = 0;
            foreach (var range in line.Split(' '))
            {
                var field = line[range];
                if (field.IsEmpty)
                {
                    continue;
                }
                if (index++ == 0)
                {
                    label = field;
                    continue;
                }
                if (fields < 8 && long.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                {
                    values[fields++] = v;
                }
            }
            if (fields < 4)
            {
                continue;
            }
            var times = new CpuTimes(values[0], values[1], values[2], values[3], values[4], values[5], values[6], values[7]);
            if (label.SequenceEqual("cpu"))
            {
                total = times;
            }
            else if (int.TryParse(label[3..], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                while (perCpu.Count <= n)
                {
                    perCpu.Add(default);
                }
                perCpu[n] = times;
            }
        }
        return (total, perCpu);
    }

    public static IReadOnlyList<NetDevCounters> ParseNetDev(string text)
    {
        var result = new List<NetDevCounters>();
        Span<long> v = stackalloc long[16];
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }
            var device = line[..colon].Trim().ToString();
            var n = 0;
            var rest = line[(colon + 1)..];
            foreach (var range in rest.Split(' '))
            {
                var field = rest[range];
                if (field.IsEmpty)
                {
                    continue;
                }
                if (n >= 16 || !long.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out v[n]))
                {
                    break;
                }
                n++;
            }
            if (n < 16)
            {
                continue;
            }
            result.Add(new NetDevCounters(device, v[0], v[1], v[2], v[3], v[8], v[9], v[10], v[11]));
        }
        return result;
    }

    /// <summary>The interface of the default route (destination 0.0.0.0, mask 0, lowest metric) in <c>/proc/net/route</c>.</summary>
    public static string? ParseDefaultRouteInterface(string text)
    {
        string? best = null;
        var bestMetric = long.MaxValue;
        Span<Range> ranges = stackalloc Range[12];
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            var fields = SplitWhitespace(line, ranges);
            if (fields < 8 || line[ranges[1]].SequenceEqual("Destination"))
            {
                continue;
            }
            var isDefault = line[ranges[1]].SequenceEqual("00000000") && line[ranges[7]].SequenceEqual("00000000");
            // Flags: RTF_UP (0x1) must be set.
            var up = int.TryParse(line[ranges[3]], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var flags) && (flags & 1) == 1;
            if (isDefault && up && long.TryParse(line[ranges[6]], NumberStyles.None, CultureInfo.InvariantCulture, out var metric) && metric < bestMetric)
            {
                best = line[ranges[0]].ToString();
                bestMetric = metric;
            }
        }
        return best;
    }

    /// <summary><c>PRETTY_NAME</c> of an os-release file (quotes removed), else <c>NAME</c>.</summary>
    public static string? ParseOsRelease(string text)
    {
        string? name = null;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            var eq = line.IndexOf('=');
            if (eq <= 0)
            {
                continue;
            }
            var value = line[(eq + 1)..].Trim().Trim('"').Trim('\'').ToString();
            if (line[..eq].SequenceEqual("PRETTY_NAME"))
            {
                return value;
            }
            if (line[..eq].SequenceEqual("NAME"))
            {
                name = value;
            }
        }
        return name;
    }

    /// <summary>The highest <c>cpu MHz</c> in <c>/proc/cpuinfo</c>, or null when there is none (e.g. on most ARM boards).</summary>
    public static double? ParseCpuInfoMaxMhz(string text)
    {
        double? max = null;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            if (!line.StartsWith("cpu MHz"))
            {
                continue;
            }
            var colon = line.IndexOf(':');
            if (colon > 0 && double.TryParse(line[(colon + 1)..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var mhz) && (max is null || mhz > max))
            {
                max = mhz;
            }
        }
        return max;
    }

    /// <summary>The three load averages of <c>/proc/loadavg</c>.</summary>
    public static (double One, double Five, double Fifteen)? ParseLoadAvg(string text)
    {
        Span<Range> ranges = stackalloc Range[6];
        var span = text.AsSpan();
        if (SplitWhitespace(span, ranges) < 3)
        {
            return null;
        }
        var ok = double.TryParse(span[ranges[0]], NumberStyles.Float, CultureInfo.InvariantCulture, out var one)
            & double.TryParse(span[ranges[1]], NumberStyles.Float, CultureInfo.InvariantCulture, out var five)
            & double.TryParse(span[ranges[2]], NumberStyles.Float, CultureInfo.InvariantCulture, out var fifteen);
        return ok ? (one, five, fifteen) : null;
    }

    /// <summary>
    /// The mount (device, mount point, file system type) in <c>/proc/self/mounts</c> that holds <paramref name="path"/>:
    /// the longest mount point that is a prefix of it.
    /// </summary>
    public static (string Device, string MountPoint, string FsType)? FindMount(string mountsText, string path)
    {
        (string, string, string)? best = null;
        var bestLength = -1;
        Span<Range> ranges = stackalloc Range[8];
        foreach (var line in mountsText.AsSpan().EnumerateLines())
        {
            if (SplitWhitespace(line, ranges) < 3)
            {
                continue;
            }
            // Spaces in mount points are written as \040.
            var mountPoint = line[ranges[1]].ToString().Replace("\\040", " ", StringComparison.Ordinal);
            var contains = mountPoint == "/" || path == mountPoint || path.StartsWith(mountPoint + "/", StringComparison.Ordinal);
            if (contains && mountPoint.Length >= bestLength)
            {
                best = (line[ranges[0]].ToString(), mountPoint, line[ranges[2]].ToString());
                bestLength = mountPoint.Length;
            }
        }
        return best;
    }

    /// <summary>Splits on spaces and tabs, skipping empty fields; returns how many fields were found (at most <c>ranges.Length</c>).</summary>
    internal static int SplitWhitespace(ReadOnlySpan<char> line, Span<Range> ranges)
    {
        var count = 0;
        var i = 0;
        while (i < line.Length && count < ranges.Length)
        {
            while (i < line.Length && (line[i] == ' ' || line[i] == '\t'))
            {
                i++;
            }
            if (i >= line.Length)
            {
                break;
            }
            var start = i;
            while (i < line.Length && line[i] != ' ' && line[i] != '\t')
            {
                i++;
            }
            ranges[count++] = new Range(start, i);
        }
        return count;
    }
}
