using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Aeros.Benchmarks.BrokerLoad;

/// <summary>
/// A server the driver runs as a child process on a loopback port: the broker under test or the bare Kestrel
/// baseline. Keeps the last lines it prints; disposing it, or the driver exiting, kills it (with its process tree).
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private const int OutputLinesKept = 40;
    private readonly Process process;
    private readonly Queue<string> output = new();
    private readonly List<string> firstLines = [];
    private long? peakRssKiB;

    private ChildProcess(string name, Process process, Uri baseAddress)
    {
        Name = name;
        this.process = process;
        BaseAddress = baseAddress;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>What the process is, for messages: "the broker", "the bare server".</summary>
    public string Name { get; }

    public Uri BaseAddress { get; }

    public int Id => process.Id;

    /// <summary>The last lines the process wrote to stdout and stderr.</summary>
    public string RecentOutput
    {
        get
        {
            lock (output)
            {
                return string.Join('\n', output);
            }
        }
    }

    /// <summary>
    /// The <c>dotnet</c> host that runs a framework-dependent dll: the one running this driver when it was started as
    /// <c>dotnet Aeros.Benchmarks.dll</c>, else <c>dotnet</c> from PATH.
    /// </summary>
    public static string DotnetHost =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    /// <summary>
    /// Starts <paramref name="program"/> (a dll, run as <c>dotnet DLL</c>, or an executable) with
    /// <paramref name="arguments"/> followed by <c>--urls http://127.0.0.1:PORT</c> on a free loopback port.
    /// </summary>
    public static ChildProcess Start(string name, string program, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var url = $"http://127.0.0.1:{FreeLoopbackPort().ToString(CultureInfo.InvariantCulture)}";
        var isDll = program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var start = new ProcessStartInfo(isDll ? DotnetHost : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        if (isDll)
        {
            start.ArgumentList.Add(program);
        }
        foreach (var arg in arguments.Concat(["--urls", url]))
        {
            start.ArgumentList.Add(arg);
        }
        var process = new Process { StartInfo = start };
        var child = new ChildProcess(name, process, new Uri(url + "/"));
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            child.Detach();
            process.Dispose();
            throw new DriverException($"Cannot start {start.FileName}: {e.Message}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// Polls <paramref name="probe"/> (relative to <see cref="BaseAddress"/>) until any HTTP response (404 is fine).
    /// </summary>
    public async Task WaitUntilReadyAsync(HttpClient client, string probe, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var uri = new Uri(BaseAddress, probe);
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new DriverException($"{Capitalized} exited with code {process.ExitCode} before it was ready.", RecentOutput);
            }
            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new DriverException($"{Capitalized} did not answer {uri} within {timeout.TotalSeconds:0} s.", RecentOutput);
            }
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(TimeSpan.FromSeconds(2));
                using var response = await client.GetAsync(uri, attempt.Token);
                return;
            }
            catch (HttpRequestException)
            {
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>The first line the process printed that starts with <paramref name="prefix"/>, without the prefix.</summary>
    public string? FirstLineStartingWith(string prefix)
    {
        lock (output)
        {
            return firstLines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
        }
    }

    /// <summary>Throws when the process has exited: the phases after <paramref name="phase"/> would only measure errors.</summary>
    public void EnsureRunning(string phase)
    {
        PeakRssKiB();
        if (process.HasExited)
        {
            throw new DriverException($"{Capitalized} exited with code {process.ExitCode} during {phase}.", RecentOutput);
        }
    }

    /// <summary>
    /// The peak resident set size in KiB (VmHWM), or null when it could never be read. Once the process is gone, the
    /// last value read (at the end of a phase) is returned.
    /// </summary>
    public long? PeakRssKiB()
    {
        try
        {
            var line = File.ReadLines($"/proc/{process.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is not null)
            {
                peakRssKiB = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            // Gone: keep the last value read.
        }
        return peakRssKiB;
    }

    /// <summary>
    /// The GC flavour the running process uses, seen from outside: "server" when it has threads named
    /// <c>.NET Server GC</c> (the runtime names its server GC threads so), "workstation" when it has none, null when
    /// /proc cannot tell.
    /// </summary>
    public string? ObservedGc()
    {
        try
        {
            var server = 0;
            foreach (var task in Directory.EnumerateDirectories($"/proc/{process.Id}/task"))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == ".NET Server GC")
                    {
                        server++;
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The thread ended meanwhile.
                }
            }
            return server > 0 ? $"server ({server} GC threads)" : "workstation";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Detach();
        Kill();
        try
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(wait.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
        {
            Console.Error.WriteLine($"warning: {Name} (process {process.Id}) did not exit within 10 s of being killed.");
        }
        process.Dispose();
    }

    private string Capitalized => char.ToUpperInvariant(Name[0]) + Name[1..];

    private void Kill()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // Not started or already gone.
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => Kill();

    private void Detach() => AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (output)
        {
            if (firstLines.Count < OutputLinesKept)
            {
                firstLines.Add(line);
            }
            output.Enqueue(line);
            while (output.Count > OutputLinesKept)
            {
                output.Dequeue();
            }
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
