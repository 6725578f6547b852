using Aeros.Testing;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Aeros.Broker.Tests.TestSupport;

/// <summary>
/// The real <c>aeros</c> command line as a child process (<c>dotnet aeros.dll ...</c>), with its stdout and stderr
/// captured for failure messages. Disposing kills the whole process tree, also when the test failed.
/// </summary>
public sealed class BrokerProcess : IAsyncDisposable
{
    /// <summary>How long a process may take to start answering HTTP.</summary>
    public static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(30);

    /// <summary>How long a killed or signalled process may take to exit.</summary>
    public static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _lineWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BrokerProcess(Process process, Uri? baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    /// <summary>The aeros.dll copied next to the test assembly (the test project references Aeros.Cli).</summary>
    public static string AerosDll { get; } = Path.Combine(AppContext.BaseDirectory, "aeros.dll");

    /// <summary>Where the broker listens (<c>http://127.0.0.1:port/</c>), or null for commands without a URL.</summary>
    public Uri? BaseAddress { get; }

    public int Id => _process.Id;

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>The exit code; only valid once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the process wrote so far, stdout and stderr interleaved, each line tagged.</summary>
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

    /// <summary>Only what the process wrote to stderr so far.</summary>
    public string Errors
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output.ToString().Split('\n').Where(l => l.StartsWith("[err] ", StringComparison.Ordinal)).Select(l => l[6..]));
            }
        }
    }

    /// <summary>Only what the process wrote to stdout so far.</summary>
    public string StandardOutput
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output.ToString().Split('\n').Where(l => l.StartsWith("[out] ", StringComparison.Ordinal)).Select(l => l[6..]));
            }
        }
    }

    /// <summary>
    /// Starts <c>aeros broker --urls http://127.0.0.1:{free port} --data {dataDirectory}</c> and waits until it
    /// answers HTTP. A lost race for the free port is retried with another port.
    /// </summary>
    public static async Task<BrokerProcess> StartBrokerAsync(string dataDirectory, params string[] extraArgs)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var process = Start(["broker", "--urls", $"http://127.0.0.1:{port}", "--data", dataDirectory, .. TestStore.BrokerArguments(dataDirectory), .. extraArgs], new Uri($"http://127.0.0.1:{port}/"));
            try
            {
                // The line is printed once Kestrel has bound the port, so the answers below come from this broker and
                // not from another test's server that took the port meanwhile (this broker then fails to bind).
                await process.WaitForOutputAsync($"NGSI-LD broker listening at http://127.0.0.1:{port}/", StartDeadline);
                await process.WaitUntilAnsweringAsync();
                return process;
            }
            catch (Exception) when (attempt < 3 && process.HasExited && process.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                await process.DisposeAsync();
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Starts <c>dotnet aeros.dll {args}</c>; <paramref name="baseAddress"/> is where it will listen, if it does.</summary>
    public static BrokerProcess Start(IEnumerable<string> args, Uri? baseAddress = null)
    {
        if (!File.Exists(AerosDll))
        {
            throw new FileNotFoundException($"aeros.dll is not next to the test assembly ({AerosDll}).", AerosDll);
        }
        // A test run started in the background of a shell ignores SIGINT, and children inherit that (the runtime keeps an
        // inherited SIG_IGN); the signal tests need a child that hears SIGINT as a user's Ctrl-C would deliver it.
        var restoreSigInt = SigIntIgnored() && File.Exists(EnvProgram);
        var info = new ProcessStartInfo(restoreSigInt ? EnvProgram : DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (restoreSigInt)
        {
            info.ArgumentList.Add("--default-signal=INT");
            info.ArgumentList.Add(DotnetHost());
        }
        info.ArgumentList.Add(AerosDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // Keep the child's console quiet and deterministic.
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var broker = new BrokerProcess(process, baseAddress);
        process.OutputDataReceived += (_, e) => broker.Append("[out] ", e.Data);
        process.ErrorDataReceived += (_, e) => broker.Append("[err] ", e.Data);
        process.Exited += (_, _) => broker._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return broker;
    }

    private const string EnvProgram = "/usr/bin/env";

    /// <summary>Whether this process ignores SIGINT (bit 2 of the <c>SigIgn</c> mask in <c>/proc/self/status</c>).</summary>
    private static bool SigIntIgnored()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
            return line is not null
                && ulong.TryParse(line["SigIgn:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var mask)
                && (mask & (1UL << 1)) != 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Runs <c>aeros {args}</c> to completion and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string StandardOutput, string Errors)> RunAsync(params string[] args)
    {
        await using var process = Start(args);
        await process.WaitForExitAsync(StartDeadline, "running 'aeros " + string.Join(' ', args) + "'");
        return (process.ExitCode, process.StandardOutput, process.Errors);
    }

    /// <summary>Waits until the process answers any HTTP status on a probe URL, failing if it exits first.</summary>
    public async Task WaitUntilAnsweringAsync()
    {
        var address = BaseAddress ?? throw new InvalidOperationException("This process was not started with a URL.");
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"aeros exited with {ExitCode} before answering at {address}:\n{Output}");
            }
            try
            {
                using var response = await client.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Probe:1");
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            if (deadline.Elapsed > StartDeadline)
            {
                throw new TimeoutException($"aeros did not answer at {address} within {StartDeadline.TotalSeconds} s:\n{Output}");
            }
            // Wait for the process to exit or a short back-off, whichever comes first, then probe again.
            await Task.WhenAny(_exited.Task, Task.Delay(TimeSpan.FromMilliseconds(50)));
        }
    }

    /// <summary>Waits until the output contains <paramref name="text"/>; fails if the process exits first or on the deadline.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan deadline)
    {
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            Task written;
            lock (_output)
            {
                if (_output.ToString().Contains(text, StringComparison.Ordinal))
                {
                    return;
                }
                written = _lineWritten.Task;
            }
            var remaining = deadline - elapsed.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"aeros did not print '{text}' within {deadline.TotalSeconds} s:\n{Output}");
            }
            if (await Task.WhenAny(written, _exited.Task, Task.Delay(remaining)) == _exited.Task && !written.IsCompleted)
            {
                // Let the redirected streams drain, then look one last time.
                await WaitForExitAsync(ExitDeadline, $"waiting for '{text}'");
                if (!Output.Contains(text, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"aeros exited with {ExitCode} without printing '{text}':\n{Output}");
                }
                return;
            }
        }
    }

    /// <summary>SIGKILL: the process dies at once, without any shutdown code running; waits until it is gone.</summary>
    public async Task KillHardAsync()
    {
        if (!HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }
        }
        await WaitForExitAsync(ExitDeadline, "waiting for the killed process to exit");
    }

    /// <summary>Sends a Unix signal (e.g. <c>INT</c>, <c>TERM</c>) through <c>kill -SIG pid</c>.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            UseShellExecute = false,
            RedirectStandardError = true,
        })!;
        using var cts = new CancellationTokenSource(ExitDeadline);
        await kill.WaitForExitAsync(cts.Token);
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {_process.Id} failed: {await kill.StandardError.ReadToEndAsync(cts.Token)}");
        }
    }

    /// <summary>Waits for the process to exit; on timeout fails with <paramref name="phase"/> and the output.</summary>
    public async Task WaitForExitAsync(TimeSpan deadline, string phase)
    {
        if (await Task.WhenAny(_exited.Task, Task.Delay(deadline)) != _exited.Task)
        {
            throw new TimeoutException($"aeros did not exit within {deadline.TotalSeconds} s ({phase}):\n{Output}");
        }
        // Exited fires before the redirected streams are drained; this overload waits for them too.
        using var cts = new CancellationTokenSource(deadline);
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
            await WaitForExitAsync(ExitDeadline, "disposing");
        }
        catch (InvalidOperationException)
        {
            // Already gone.
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
        // Set by the SDK for `dotnet test`; otherwise the dotnet on PATH.
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet";
    }

    private void Append(string prefix, string? line)
    {
        if (line is null)
        {
            return;
        }
        TaskCompletionSource written;
        lock (_output)
        {
            _output.Append(prefix).Append(line).Append('\n');
            written = _lineWritten;
            _lineWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        written.TrySetResult();
    }

    public override string ToString() => $"aeros pid {_process.Id} at {BaseAddress}";
}
