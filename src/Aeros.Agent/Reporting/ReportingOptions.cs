using Microsoft.Extensions.Options;

namespace Aeros.Agent.Reporting;

/// <summary>
/// How the agent reports its IE entity to the domain broker (configuration section <c>Agent:Reporting</c>): a full
/// upsert at start and after every outage, a merge of the changing attributes on a significant change or at
/// <see cref="MaxInterval"/> at the latest, and a one-attribute <c>heartbeat</c> merge every <see cref="HeartbeatPeriod"/>
/// in between.
/// </summary>
public sealed class ReportingOptions
{
    /// <summary>Default of <see cref="MaxInterval"/>: 30 s.</summary>
    public static readonly TimeSpan DefaultMaxInterval = TimeSpan.FromSeconds(30);

    /// <summary>Default of <see cref="HeartbeatPeriod"/>: 1 s (the LLO's default grace is 3 s: three missed heartbeats).</summary>
    public static readonly TimeSpan DefaultHeartbeatPeriod = TimeSpan.FromSeconds(1);

    /// <summary>Default of <see cref="RequestTimeout"/>: 2 s.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Default of <see cref="RetryInitialDelay"/>: 1 s.</summary>
    public static readonly TimeSpan DefaultRetryInitialDelay = TimeSpan.FromSeconds(1);

    /// <summary>Default of <see cref="RetryMaxDelay"/>: 15 s.</summary>
    public static readonly TimeSpan DefaultRetryMaxDelay = TimeSpan.FromSeconds(15);

    /// <summary>Default of <see cref="CpuDelta"/>: 5 percentage points.</summary>
    public const double DefaultCpuDelta = 5;

    /// <summary>Default of <see cref="RamDelta"/>: 5 percentage points.</summary>
    public const double DefaultRamDelta = 5;

    /// <summary>Default of <see cref="DiskDelta"/>: 2 percentage points.</summary>
    public const double DefaultDiskDelta = 2;

    /// <summary>Default of <see cref="PowerDelta"/>: 30 % of the last reported power.</summary>
    public const double DefaultPowerDelta = 30;

    /// <summary>
    /// The edges of the health bands: a report is due when <c>healthScore</c> crosses one (bands [0, 0.3), [0.3, 0.6),
    /// [0.6, 0.8), [0.8, 1]).
    /// </summary>
    public static readonly IReadOnlyList<double> HealthBandEdges = [0.3, 0.6, 0.8];

    /// <summary>The longest time between two reports of the changing attributes, whatever changed.</summary>
    public TimeSpan MaxInterval { get; set; } = DefaultMaxInterval;

    /// <summary>How often the <c>heartbeat</c> attribute is refreshed when nothing else was sent.</summary>
    public TimeSpan HeartbeatPeriod { get; set; } = DefaultHeartbeatPeriod;

    /// <summary>
    /// The self-API base URL written as the IE's <c>selfApiUrl</c> (where the LLO reaches the agent, e.g. when the agent
    /// listens on a wildcard address behind another name). Null: the first address the agent listens at.
    /// </summary>
    public Uri? SelfApiUrl { get; set; }

    /// <summary>The longest one request to the broker may take.</summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    /// <summary>The first delay between attempts to reach the broker during an outage; doubled per attempt.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = DefaultRetryInitialDelay;

    /// <summary>The longest delay between attempts to reach the broker during an outage.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = DefaultRetryMaxDelay;

    /// <summary>Change of <c>currentCpuUsage</c> (percentage points) since the last report that triggers a report.</summary>
    public double CpuDelta { get; set; } = DefaultCpuDelta;

    /// <summary>Change of <c>currentRamUsagePct</c> (percentage points) since the last report that triggers a report.</summary>
    public double RamDelta { get; set; } = DefaultRamDelta;

    /// <summary>Change of <c>currentDiskUsagePct</c> (percentage points) since the last report that triggers a report.</summary>
    public double DiskDelta { get; set; } = DefaultDiskDelta;

    /// <summary>Relative change of <c>currentPowerConsumption</c> in % of the last reported value that triggers a report.</summary>
    public double PowerDelta { get; set; } = DefaultPowerDelta;

    /// <summary>The band of a health score: the number of <see cref="HealthBandEdges"/> at or below it (0–3).</summary>
    public static int HealthBand(double score) => HealthBandEdges.Count(edge => score >= edge);
}

/// <summary>Validates <see cref="ReportingOptions"/>, listing every error at once.</summary>
internal sealed class ReportingOptionsValidator : IValidateOptions<ReportingOptions>
{
    public ValidateOptionsResult Validate(string? name, ReportingOptions options)
    {
        var errors = new List<string>();
        Period(errors, "MaxInterval", options.MaxInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Period(errors, "HeartbeatPeriod", options.HeartbeatPeriod, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Period(errors, "RequestTimeout", options.RequestTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        Period(errors, "RetryInitialDelay", options.RetryInitialDelay, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Period(errors, "RetryMaxDelay", options.RetryMaxDelay, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        if (options.RetryMaxDelay < options.RetryInitialDelay)
        {
            errors.Add($"Agent reporting RetryMaxDelay ({options.RetryMaxDelay}) must not be shorter than RetryInitialDelay ({options.RetryInitialDelay}).");
        }
        if (options.SelfApiUrl is { } self && (!self.IsAbsoluteUri || (self.Scheme != Uri.UriSchemeHttp && self.Scheme != Uri.UriSchemeHttps)))
        {
            errors.Add($"Agent reporting SelfApiUrl '{self}' must be an absolute http or https URL.");
        }
        Delta(errors, "CpuDelta", options.CpuDelta);
        Delta(errors, "RamDelta", options.RamDelta);
        Delta(errors, "DiskDelta", options.DiskDelta);
        Delta(errors, "PowerDelta", options.PowerDelta);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Period(List<string> errors, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"Agent reporting {name} must be between {min.TotalSeconds} s and {max.TotalSeconds} s (was {value.TotalSeconds} s).");
        }
    }

    private static void Delta(List<string> errors, string name, double value)
    {
        if (!double.IsFinite(value) || value is < 0 or > 100)
        {
            errors.Add($"Agent reporting {name} must be between 0 and 100 (was {value}).");
        }
    }
}
