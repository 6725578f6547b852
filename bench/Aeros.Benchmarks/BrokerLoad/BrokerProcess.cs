using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Aeros.Benchmarks.BrokerLoad;

/// <summary>
/// The broker under test as a child process, started the way a user would:
/// <c>aeros broker --urls http://127.0.0.1:PORT --data DIR</c>. Disposing kills it (with its process tree).
/// </summary>
internal sealed class BrokerProcess : IAsyncDisposable
{
    /// <summary>The default build output of the CLI, relative to the repository root.</summary>
    public static readonly string DefaultRelativePath = Path.Combine("src", "Aeros.Cli", "bin", "Release", "net10.0", "aeros.dll");

    private const int OutputLinesKept = 40;
    private readonly Process process;
    private readonly Queue<string> output = new();
    private long? peakRssKiB;

    private BrokerProcess(Process process, Uri baseAddress)
    {
        this.process = process;
        BaseAddress = baseAddress;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    public Uri BaseAddress { get; }

    public int Id => process.Id;

    /// <summary>The last lines the broker wrote to stdout and stderr.</summary>
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
    /// Finds the aeros executable: <paramref name="given"/> if set, else the default build output under the repository
    /// root (found by walking up to Aeros.slnx), building <c>src/Aeros.Cli</c> first if it is missing.
    /// </summary>
    public static async Task<string> ResolveAsync(string? given, CancellationToken cancellationToken)
    {
        if (given is not null)
        {
            var full = Path.GetFullPath(given);
            return File.Exists(full) ? full : throw new DriverException($"--aeros {given}: no such file.");
        }
        var root = FindRepositoryRoot()
            ?? throw new DriverException("Cannot find the repository root (Aeros.slnx) above the current or program directory; pass --aeros.");
        var path = Path.Combine(root, DefaultRelativePath);
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"{path} is missing; running 'dotnet build -c Release src/Aeros.Cli' in {root}");
            await BuildAsync(root, cancellationToken);
            if (!File.Exists(path))
            {
                throw new DriverException($"The build did not produce {path}.");
            }
        }
        return path;
    }

    public static BrokerProcess Start(string aerosPath, string dataDirectory)
    {
        var port = FreeLoopbackPort();
        var url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var isDll = aerosPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var start = new ProcessStartInfo(isDll ? "dotnet" : aerosPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (isDll)
        {
            start.ArgumentList.Add(aerosPath);
        }
        foreach (var arg in new[] { "broker", "--urls", url, "--data", dataDirectory })
        {
            start.ArgumentList.Add(arg);
        }
        var process = new Process { StartInfo = start };
        var broker = new BrokerProcess(process, new Uri(url + "/"));
        process.OutputDataReceived += (_, e) => broker.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => broker.Keep(e.Data);
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            broker.Detach();
            process.Dispose();
            throw new DriverException($"Cannot start {start.FileName}: {e.Message}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return broker;
    }

    /// <summary>Polls <c>GET /ngsi-ld/v1/entities/urn:ngsi-ld:Probe:1</c> until any HTTP response (404 is fine).</summary>
    public async Task WaitUntilReadyAsync(HttpClient client, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var probe = new Uri(BaseAddress, "ngsi-ld/v1/entities/urn:ngsi-ld:Probe:1");
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new DriverException($"The broker exited with code {process.ExitCode} before it was ready.", RecentOutput);
            }
            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new DriverException($"The broker did not answer {probe} within {timeout.TotalSeconds:0} s.", RecentOutput);
            }
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(TimeSpan.FromSeconds(2));
                using var response = await client.GetAsync(probe, attempt.Token);
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

    /// <summary>Throws when the broker has exited: the phases after <paramref name="phase"/> would only measure errors.</summary>
    public void EnsureRunning(string phase)
    {
        PeakRssKiB();
        if (process.HasExited)
        {
            throw new DriverException($"The broker exited with code {process.ExitCode} during {phase}.", RecentOutput);
        }
    }

    /// <summary>
    /// The broker's peak resident set size in KiB (VmHWM), or null when it could never be read. Once the process is
    /// gone, the last value read (at the end of a phase) is returned.
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
            Console.Error.WriteLine($"warning: broker process {process.Id} did not exit within 10 s of being killed.");
        }
        process.Dispose();
    }

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

    private static string? FindRepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Aeros.slnx")))
                {
                    return dir.FullName;
                }
            }
        }
        return null;
    }

    private static async Task BuildAsync(string root, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = root,
            UseShellExecute = false,
            RedirectStandardOutput = true, // keep stdout for the report: the build log goes to stderr
        };
        foreach (var arg in new[] { "build", "-c", "Release", Path.Combine("src", "Aeros.Cli") })
        {
            start.ArgumentList.Add(arg);
        }
        using var build = Process.Start(start) ?? throw new DriverException("Cannot start 'dotnet build'.");
        build.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine(e.Data);
            }
        };
        build.BeginOutputReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(10));
        try
        {
            await build.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            build.Kill(entireProcessTree: true);
            throw;
        }
        if (build.ExitCode != 0)
        {
            throw new DriverException($"'dotnet build -c Release src/Aeros.Cli' failed with exit code {build.ExitCode}.");
        }
    }
}
