using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Aeros.Agent.Workloads;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.Runtime;

/// <summary>
/// Runs process workloads with <see cref="System.Diagnostics.Process"/>. stdout and stderr go through the agent
/// into rotating, size-bounded log files under <c>&lt;state&gt;/logs</c>. Because the output pipes end with the
/// agent, a process left by an earlier agent cannot be supervised: <see cref="AdoptAsync"/> stops it (recognised
/// by pid and kernel start time, so a recycled pid is never touched) and the manager starts it again.
/// </summary>
internal sealed partial class ProcessRuntime(IOptions<WorkloadOptions> options, TimeProvider time, ILogger<ProcessRuntime> logger) : IWorkloadRuntime
{
    private static readonly TimeSpan OutputDrainTimeout = TimeSpan.FromSeconds(2);
    private readonly WorkloadOptions _options = options.Value;

    public WorkloadKind Kind => WorkloadKind.Process;

    public Task<RuntimeProbe> ProbeAsync(CancellationToken cancellationToken)
    {
        // Processes run wherever the agent runs; only the log directory can be in the way.
        try
        {
            Directory.CreateDirectory(_options.LogDirectory);
            return Task.FromResult(new RuntimeProbe(true, Environment.OSVersion.VersionString, null));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(new RuntimeProbe(false, null, $"The log directory {_options.LogDirectory} cannot be created: {e.Message}"));
        }
    }

