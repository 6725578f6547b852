using System.ComponentModel;
using System.Diagnostics;
using Aeros.Agent.Workloads;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.Runtime;

/// <summary>Runs the podman CLI: one call, its exit code and output, bounded in time.</summary>
internal sealed class PodmanCli(IOptions<WorkloadOptions> options, TimeProvider time)
{
    private readonly WorkloadOptions _options = options.Value;

    /// <summary>The result of one call; <see cref="ExitCode"/> −1 when podman could not be started at all.</summary>
    public readonly record struct Result(int ExitCode, string Stdout, string Stderr)
    {
        public bool Ok => ExitCode == 0;

        /// <summary>The error podman printed, on one line.</summary>
        public string Error => string.Join(" ", (Stderr.Length > 0 ? Stderr : Stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith("time=", StringComparison.Ordinal)));
    }

    public async Task<Result> RunAsync(IEnumerable<string> args, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(_options.PodmanPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        if (_options.ContainersConf is not null)
        {
            start.Environment["CONTAINERS_CONF"] = _options.ContainersConf;
        }
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("podman did not start");
        }
        catch (Win32Exception e)
        {
            return new Result(-1, "", $"podman ('{_options.PodmanPath}') cannot be run: {e.Message}");
        }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken).WaitAsync(timeout ?? _options.PodmanCommandTimeout, time, cancellationToken);
                return new Result(process.ExitCode, (await stdout).Trim(), (await stderr).Trim());
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                }
                if (e is OperationCanceledException)
                {
                    throw;
                }
                return new Result(-2, "", $"podman {string.Join(' ', start.ArgumentList.Take(2))} did not answer within {(timeout ?? _options.PodmanCommandTimeout).TotalSeconds} s");
            }
        }
    }
}
