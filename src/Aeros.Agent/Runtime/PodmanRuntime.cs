using System.Globalization;
using System.Text.Json;
using Aeros.Agent.Workloads;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.Runtime;

/// <summary>
/// Runs container workloads with the podman CLI: <c>podman run -d --name aeros-&lt;name&gt;</c> with the spec's
/// limits, ports and environment; <c>podman container inspect</c> for state and exit code; <c>podman stop</c> and
/// <c>rm</c>; <c>podman logs</c>. Containers live on without the agent, so a later agent adopts them.
/// </summary>
internal sealed partial class PodmanRuntime(PodmanCli podman, IOptions<WorkloadOptions> options, TimeProvider time, ILogger<PodmanRuntime> logger) : IWorkloadRuntime
{
    /// <summary>Prefix of the containers the agent owns (they also carry the label <c>aeros.workload</c>).</summary>
    public const string ContainerPrefix = "aeros-";

    private readonly WorkloadOptions _options = options.Value;

    public WorkloadKind Kind => WorkloadKind.Container;

    public async Task<RuntimeProbe> ProbeAsync(CancellationToken cancellationToken)
    {
        var result = await podman.RunAsync(["info", "--format", "{{.Version.Version}}"], cancellationToken, TimeSpan.FromSeconds(30));
        return result.Ok ? new RuntimeProbe(true, result.Stdout, null) : new RuntimeProbe(false, null, result.Error);
    }

    public static string ContainerName(string workload) => ContainerPrefix + workload;

    public async Task<WorkloadInstance> StartAsync(WorkloadSpec spec, CancellationToken cancellationToken)
    {
        var name = ContainerName(spec.Name);
        // A container of an earlier run (or a crashed agent) holds the name.
        await podman.RunAsync(["rm", "-f", "--time", "1", name], cancellationToken);
        var result = await podman.RunAsync(RunArguments(spec, _options.PodmanPullPolicy), cancellationToken);
        if (!result.Ok)
        {
            // run -d can leave a created container behind when the command failed to start.
            await podman.RunAsync(["rm", "-f", name], cancellationToken);
            throw new WorkloadStartException($"podman run failed (exit {result.ExitCode}): {result.Error}", IsPermanent(result));
        }
        var id = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? name;
        LogStarted(logger, spec.Name, Short(id), spec.Image!);
        return new ContainerInstance(id) { StartedAt = time.GetUtcNow() };
    }

    /// <summary>The arguments of <c>podman run</c> for <paramref name="spec"/>.</summary>
    internal static List<string> RunArguments(WorkloadSpec spec, string pullPolicy)
    {
        var args = new List<string> { "run", "-d", "--name", ContainerName(spec.Name), "--label", "aeros.workload=" + spec.Name, "--pull", pullPolicy };
        if (spec.CpuLimit is { } cpus)
        {
            args.AddRange(["--cpus", cpus.ToString(CultureInfo.InvariantCulture)]);
        }
        if (spec.MemoryLimit is { } memory)
        {
            args.AddRange(["--memory", memory.ToString(CultureInfo.InvariantCulture)]);
        }
        foreach (var port in spec.Ports)
        {
            args.AddRange(["-p", port.ToString()]);
        }
        foreach (var (key, value) in spec.Env)
        {
            args.AddRange(["-e", key + "=" + value]);
        }
        if (spec.WorkingDirectory is not null)
        {
            args.AddRange(["--workdir", spec.WorkingDirectory]);
        }
        if (spec.Credentials is { } credentials)
        {
            args.AddRange(["--creds", credentials.Username + ":" + credentials.Password]);
        }
        if (spec.Command is not null)
        {
            // As in Kubernetes: the command replaces the image's entrypoint, the args its default arguments.
            args.AddRange(["--entrypoint", spec.Command]);
        }
        args.Add(spec.Image!);
        args.AddRange(spec.Args);
        return args;
    }

    public async Task<WorkloadInstance?> AdoptAsync(WorkloadSpec spec, string instanceId, CancellationToken cancellationToken)
    {
        var state = await InspectAsync(instanceId, cancellationToken);
        if (state is { Running: true })
        {
            LogAdopted(logger, spec.Name, Short(instanceId));
            return new ContainerInstance(instanceId) { StartedAt = state.Value.StartedAt ?? time.GetUtcNow() };
        }
        if (state is not null)
        {
            // Ended while no agent watched: remove it; the manager decides on a restart.
            await podman.RunAsync(["rm", "-f", instanceId], cancellationToken);
        }
        return null;
    }