    public Task<WorkloadInstance> StartAsync(WorkloadSpec spec, CancellationToken cancellationToken)
    {
        var workingDirectory = spec.WorkingDirectory ?? _options.StateDirectory;
        if (!Directory.Exists(workingDirectory))
        {
            if (spec.WorkingDirectory is not null)
            {
                throw new WorkloadStartException($"The working directory '{workingDirectory}' does not exist.", permanent: true);
            }
            Directory.CreateDirectory(workingDirectory);
        }
        var start = new ProcessStartInfo(spec.Command!)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in spec.Args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in spec.Env)
        {
            start.Environment[key] = value;
        }
        var writer = new RotatingLogWriter(LogPath(spec.Name), _options.LogFileMaxBytes, _options.LogFileCount, time, logger);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new WorkloadStartException($"The command '{spec.Command}' did not start.", permanent: false);
        }
        catch (Win32Exception e)
        {
            writer.Dispose();
            // ENOENT / EACCES: the command does not exist or cannot be executed; retrying will not change that.
            throw new WorkloadStartException($"The command '{spec.Command}' cannot be started: {e.Message}", permanent: e.NativeErrorCode is 2 or 13, e);
        }
        // No input: a workload that reads stdin sees its end rather than the agent's terminal.
        process.StandardInput.Close();
        var startTicks = ReadStartTicks(process.Id);
        var instance = new ProcessInstance(process, writer, startTicks) { StartedAt = time.GetUtcNow() };
        instance.Pumps = Task.WhenAll(PumpAsync(process.StandardOutput.BaseStream, writer), PumpAsync(process.StandardError.BaseStream, writer));
        LogStarted(logger, spec.Name, process.Id, spec.Command!);
        return Task.FromResult<WorkloadInstance>(instance);
    }

    public async Task<WorkloadInstance?> AdoptAsync(WorkloadSpec spec, string instanceId, CancellationToken cancellationToken)
    {
        if (!TryParseId(instanceId, out var pid, out var startTicks))
        {
            return null;
        }
        if (ReadStartTicks(pid) is { } ticks && ticks == startTicks)
        {
            // Our orphan: its output pipe is gone, so stop it and let the manager start a supervised run.
            LogOrphanStopped(logger, spec.Name, pid);
            Signal(pid, Sigterm);
            var deadline = time.GetUtcNow() + _options.StopTimeout;
            for (var i = 0; i < 10_000 && time.GetUtcNow() < deadline && ReadStartTicks(pid) == startTicks; i++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
            }
            if (ReadStartTicks(pid) == startTicks)
            {
                Signal(pid, Sigkill);
            }
        }
        return null;
    }

    public async Task<WorkloadExit> WaitForExitAsync(WorkloadInstance instance, CancellationToken cancellationToken)
    {
        var run = (ProcessInstance)instance;
        await run.Process.WaitForExitAsync(cancellationToken);
        // The output may still be in the pipes; a grandchild holding them open must not block the supervisor.
        try
        {
            await run.Pumps!.WaitAsync(OutputDrainTimeout, time, cancellationToken);
        }
        catch (TimeoutException)
        {
        }
        var code = run.Process.ExitCode;
        // .NET reports death by signal N as 128 + N.
        var reason = code > 128 && code < 160 && run.Killed is false ? $"killed by signal {code - 128}" : null;
        return new WorkloadExit(code, reason);
    }

    public async Task StopAsync(WorkloadInstance instance, TimeSpan grace, CancellationToken cancellationToken)
    {
        var run = (ProcessInstance)instance;
        try
        {
            if (!run.Process.HasExited)
            {
                run.Killed = true;
                Signal(run.Process.Id, Sigterm);
                try
                {
                    await run.Process.WaitForExitAsync(cancellationToken).WaitAsync(grace, time, cancellationToken);
                }
                catch (TimeoutException)
                {
                    run.Process.Kill(entireProcessTree: true);
                    await run.Process.WaitForExitAsync(cancellationToken).WaitAsync(grace, time, cancellationToken);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
        finally
        {
            run.Writer.Dispose();
        }
    }

    public async Task<IReadOnlyList<string>> ReadLogsAsync(WorkloadSpec spec, WorkloadInstance? instance, int tail, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        foreach (var file in RotatingLogWriter.Files(LogPath(spec.Name), _options.LogFileCount))
        {
            if (lines.Count >= tail || !File.Exists(file))
            {
                break;
            }
            string text;
            try
            {
                await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                text = await reader.ReadToEndAsync(cancellationToken);
            }
            catch (FileNotFoundException)
            {
                break;
            }
            var fileLines = text.Split('\n');
            var count = text.EndsWith('\n') ? fileLines.Length - 1 : fileLines.Length;
            lines.InsertRange(0, fileLines.Take(count).Skip(Math.Max(0, count - (tail - lines.Count))));
        }
        return lines;
    }

    internal string LogPath(string name) => Path.Combine(_options.LogDirectory, name + ".log");

    private static async Task PumpAsync(Stream stream, RotatingLogWriter writer)
    {
        var buffer = new byte[8192];
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer);
                if (read == 0)
                {
                    return;
                }
                writer.Write(buffer.AsSpan(0, read));
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe closed under us; the run is over.
        }
    }

    /// <summary>The kernel start time of <paramref name="pid"/> in clock ticks (field 22 of /proc/pid/stat), or null if it does not exist.</summary>
    internal static long? ReadStartTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var state = fields[0];
            if (state is "Z" or "X")
            {
                return null;
            }
            return long.Parse(fields[19], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    internal static bool TryParseId(string id, out int pid, out long startTicks)
    {
        pid = 0;
        startTicks = 0;
        var parts = id.Split(':');
        return parts.Length == 3 && parts[0] == "pid"
            && int.TryParse(parts[1], CultureInfo.InvariantCulture, out pid)
            && long.TryParse(parts[2], CultureInfo.InvariantCulture, out startTicks);
    }

    private const int Sigterm = 15;
    private const int Sigkill = 9;

    private static void Signal(int pid, int signal) => _ = Kill(pid, signal);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LoggerMessage(EventId = 4120, Level = LogLevel.Information, Message = "Workload {Workload} started as process {Pid} ({Command})")]
    private static partial void LogStarted(ILogger logger, string workload, int pid, string command);

    [LoggerMessage(EventId = 4121, Level = LogLevel.Information, Message = "Workload {Workload}: process {Pid} left by an earlier agent is stopped so that a supervised run replaces it")]
    private static partial void LogOrphanStopped(ILogger logger, string workload, int pid);

    private sealed class ProcessInstance(Process process, RotatingLogWriter writer, long? startTicks) : WorkloadInstance, IDisposable
    {
        public void Dispose()
        {
            Writer.Dispose();
            Process.Dispose();
        }

        public Process Process { get; } = process;

        public RotatingLogWriter Writer { get; } = writer;

        public Task? Pumps { get; set; }

        public bool Killed { get; set; }

        public override string Id { get; } = $"pid:{process.Id}:{startTicks ?? 0}";

        public override int? Pid => Process.Id;

        public override bool LogsDegraded => Writer.Degraded;
    }
}
