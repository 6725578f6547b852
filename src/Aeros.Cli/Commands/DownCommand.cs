using System.CommandLine;
using System.Globalization;
using Aeros.Cli.LocalContinuum;

namespace Aeros.Cli.Commands;

/// <summary>
/// <c>aeros down</c>: stops the local continuum that <c>aeros up</c> runs on a data directory: signals the up process
/// (which stops its children) and waits; children left by an up that is gone are stopped directly.
/// </summary>
internal static class DownCommand
{
    private static readonly TimeSpan ChildGrace = LocalContinuumOptions.DefaultStopGrace;

    public static Command Create()
    {
        var data = new Option<string>("--data")
        {
            Description = "The data directory the continuum was started with (aeros up --data).",
            DefaultValueFactory = _ => LocalContinuumOptions.DefaultDataDirectory,
        };
        var timeout = new Option<double>("--timeout")
        {
            Description = "Seconds to wait for aeros up to stop its children before they are stopped directly.",
            DefaultValueFactory = _ => 60,
        };
        var command = new Command("down", "Stop the local continuum started by 'aeros up' on --data: every domain host and agent. Exit 0 also when nothing runs.") { data, timeout };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var seconds = parse.GetValue(timeout);
            if (!double.IsFinite(seconds) || seconds is <= 0 or > 3600)
            {
                await Console.Error.WriteLineAsync("aeros down: --timeout must be between 0 and 3600 seconds.");
                return ExitCodes.BadUsage;
            }
            var directory = Path.GetFullPath(parse.GetValue(data)!);
            ContinuumState? state;
            try
            {
                state = ContinuumStateFile.Read(directory);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"aeros down: {e.Message}");
                return ExitCodes.Failure;
            }
            var time = TimeProvider.System;
            if (state is null)
            {
                // An up that is still starting holds the lock but has written no state yet.
                if (StartingUpPid(directory) is { } starting)
                {
                    ProcessControl.Signal(starting, ProcessControl.Sigterm);
                    var gone = await ProcessControl.WaitForExitAsync(starting, null, TimeSpan.FromSeconds(seconds), time, cancellationToken);
                    Console.WriteLine(gone
                        ? $"Stopped aeros up (pid {starting}) on {directory} before it was ready."
                        : $"aeros up (pid {starting}) on {directory} did not stop within {seconds} s.");
                    return gone ? ExitCodes.Ok : ExitCodes.Failure;
                }
                Console.WriteLine($"No local continuum is running on {directory} (no {Path.GetFileName(ContinuumStateFile.PathOf(directory))}).");
                return ExitCodes.Ok;
            }
            var upWasAlive = ProcessControl.IsAlive(state.UpPid, state.UpStartTicks);
            if (upWasAlive)
            {
                Console.WriteLine($"Stopping aeros up (pid {state.UpPid}) on {directory}...");
                ProcessControl.Signal(state.UpPid, ProcessControl.Sigterm);
                if (!await ProcessControl.WaitForExitAsync(state.UpPid, state.UpStartTicks, TimeSpan.FromSeconds(seconds), time, cancellationToken))
                {
                    await Console.Error.WriteLineAsync($"aeros down: aeros up (pid {state.UpPid}) did not stop within {seconds} s; stopping its children directly.");
                    ProcessControl.Signal(state.UpPid, ProcessControl.Sigkill);
                }
            }
            // Whatever up did not stop (it was killed, or hung) is stopped here; a recycled pid is never touched.
            var leftovers = state.Agents.Select(a => (Name: a.IeId, a.Pid, a.StartTicks))
                .Concat(state.Domains.Select(d => (Name: d.Name, d.Pid, d.StartTicks)))
                .Where(c => ProcessControl.IsAlive(c.Pid, c.StartTicks)).ToList();
            foreach (var child in leftovers)
            {
                Console.WriteLine($"  stopping {child.Name} (pid {child.Pid})");
            }
            await Task.WhenAll(leftovers.Select(c => ProcessControl.StopAsync(c.Pid, c.StartTicks, ChildGrace, time, cancellationToken)));
            ContinuumStateFile.Delete(directory);
            var up = upWasAlive ? $"aeros up (pid {state.UpPid}), " : "";
            var direct = leftovers.Count > 0 ? $" ({leftovers.Count} left by aeros up stopped directly)" : "";
            Console.WriteLine($"Stopped the local continuum on {directory}: {up}{state.Domains.Count} domain(s), {state.Agents.Count} agent(s){direct}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The pid of an <c>aeros up</c> that holds the lock of <paramref name="directory"/> (starting, no state yet), or null.</summary>
    private static int? StartingUpPid(string directory)
    {
        var lockFile = ContinuumLayout.LockFile(directory);
        if (!File.Exists(lockFile))
        {
            return null;
        }
        try
        {
            // Free lock: nobody runs.
            using var probe = new FileStream(lockFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return null;
        }
        catch (IOException)
        {
        }
        return ContinuumLayout.ReadUpPid(directory) is { } pid && ProcessControl.IsAlive(pid, null) ? pid : null;
    }
}
