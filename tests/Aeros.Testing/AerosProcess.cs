using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Aeros.Testing;

/// <summary>
/// The real <c>aeros</c> command line as a child process (<c>dotnet aeros.dll ...</c>) with its output captured.
/// Disposing kills the process tree, also when the test failed.
/// </summary>
public sealed class AerosProcess : IAsyncDisposable
{
    public static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AerosProcess(Process process) => _process = process;

    public static string AerosDll { get; } = Path.Combine(AppContext.BaseDirectory, "aeros.dll");

    /// <summary>The agent-only executable (src/Aeros.Cli.Agent), in the bin folder of test projects that reference it.</summary>
    public static string AerosAgentDll { get; } = Path.Combine(AppContext.BaseDirectory, "aeros-agent.dll");

    public bool HasExited => _exited.Task.IsCompleted;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static AerosProcess Start(params string[] args) => Start(null, args);

    /// <summary>Starts <c>aeros {args}</c> with extra environment variables.</summary>
    public static AerosProcess Start(IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        StartProgram(AerosDll, environment, args);

    /// <summary>Starts <c>dotnet {dll} {args}</c> (e.g. <see cref="AerosAgentDll"/>) with extra environment variables.</summary>
    public static AerosProcess StartProgram(string dll, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var wrapper = new AerosProcess(process);
        process.OutputDataReceived += (_, e) => wrapper.Append("[out] ", e.Data);
        process.ErrorDataReceived += (_, e) => wrapper.Append("[err] ", e.Data);
        process.Exited += (_, _) => wrapper._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return wrapper;
    }

    /// <summary>Runs <c>aeros {args}</c> to completion: exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        await using var process = Start(args);
        await process.WaitForExitAsync($"running aeros {string.Join(' ', args)}");
        return (process.ExitCode, process.Output);
    }

    public async Task WaitForExitAsync(string phase)
    {
        if (await Task.WhenAny(_exited.Task, Task.Delay(ExitDeadline)) != _exited.Task)
        {
            throw new TimeoutException($"aeros did not exit within {ExitDeadline.TotalSeconds} s ({phase}):\n{Output}");
        }
        using var cts = new CancellationTokenSource(ExitDeadline);
        await _process.WaitForExitAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            await WaitForExitAsync("disposing");
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>A port on 127.0.0.1 that was free a moment ago (outside the ephemeral range: <see cref="TestPorts"/>).</summary>
    public static int FreePort()
    {
        return TestPorts.Free();
    }

    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet";
    }

    private void Append(string prefix, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.Append(prefix).Append(line).Append('\n');
        }
    }
}
