using System.Diagnostics;
using System.Reflection;

namespace Aeros.Cli.LocalContinuum;

/// <summary>
/// One child of <c>aeros up</c>: the same <c>aeros</c> executable with other arguments, stdin closed to the terminal,
/// stdout and stderr appended line by line to its own log file.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(string name, Process process, StreamWriter log, string logFile)
    {
        Name = name;
        _process = process;
        _log = log;
        LogFile = logFile;
    }

    /// <summary>What the user calls it: <c>domain1</c>, <c>domain1-ie2</c>.</summary>
    public string Name { get; }

    public string LogFile { get; }

    public int Pid { get; private set; }

    public long? StartTicks { get; private set; }

    public bool HasExited => _exited.Task.IsCompleted;

    public Task Exited => _exited.Task;

    public int? ExitCode => HasExited ? _process.ExitCode : null;

    /// <summary>Starts <c>aeros {args}</c>; its output goes to <paramref name="logFile"/> (appended, so earlier runs stay readable).</summary>
    /// <remarks><paramref name="environment"/> carries secrets (client credentials): never on the command line, never logged.</remarks>
    public static ChildProcess Start(string name, IReadOnlyList<string> args, string logFile, IReadOnlyDictionary<string, string>? environment = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        var log = new StreamWriter(new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var (fileName, prefix) = AerosExecutable;
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The children must not read the terminal; Ctrl-C still reaches them through the process group.
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in prefix.Concat(args))
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, log, logFile);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Exited += (_, _) => child._exited.TrySetResult();
        child.Append($"--- aeros {string.Join(' ', args)}");
        process.Start();
        child.Pid = process.Id;
        child.StartTicks = ProcessControl.StartTicks(process.Id);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// How to start this same <c>aeros</c>: the native apphost as it is, or <c>dotnet aeros.dll</c> when this process
    /// is the dotnet host running the dll (as <c>./aeros</c> and the tests do).
    /// </summary>
    public static (string FileName, IReadOnlyList<string> Prefix) AerosExecutable { get; } = ResolveExecutable();

    private static (string, IReadOnlyList<string>) ResolveExecutable()
    {
        var processPath = Environment.ProcessPath ?? throw new InvalidOperationException("The path of the running aeros executable is unknown.");
        if (Path.GetFileNameWithoutExtension(processPath).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            var dll = Assembly.GetEntryAssembly()?.Location;
            if (string.IsNullOrEmpty(dll))
            {
                throw new InvalidOperationException("aeros runs under dotnet but the location of its dll is unknown.");
            }
            return (processPath, [dll]);
        }
        return (processPath, []);
    }

    /// <summary>SIGTERM, up to <paramref name="grace"/> to exit, then a kill of its whole tree. True when it had to be killed.</summary>
    public async Task<bool> StopAsync(TimeSpan grace, TimeProvider time)
    {
        if (HasExited)
        {
            return false;
        }
        ProcessControl.Signal(Pid, ProcessControl.Sigterm);
        using var timeout = new CancellationTokenSource(grace, time);
        try
        {
            await Exited.WaitAsync(timeout.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
        }
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited between the timeout and the kill.
        }
        await Exited.WaitAsync(TimeSpan.FromSeconds(10), time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return true;
    }

    /// <summary>
    /// The last <paramref name="count"/> lines of the log file (what a failed child said before it died), after up to
    /// 2 s for the output still in the pipes to arrive.
    /// </summary>
    public async Task<IReadOnlyList<string>> LastLinesAsync(int count)
    {
        using var drained = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            // Without a token limit this also waits for the end of the redirected output.
            await _process.WaitForExitAsync(drained.Token);
        }
        catch (OperationCanceledException)
        {
        }
        return LastLinesOf(LogFile, count);
    }

    public static IReadOnlyList<string> LastLinesOf(string file, int count)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var lines = new Queue<string>();
            while (reader.ReadLine() is { } line)
            {
                lines.Enqueue(line);
                if (lines.Count > count)
                {
                    lines.Dequeue();
                }
            }
            return [.. lines];
        }
        catch (IOException)
        {
            return [];
        }
    }

    public void Dispose()
    {
        if (!HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        }
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // Output that arrives after the child was disposed has nowhere to go.
            }
        }
    }
}
