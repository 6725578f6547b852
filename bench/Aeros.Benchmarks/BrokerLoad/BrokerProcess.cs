using System.Diagnostics;

namespace Aeros.Benchmarks.BrokerLoad;

/// <summary>
/// The broker under test, started as a <see cref="ChildProcess"/> the way a user would:
/// <c>aeros broker --data DIR --urls http://127.0.0.1:PORT</c>.
/// </summary>
internal static class BrokerProcess
{
    /// <summary>The default build output of the CLI, relative to the repository root.</summary>
    public static readonly string DefaultRelativePath = Path.Combine("src", "Aeros.Cli", "bin", "Release", "net10.0", "aeros.dll");

    /// <summary>What the driver polls until the broker answers (404 is fine).</summary>
    public const string ReadyProbe = "ngsi-ld/v1/entities/urn:ngsi-ld:Probe:1";

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

    public static ChildProcess Start(string aerosPath, string dataDirectory, IReadOnlyDictionary<string, string>? environment = null) =>
        ChildProcess.Start("the broker", aerosPath, ["broker", "--data", dataDirectory], environment);

    /// <summary>The environment that configures the broker's indexed attributes (<c>Broker__IndexedAttributes__i</c>).</summary>
    public static Dictionary<string, string> IndexEnvironment(IReadOnlyList<string> attributes)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < attributes.Count; i++)
        {
            environment[$"Broker__IndexedAttributes__{i}"] = attributes[i];
        }
        return environment;
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