    public async Task<WorkloadExit> WaitForExitAsync(WorkloadInstance instance, CancellationToken cancellationToken)
    {
        var failures = 0;
        while (true)
        {
            var result = await podman.RunAsync(["container", "inspect", instance.Id], cancellationToken);
            var state = result.Ok ? Parse(result.Stdout) : null;
            if (state is { Running: false } ended)
            {
                return new WorkloadExit(ended.ExitCode, ended.Error is { Length: > 0 } error ? error : ended.OomKilled ? "out of memory" : null);
            }
            if (state is null)
            {
                if (result.ExitCode == 125 && result.Error.Contains("no such", StringComparison.OrdinalIgnoreCase))
                {
                    return new WorkloadExit(null, "the container was removed outside the agent");
                }
                // podman itself failed (busy, timed out): try again a few times before giving up on the run.
                if (++failures >= 5)
                {
                    return new WorkloadExit(null, "podman cannot inspect the container: " + result.Error);
                }
            }
            else
            {
                failures = 0;
            }
            await Task.Delay(_options.ContainerPollInterval, time, cancellationToken);
        }
    }

    public async Task StopAsync(WorkloadInstance instance, TimeSpan grace, CancellationToken cancellationToken)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(grace.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await podman.RunAsync(["stop", "--time", seconds, instance.Id], cancellationToken, grace + _options.PodmanCommandTimeout);
        await podman.RunAsync(["rm", "-f", instance.Id], cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ReadLogsAsync(WorkloadSpec spec, WorkloadInstance? instance, int tail, CancellationToken cancellationToken)
    {
        var result = await podman.RunAsync(["logs", "--tail", tail.ToString(CultureInfo.InvariantCulture), instance?.Id ?? ContainerName(spec.Name)], cancellationToken);
        if (!result.Ok)
        {
            return [];
        }
        // podman logs writes the container's stdout and stderr to its own stdout and stderr.
        var text = result.Stdout + (result.Stderr.Length > 0 ? "\n" + result.Stderr : "");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(tail).ToArray();
    }

    private async Task<ContainerState?> InspectAsync(string id, CancellationToken cancellationToken)
    {
        var result = await podman.RunAsync(["container", "inspect", id], cancellationToken);
        return result.Ok ? Parse(result.Stdout) : null;
    }

    internal readonly record struct ContainerState(bool Running, int? ExitCode, string? Error, bool OomKilled, DateTimeOffset? StartedAt);

    internal static ContainerState? Parse(string inspectJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(inspectJson);
            var root = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement.EnumerateArray().FirstOrDefault() : doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("State", out var state))
            {
                return null;
            }
            var running = state.TryGetProperty("Running", out var r) && r.ValueKind == JsonValueKind.True;
            var status = state.TryGetProperty("Status", out var s) ? s.GetString() : null;
            // "created", "initialized" and "stopping" are not ended yet.
            var ended = !running && status is "exited" or "stopped" or "dead" or "configured";
            int? exit = state.TryGetProperty("ExitCode", out var e) && e.TryGetInt32(out var code) ? code : null;
            var error = state.TryGetProperty("Error", out var er) ? er.GetString() : null;
            var oom = state.TryGetProperty("OOMKilled", out var o) && o.ValueKind == JsonValueKind.True;
            DateTimeOffset? started = state.TryGetProperty("StartedAt", out var st) && st.TryGetDateTimeOffset(out var at) ? at : null;
            return new ContainerState(!ended, exit, error, oom, started);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool IsPermanent(PodmanCli.Result result)
    {
        if (result.ExitCode is 126 or 127 or -1)
        {
            return true;
        }
        var error = result.Error;
        return result.ExitCode == 125 && (error.Contains("image not known", StringComparison.OrdinalIgnoreCase)
            || error.Contains("manifest unknown", StringComparison.OrdinalIgnoreCase)
            || error.Contains("no such image", StringComparison.OrdinalIgnoreCase)
            || error.Contains("not found in $PATH", StringComparison.OrdinalIgnoreCase)
            || error.Contains("invalid reference format", StringComparison.OrdinalIgnoreCase)
            || error.Contains("unauthorized", StringComparison.OrdinalIgnoreCase));
    }

    private static string Short(string id) => id.Length > 12 ? id[..12] : id;

    [LoggerMessage(EventId = 4140, Level = LogLevel.Information, Message = "Workload {Workload} started as container {ContainerId} ({Image})")]
    private static partial void LogStarted(ILogger logger, string workload, string containerId, string image);

    [LoggerMessage(EventId = 4141, Level = LogLevel.Information, Message = "Workload {Workload}: running container {ContainerId} adopted")]
    private static partial void LogAdopted(ILogger logger, string workload, string containerId);

    private sealed class ContainerInstance(string id) : WorkloadInstance
    {
        public override string Id { get; } = id;

        public override string? ContainerId => Id;
    }
}
