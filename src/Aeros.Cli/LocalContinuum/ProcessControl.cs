using System.Globalization;
using System.Runtime.InteropServices;

namespace Aeros.Cli.LocalContinuum;

/// <summary>Signals and liveness of processes by id (Linux: kill(2), /proc).</summary>
internal static partial class ProcessControl
{
    public const int Sigterm = 15;
    public const int Sigkill = 9;

    /// <summary>Sends <paramref name="signal"/>; false when the process does not exist (or is not ours).</summary>
    public static bool Signal(int pid, int signal) => pid > 0 && Kill(pid, signal) == 0;

    /// <summary>
    /// Whether <paramref name="pid"/> is alive and, when <paramref name="startTicks"/> is known, still the same
    /// process (same kernel start time), so a recycled pid is never signalled.
    /// </summary>
    public static bool IsAlive(int pid, long? startTicks)
    {
        if (pid <= 0)
        {
            return false;
        }
        var ticks = StartTicks(pid);
        return ticks is not null && (startTicks is null || ticks == startTicks);
    }

    /// <summary>The kernel start time of <paramref name="pid"/> in clock ticks (field 22 of /proc/pid/stat); null if it does not exist or is a zombie.</summary>
    public static long? StartTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"));
            // The command name (field 2) may contain spaces and parentheses: count the fields after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[0] is "Z" or "X" ? null : long.Parse(fields[19], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>
    /// Stops the process <paramref name="pid"/> (if still the one started at <paramref name="startTicks"/>): SIGTERM,
    /// up to <paramref name="grace"/> for it to exit, then SIGKILL. True when it had to be killed.
    /// </summary>
    public static async Task<bool> StopAsync(int pid, long? startTicks, TimeSpan grace, TimeProvider time, CancellationToken cancellationToken = default)
    {
        if (!IsAlive(pid, startTicks))
        {
            return false;
        }
        Signal(pid, Sigterm);
        if (await WaitForExitAsync(pid, startTicks, grace, time, cancellationToken))
        {
            return false;
        }
        Signal(pid, Sigkill);
        await WaitForExitAsync(pid, startTicks, TimeSpan.FromSeconds(5), time, cancellationToken);
        return true;
    }

    /// <summary>Polls until <paramref name="pid"/> is gone or <paramref name="timeout"/> passed; true when it is gone.</summary>
    public static async Task<bool> WaitForExitAsync(int pid, long? startTicks, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken = default)
    {
        var started = time.GetTimestamp();
        while (IsAlive(pid, startTicks))
        {
            if (time.GetElapsedTime(started) > timeout)
            {
                return false;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
        }
        return true;
    }

    // A blittable signature: no marshalling code, so the plain DllImport needs no unsafe blocks.
    [DllImport("libc", EntryPoint = "kill")]
#pragma warning disable SYSLIB1054 // LibraryImport would require AllowUnsafeBlocks for the whole CLI for one call.
    private static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054
}
