using System.Runtime.InteropServices;

namespace Aeros.Benchmarks.BrokerLoad;

/// <summary>What the figures were measured on.</summary>
internal static class MachineInfo
{
    public static string Describe() =>
        $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture}), "
        + $"{RuntimeInformation.FrameworkDescription}, CPU {CpuModel() ?? "unknown"}";

    /// <summary>The 1, 5 and 15 minute load averages (from /proc/loadavg), or null if unknown.</summary>
    public static double[]? LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return [.. fields.Take(3).Select(f => double.Parse(f, System.Globalization.CultureInfo.InvariantCulture))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The type of the file system holding <paramref name="path"/> (from /proc/mounts), or null if unknown.</summary>
    public static string? FileSystemType(string path)
    {
        try
        {
            var full = Path.GetFullPath(path);
            string? best = null;
            var bestLength = -1;
            foreach (var line in File.ReadLines("/proc/mounts"))
            {
                var fields = line.Split(' ');
                if (fields.Length < 3)
                {
                    continue;
                }
                var mount = fields[1].Replace("\\040", " ", StringComparison.Ordinal);
                var covers = mount == "/" || full == mount || full.StartsWith(mount + "/", StringComparison.Ordinal);
                if (covers && mount.Length > bestLength)
                {
                    (best, bestLength) = (fields[2], mount.Length);
                }
            }
            return best;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
