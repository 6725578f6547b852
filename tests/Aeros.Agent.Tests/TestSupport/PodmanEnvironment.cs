using System.Diagnostics;
using System.Formats.Tar;
using Xunit.Sdk;

namespace Aeros.Agent.Tests;

/// <summary>
/// podman for the tests: a containers.conf with runc and fixed ulimits (see DEVELOPERS.md) and a local busybox
/// image imported from Debian's busybox-static (nothing can be pulled here).
/// </summary>
internal static class PodmanEnvironment
{
    public const string Image = "localhost/aeros-busybox:test";
    public const string BusyboxPath = "/bin/busybox";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool _imageReady;

    /// <summary>The podman executable on PATH, or null when podman is not installed.</summary>
    public static string? PodmanPath { get; } = FindOnPath("podman");

    /// <summary>The containers.conf the tests use.</summary>
    public static string ContainersConf { get; } = WriteContainersConf();

    private static string WriteContainersConf()
    {
        var dir = Path.Combine(Path.GetTempPath(), "aeros-tests-podman");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "containers.conf");
        const string text = "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n\n[engine]\nruntime = \"runc\"\n";
        if (!File.Exists(path) || File.ReadAllText(path) != text)
        {
            var temp = path + "." + Environment.ProcessId;
            File.WriteAllText(temp, text);
            File.Move(temp, path, overwrite: true);
        }
        return path;
    }

    /// <summary>Imports the busybox image once per test run (if it is not there yet).</summary>
    public static async Task EnsureImageAsync()
    {
        await Gate.WaitAsync(TimeSpan.FromMinutes(3));
        try
        {
            if (_imageReady)
            {
                return;
            }
            if (await RunAsync(["image", "exists", Image]) == 0)
            {
                _imageReady = true;
                return;
            }
            if (!File.Exists(BusyboxPath))
            {
                throw new XunitException($"{BusyboxPath} is missing: install Debian's busybox-static (see DEVELOPERS.md).");
            }
            var tar = Path.Combine(Path.GetTempPath(), $"aeros-busybox-{Environment.ProcessId}.tar");
            try
            {
                await WriteRootfsAsync(tar);
                var code = await RunAsync(["import", "--change", "ENV PATH=/bin", tar, Image]);
                Assert.True(code == 0, $"podman import of {Image} failed with exit code {code}");
            }
            finally
            {
                File.Delete(tar);
            }
            _imageReady = true;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task WriteRootfsAsync(string tarPath)
    {
        var applets = await OutputAsync(BusyboxPath, "--list");
        await using var file = File.Create(tarPath);
        await using var writer = new TarWriter(file, TarEntryFormat.Pax);
        foreach (var dir in new[] { "bin/", "tmp/", "www/" })
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, dir) { Mode = (UnixFileMode)Convert.ToInt32("755", 8) });
        }
        await writer.WriteEntryAsync(BusyboxPath, "bin/busybox");
        foreach (var applet in applets.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (applet != "busybox")
            {
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox" });
            }
        }
        var index = new PaxTarEntry(TarEntryType.RegularFile, "www/index.html") { DataStream = new MemoryStream("aeros busybox\n"u8.ToArray()) };
        await writer.WriteEntryAsync(index);
    }

    /// <summary>Runs podman with the tests' containers.conf; returns its exit code.</summary>
    public static async Task<int> RunAsync(params string[] args)
    {
        var (code, _) = await ExecAsync(PodmanPath ?? "podman", args);
        return code;
    }

    /// <summary>Runs podman and returns its stdout (trimmed).</summary>
    public static async Task<string> OutputAsync(params string[] args)
    {
        var (_, output) = await ExecAsync(PodmanPath ?? "podman", args);
        return output;
    }

    private static async Task<string> OutputAsync(string file, string arg)
    {
        var (_, output) = await ExecAsync(file, [arg]);
        return output;
    }

    private static async Task<(int Code, string Output)> ExecAsync(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["CONTAINERS_CONF"] = ContainersConf;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not end within 2 min.");
        }
        await error.WaitAsync(TimeSpan.FromSeconds(10));
        return (process.ExitCode, (await output.WaitAsync(TimeSpan.FromSeconds(10))).Trim());
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}

/// <summary>A fact that needs podman: skipped with a clear message only when podman is not installed at all.</summary>
public sealed class PodmanFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when podman is absent.</summary>
    public PodmanFactAttribute()
    {
        if (PodmanEnvironment.PodmanPath is null)
        {
            Skip = "podman is not installed (apt-get install podman runc busybox-static; .ci/run does it): container tests skipped.";
        }
    }
}
