using Microsoft.Extensions.Options;

namespace Aeros.Agent.Workloads;

/// <summary>Options of the workload manager and its runtimes.</summary>
public sealed class WorkloadOptions
{
    /// <summary>Default of <see cref="InitialBackoff"/>: 1 s.</summary>
    public static readonly TimeSpan DefaultInitialBackoff = TimeSpan.FromSeconds(1);

    /// <summary>Default of <see cref="MaxBackoff"/>: 5 min.</summary>
    public static readonly TimeSpan DefaultMaxBackoff = TimeSpan.FromMinutes(5);

    /// <summary>Default of <see cref="StablePeriod"/>: 1 min.</summary>
    public static readonly TimeSpan DefaultStablePeriod = TimeSpan.FromMinutes(1);

    /// <summary>Default of <see cref="CrashLoopThreshold"/>.</summary>
    public const int DefaultCrashLoopThreshold = 5;

    /// <summary>Default of <see cref="LogFileMaxBytes"/>: 10 MiB.</summary>
    public const long DefaultLogFileMaxBytes = 10L * 1024 * 1024;

    /// <summary>Default of <see cref="LogFileCount"/>.</summary>
    public const int DefaultLogFileCount = 3;

    /// <summary>Default of <see cref="StopTimeout"/>: 10 s.</summary>
    public static readonly TimeSpan DefaultStopTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Default of <see cref="ContainerPollInterval"/>: 2 s.</summary>
    public static readonly TimeSpan DefaultContainerPollInterval = TimeSpan.FromSeconds(2);

    /// <summary>Default of <see cref="PodmanCommandTimeout"/>: 2 min (a pull may be slow).</summary>
    public static readonly TimeSpan DefaultPodmanCommandTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Where the agent keeps its state: the desired workloads (<c>workloads.json</c>) and the process logs
    /// (<c>logs/</c>). Default: <c>~/.local/share/aeros/agent</c>.
    /// </summary>
    public string StateDirectory { get; set; } = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "aeros", "agent");

    /// <summary>The podman executable (a path or a name on PATH).</summary>
    public string PodmanPath { get; set; } = "podman";

    /// <summary>A containers.conf for podman (sets <c>CONTAINERS_CONF</c> for its calls); null: podman's own search.</summary>
    public string? ContainersConf { get; set; }

    /// <summary>podman's <c>--pull</c> policy: always, missing, never or newer.</summary>
    public string PodmanPullPolicy { get; set; } = "missing";

    /// <summary>The longest one podman call may take.</summary>
    public TimeSpan PodmanCommandTimeout { get; set; } = DefaultPodmanCommandTimeout;

    /// <summary>How often a running container is inspected.</summary>
    public TimeSpan ContainerPollInterval { get; set; } = DefaultContainerPollInterval;

    /// <summary>The delay before the first restart after a quick failure; doubled per quick failure in a row.</summary>
    public TimeSpan InitialBackoff { get; set; } = DefaultInitialBackoff;

    /// <summary>The longest delay between restarts.</summary>
    public TimeSpan MaxBackoff { get; set; } = DefaultMaxBackoff;

    /// <summary>A run at least this long is stable: the next failure starts the backoff again from <see cref="InitialBackoff"/>.</summary>
    public TimeSpan StablePeriod { get; set; } = DefaultStablePeriod;

    /// <summary>After this many quick failures in a row the workload is in state CrashLoop.</summary>
    public int CrashLoopThreshold { get; set; } = DefaultCrashLoopThreshold;

    /// <summary>Largest size of one process log file before it is rotated.</summary>
    public long LogFileMaxBytes { get; set; } = DefaultLogFileMaxBytes;

    /// <summary>How many log files a process workload keeps (the current one and the rotated ones).</summary>
    public int LogFileCount { get; set; } = DefaultLogFileCount;

    /// <summary>How long a stopped workload gets to end after the polite signal before it is killed.</summary>
    public TimeSpan StopTimeout { get; set; } = DefaultStopTimeout;

    /// <summary>
    /// Whether containers are stopped when the agent stops. False (default): they keep running and the next agent
    /// adopts them. Process workloads are always stopped (their output goes through the agent).
    /// </summary>
    public bool StopContainersOnShutdown { get; set; }

    /// <summary>The directory of the process log files.</summary>
    public string LogDirectory => Path.Combine(StateDirectory, "logs");

    /// <summary>The state file.</summary>
    public string StateFile => Path.Combine(StateDirectory, "workloads.json");
}

/// <summary>Validates <see cref="WorkloadOptions"/>, listing every error at once.</summary>
internal sealed class WorkloadOptionsValidator : IValidateOptions<WorkloadOptions>
{
    private static readonly string[] PullPolicies = ["always", "missing", "never", "newer"];

    public ValidateOptionsResult Validate(string? name, WorkloadOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.StateDirectory))
        {
            errors.Add("Workloads state directory is required.");
        }
        if (string.IsNullOrWhiteSpace(options.PodmanPath))
        {
            errors.Add("Workloads podman path must not be empty.");
        }
        if (!PullPolicies.Contains(options.PodmanPullPolicy))
        {
            errors.Add($"Workloads podman pull policy '{options.PodmanPullPolicy}' must be one of {string.Join(", ", PullPolicies)}.");
        }
        Positive(errors, options.PodmanCommandTimeout, "podman command timeout");
        Positive(errors, options.ContainerPollInterval, "container poll interval");
        Positive(errors, options.InitialBackoff, "initial backoff");
        Positive(errors, options.StablePeriod, "stable period");
        Positive(errors, options.StopTimeout, "stop timeout");
        if (options.MaxBackoff < options.InitialBackoff || options.MaxBackoff > TimeSpan.FromDays(1))
        {
            errors.Add("Workloads maximum backoff must be at least the initial backoff and at most one day.");
        }
        if (options.CrashLoopThreshold is < 1 or > 1000)
        {
            errors.Add("Workloads crash-loop threshold must be between 1 and 1000.");
        }
        if (options.LogFileMaxBytes < 1024)
        {
            errors.Add("Workloads log file size must be at least 1024 bytes.");
        }
        if (options.LogFileCount is < 1 or > 100)
        {
            errors.Add("Workloads log file count must be between 1 and 100.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Positive(List<string> errors, TimeSpan value, string what)
    {
        if (value <= TimeSpan.Zero || value > TimeSpan.FromDays(1))
        {
            errors.Add($"Workloads {what} must be positive and at most one day.");
        }
    }
}
