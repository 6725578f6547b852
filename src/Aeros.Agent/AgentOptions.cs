using Aeros.Continuum.Security;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Aeros.Agent;

/// <summary>
/// Options of the IE agent (configuration section <c>Agent</c>): who the node is, where it reports, how it samples
/// and how it judges its health. The part that may change while the agent runs is <see cref="AgentConfig"/>
/// (<c>GET/PUT /self/v1/config</c>); its start values come from here.
/// </summary>
public sealed partial class AgentOptions
{
    /// <summary>Default of <see cref="SamplingPeriod"/>: 1 s.</summary>
    public static readonly TimeSpan DefaultSamplingPeriod = TimeSpan.FromSeconds(1);

    /// <summary>Default of <see cref="HistoryCapacity"/>: 600 snapshots (10 minutes at 1 s).</summary>
    public const int DefaultHistoryCapacity = 600;

    /// <summary>Default of <see cref="IdleWatts"/>.</summary>
    public const double DefaultIdleWatts = 10;

    /// <summary>Default of <see cref="MaxWatts"/>.</summary>
    public const double DefaultMaxWatts = 65;

    /// <summary>Default of <see cref="PowerAverageWindow"/>: 60 s.</summary>
    public static readonly TimeSpan DefaultPowerAverageWindow = TimeSpan.FromSeconds(60);

    /// <summary>Default of <see cref="Tier"/>.</summary>
    public const string DefaultTier = "Edge";

    /// <summary>The tiers of the aerOS model (<c>urn:ngsi-ld:InfrastructureElementTier:&lt;tier&gt;</c>).</summary>
    public static readonly IReadOnlyList<string> Tiers = ["Cloud", "Edge", "FarEdge", "IoT", "CloudOnPremises"];

    /// <summary>The domain broker's root URL (e.g. <c>http://127.0.0.1:9090</c>; the API is under <c>/ngsi-ld/v1</c>). Required.</summary>
    public Uri? Broker { get; set; }

    /// <summary>The domain the node belongs to (letters, digits, <c>.</c>, <c>_</c>, <c>-</c>). Required.</summary>
    public string Domain { get; set; } = "";

    /// <summary>The IE entity id; null: <c>urn:ngsi-ld:InfrastructureElement:&lt;domain&gt;:&lt;MAC without colons&gt;</c>.</summary>
    public string? IeId { get; set; }

    /// <summary>Directory of the agent's state (workload state, logs); its file system is the one whose disk figures are reported.</summary>
    public string StateDirectory { get; set; } = Path.Combine(".aeros", "agent");

    /// <summary>How often the node is sampled (changeable at run time).</summary>
    public TimeSpan SamplingPeriod { get; set; } = DefaultSamplingPeriod;

    /// <summary>How many snapshots the history ring keeps (<c>/self/v1/metrics/history</c>).</summary>
    public int HistoryCapacity { get; set; } = DefaultHistoryCapacity;

    /// <summary>Where the node is (changeable at run time); null: not reported.</summary>
    public GeoLocation? Location { get; set; }

    /// <summary>The node's tier: one of <see cref="Tiers"/> (changeable at run time).</summary>
    public string Tier { get; set; } = DefaultTier;

    /// <summary>Power draw of the idle node in watts, for the linear power model used where RAPL is not readable.</summary>
    public double IdleWatts { get; set; } = DefaultIdleWatts;

    /// <summary>Power draw of the node at 100 % CPU in watts, for the linear power model.</summary>
    public double MaxWatts { get; set; } = DefaultMaxWatts;

    /// <summary>Time constant of the exponential moving average behind <c>avgPowerConsumption</c>.</summary>
    public TimeSpan PowerAverageWindow { get; set; } = DefaultPowerAverageWindow;

    /// <summary>Weights of the health factors (changeable at run time).</summary>
    public HealthWeights Weights { get; set; } = new();

    /// <summary>Thresholds of the health factors and of the Overloaded status (changeable at run time).</summary>
    public HealthThresholds Thresholds { get; set; } = new();

    /// <summary>Whether the node is in maintenance (status Maintenance; changeable at run time).</summary>
    public bool Maintenance { get; set; }

    /// <summary>
    /// The agent's client credential for its domain's gateway (section <c>Agent:Auth</c>: <c>TokenUrl</c>, <c>ClientId</c>,
    /// <c>ClientSecret</c>); unset: the agent calls the broker without a token. Pass the secret in the environment
    /// (<c>Agent__Auth__ClientSecret</c>) or agent.yaml, never on the command line.
    /// </summary>
    public ClientCredentialsOptions Auth { get; set; } = new();

    /// <summary>
    /// Who may call the self-API (section <c>Agent:Security</c>). With an <see cref="AgentSecurityOptions.Issuer"/>,
    /// every <c>/self/v1</c> request but the health probe and the OpenAPI document needs a valid bearer token whose roles
    /// the policy allows on API <c>ie</c> for this agent's domain; unset: the self-API takes no tokens (docs/agent.md).
    /// </summary>
    public AgentSecurityOptions Security { get; set; } = new();

    /// <summary>Whether <paramref name="name"/> is a valid domain name.</summary>
    public static bool IsValidDomainName(string? name) => name is { Length: > 0 and <= 64 } && DomainNamePattern().IsMatch(name);

    /// <summary>The runtime-changeable part as an immutable snapshot.</summary>
    public AgentConfig ToConfig() => new(SamplingPeriod, Location, Tier, Maintenance, Weights.Clone(), Thresholds.Clone());

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex DomainNamePattern();
}

/// <summary>A WGS84 position.</summary>
public sealed class GeoLocation
{
    /// <summary>Latitude in degrees, −90 to 90.</summary>
    public double Latitude { get; set; }

    /// <summary>Longitude in degrees, −180 to 180.</summary>
    public double Longitude { get; set; }
}

/// <summary>
/// Relative weights of the health factors; they need not sum to 1 (the score divides by their sum). A weight of 0 leaves
/// the factor out.
/// </summary>
public sealed class HealthWeights
{
    /// <summary>CPU saturation (default 0.25).</summary>
    public double Cpu { get; set; } = 0.25;

    /// <summary>Memory pressure (default 0.25).</summary>
    public double Memory { get; set; } = 0.25;

    /// <summary>Disk usage of the state directory's file system (default 0.15).</summary>
    public double Disk { get; set; } = 0.15;

    /// <summary>Network loss (default 0.10).</summary>
    public double Network { get; set; } = 0.10;

    /// <summary>Workload failures (default 0.15).</summary>
    public double Workloads { get; set; } = 0.15;

    /// <summary>Broker reachability (default 0.10).</summary>
    public double Broker { get; set; } = 0.10;

    /// <summary>A copy.</summary>
    public HealthWeights Clone() => (HealthWeights)MemberwiseClone();
}

/// <summary>
/// Where each health factor starts to fall (<c>…Good</c>: factor 1 up to here) and where it reaches 0 (<c>…Bad</c>), plus the
/// limits at which the node is Overloaded. Percentages are 0–100.
/// </summary>
public sealed class HealthThresholds
{
    /// <summary>CPU usage % up to which the CPU factor is 1 (default 60).</summary>
    public double CpuGood { get; set; } = 60;

    /// <summary>CPU usage % at which the CPU factor is 0 (default 100).</summary>
    public double CpuBad { get; set; } = 100;

    /// <summary>RAM usage % up to which the memory factor is 1 (default 70).</summary>
    public double MemoryGood { get; set; } = 70;

    /// <summary>RAM usage % at which the memory factor is 0 (default 98).</summary>
    public double MemoryBad { get; set; } = 98;

    /// <summary>Disk usage % up to which the disk factor is 1 (default 80).</summary>
    public double DiskGood { get; set; } = 80;

    /// <summary>Disk usage % at which the disk factor is 0 (default 98).</summary>
    public double DiskBad { get; set; } = 98;

    /// <summary>Lost packets as % of packets up to which the network factor is 1 (default 0).</summary>
    public double NetworkLossGood { get; set; }

    /// <summary>Lost packets as % of packets at which the network factor is 0 (default 5).</summary>
    public double NetworkLossBad { get; set; } = 5;

    /// <summary>Failed or crash-looping workloads as % of all at which the workload factor is 0 (default 50; 0 % is 1).</summary>
    public double WorkloadFailureBad { get; set; } = 50;

    /// <summary>CPU usage % from which the node is Overloaded (default 90).</summary>
    public double OverloadCpu { get; set; } = 90;

    /// <summary>RAM usage % from which the node is Overloaded (default 95).</summary>
    public double OverloadMemory { get; set; } = 95;

    /// <summary>Health score below which the node is Overloaded whatever the cause (default 0.3).</summary>
    public double OverloadScore { get; set; } = 0.3;

    /// <summary>The highest score a node can have while any weighted factor is 0 (hard floor rule; default 0.25).</summary>
    public double ZeroFactorCap { get; set; } = 0.25;

    /// <summary>
    /// Hysteresis: an Overloaded node is Ready again only when CPU and RAM are this many points below their overload
    /// thresholds (default 10), so a node hovering at a threshold does not flip its status on every sample.
    /// </summary>
    public double RecoveryMargin { get; set; } = 10;

    /// <summary>Hysteresis of the score: an Overloaded node is Ready again only at overloadScore + this (default 0.1).</summary>
    public double RecoveryScoreMargin { get; set; } = 0.1;

    /// <summary>A copy.</summary>
    public HealthThresholds Clone() => (HealthThresholds)MemberwiseClone();
}

/// <summary>
/// The runtime-changeable configuration of the agent as one immutable snapshot (swapped whole by
/// <c>PUT /self/v1/config</c>). The objects inside are copies nobody mutates after validation.
/// </summary>
public sealed record AgentConfig(TimeSpan SamplingPeriod, GeoLocation? Location, string Tier, bool Maintenance, HealthWeights Weights, HealthThresholds Thresholds)
{
    /// <summary>Shortest sampling period accepted.</summary>
    public static readonly TimeSpan MinSamplingPeriod = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest sampling period accepted.</summary>
    public static readonly TimeSpan MaxSamplingPeriod = TimeSpan.FromHours(1);

    /// <summary>Every error of this configuration, each naming the field (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (SamplingPeriod < MinSamplingPeriod || SamplingPeriod > MaxSamplingPeriod)
        {
            errors.Add($"samplingPeriod must be between {MinSamplingPeriod.TotalSeconds} s and {MaxSamplingPeriod.TotalSeconds} s (was {SamplingPeriod.TotalSeconds} s).");
        }
        if (Location is not null)
        {
            if (!double.IsFinite(Location.Latitude) || Location.Latitude is < -90 or > 90)
            {
                errors.Add($"location.latitude must be between -90 and 90 (was {Location.Latitude}).");
            }
            if (!double.IsFinite(Location.Longitude) || Location.Longitude is < -180 or > 180)
            {
                errors.Add($"location.longitude must be between -180 and 180 (was {Location.Longitude}).");
            }
        }
        if (!AgentOptions.Tiers.Contains(Tier, StringComparer.Ordinal))
        {
            errors.Add($"tier '{Tier}' is not one of {string.Join(", ", AgentOptions.Tiers)}.");
        }
        var w = Weights;
        var sum = 0.0;
        foreach (var (name, value) in new[] { ("cpu", w.Cpu), ("memory", w.Memory), ("disk", w.Disk), ("network", w.Network), ("workloads", w.Workloads), ("broker", w.Broker) })
        {
            if (!double.IsFinite(value) || value < 0)
            {
                errors.Add($"weights.{name} must be a number >= 0 (was {value}).");
            }
            else
            {
                sum += value;
            }
        }
        if (sum <= 0)
        {
            errors.Add("weights must not all be 0.");
        }
        var t = Thresholds;
        Range(errors, "cpu", t.CpuGood, t.CpuBad, 100);
        Range(errors, "memory", t.MemoryGood, t.MemoryBad, 100);
        Range(errors, "disk", t.DiskGood, t.DiskBad, 100);
        Range(errors, "networkLoss", t.NetworkLossGood, t.NetworkLossBad, 100);
        Percent(errors, "thresholds.workloadFailureBad", t.WorkloadFailureBad, allowZero: false);
        Percent(errors, "thresholds.overloadCpu", t.OverloadCpu, allowZero: false);
        Percent(errors, "thresholds.overloadMemory", t.OverloadMemory, allowZero: false);
        if (!double.IsFinite(t.OverloadScore) || t.OverloadScore is < 0 or > 1)
        {
            errors.Add($"thresholds.overloadScore must be between 0 and 1 (was {t.OverloadScore}).");
        }
        if (!double.IsFinite(t.ZeroFactorCap) || t.ZeroFactorCap is < 0 or > 1)
        {
            errors.Add($"thresholds.zeroFactorCap must be between 0 and 1 (was {t.ZeroFactorCap}).");
        }
        if (!double.IsFinite(t.RecoveryMargin) || t.RecoveryMargin is < 0 or > 100)
        {
            errors.Add($"thresholds.recoveryMargin must be between 0 and 100 (was {t.RecoveryMargin}).");
        }
        if (!double.IsFinite(t.RecoveryScoreMargin) || t.RecoveryScoreMargin is < 0 or > 1)
        {
            errors.Add($"thresholds.recoveryScoreMargin must be between 0 and 1 (was {t.RecoveryScoreMargin}).");
        }
        return errors;
    }

    private static void Range(List<string> errors, string name, double good, double bad, double max)
    {
        var ok = true;
        if (!double.IsFinite(good) || good < 0 || good > max)
        {
            errors.Add($"thresholds.{name}Good must be between 0 and {max} (was {good}).");
            ok = false;
        }
        if (!double.IsFinite(bad) || bad <= 0 || bad > max)
        {
            errors.Add($"thresholds.{name}Bad must be above 0 and at most {max} (was {bad}).");
            ok = false;
        }
        if (ok && bad <= good)
        {
            errors.Add($"thresholds.{name}Bad ({bad}) must be above thresholds.{name}Good ({good}).");
        }
    }

    private static void Percent(List<string> errors, string name, double value, bool allowZero)
    {
        if (!double.IsFinite(value) || value > 100 || value < 0 || (!allowZero && value == 0))
        {
            errors.Add($"{name} must be {(allowZero ? "between 0" : "above 0 and at most")} 100 (was {value}).");
        }
    }
}

/// <summary>Holds the current <see cref="AgentConfig"/>; readers take the reference, writers swap it atomically.</summary>
public sealed class AgentConfigStore
{
    private AgentConfig _current;

    /// <summary>Starts from the options' values.</summary>
    public AgentConfigStore(IOptions<AgentOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _current = options.Value.ToConfig();
    }

    /// <summary>The current configuration.</summary>
    public AgentConfig Current => Volatile.Read(ref _current);

    /// <summary>Raised after a new configuration is set.</summary>
    public event Action<AgentConfig>? Changed;

    /// <summary>Validates and installs <paramref name="config"/>; returns every error and changes nothing when invalid.</summary>
    public IReadOnlyList<string> TrySet(AgentConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = config.Validate();
        if (errors.Count > 0)
        {
            return errors;
        }
        Volatile.Write(ref _current, config);
        Changed?.Invoke(config);
        return errors;
    }
}

/// <summary>Validates <see cref="AgentOptions"/>, listing every error at once.</summary>
internal sealed class AgentOptionsValidator : IValidateOptions<AgentOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        var errors = new List<string>();
        if (options.Broker is null || !options.Broker.IsAbsoluteUri || options.Broker.Scheme is not ("http" or "https"))
        {
            errors.Add($"Agent broker '{options.Broker}' must be an absolute http or https URL (the broker's root, e.g. http://127.0.0.1:9090).");
        }
        if (!AgentOptions.IsValidDomainName(options.Domain))
        {
            errors.Add($"Agent domain '{options.Domain}' is invalid: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }
        if (options.IeId is not null && (!options.IeId.StartsWith("urn:", StringComparison.Ordinal) || options.IeId.Any(char.IsWhiteSpace)))
        {
            errors.Add($"Agent IE id '{options.IeId}' must be a URN (urn:...) without spaces.");
        }
        if (string.IsNullOrWhiteSpace(options.StateDirectory))
        {
            errors.Add("Agent state directory must not be empty.");
        }
        errors.AddRange(options.Auth.Validate("Agent auth"));
        errors.AddRange(options.Security.Validate());
        if (options.HistoryCapacity is < 1 or > 100_000)
        {
            errors.Add($"Agent history capacity must be between 1 and 100000 (was {options.HistoryCapacity}).");
        }
        else if (HistoryNeedsMoreThanHalfTheHeap(options.HistoryCapacity, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes) is { } limitMiB)
        {
            // aeros-agent runs under a 32 MiB GC heap limit: a long history would end in out-of-memory, not in an error at start.
            errors.Add($"Agent history capacity {options.HistoryCapacity} needs up to {options.HistoryCapacity * (long)SnapshotBytesBound / (1024 * 1024)} MiB, "
                + $"more than half of this process's {limitMiB} MiB GC heap limit: lower historyCapacity or raise DOTNET_GCHeapHardLimit (hex bytes).");
        }
        if (!double.IsFinite(options.IdleWatts) || options.IdleWatts < 0)
        {
            errors.Add($"Agent idle watts must be >= 0 (was {options.IdleWatts}).");
        }
        if (!double.IsFinite(options.MaxWatts) || options.MaxWatts <= 0 || options.MaxWatts < options.IdleWatts)
        {
            errors.Add($"Agent max watts must be above 0 and not below idle watts (was {options.MaxWatts}).");
        }
        if (options.PowerAverageWindow <= TimeSpan.Zero)
        {
            errors.Add("Agent power average window must be positive.");
        }
        errors.AddRange(options.ToConfig().Validate().Select(e => "Agent " + e));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>A generous bound on one history snapshot's heap size (a <c>NodeSnapshot</c> and its strings).</summary>
    internal const int SnapshotBytesBound = 1024;

    /// <summary>The heap limit in MiB when <paramref name="capacity"/> snapshots could take more than half of it; otherwise null.</summary>
    internal static long? HistoryNeedsMoreThanHalfTheHeap(int capacity, long heapLimitBytes) =>
        heapLimitBytes > 0 && (long)capacity * SnapshotBytesBound > heapLimitBytes / 2 ? heapLimitBytes / (1024 * 1024) : null;
}

/// <summary>
/// Token checks of the self-API (docs/agent.md, "Security"): the continuum's issuer, the audience, the clock skew and
/// the policy file — the same validator and policy as the domain's gateway (Aeros.Security).
/// </summary>
public sealed class AgentSecurityOptions
{
    /// <summary>The issuer (<c>iss</c>) whose tokens are accepted, e.g. <c>http://127.0.0.1:9090/iam/</c>. Null: no token checks.</summary>
    public string? Issuer { get; set; }

    /// <summary>The issuer's JWKS URL. Null: from <c>&lt;issuer&gt;.well-known/openid-configuration</c>.</summary>
    public Uri? JwksUri { get; set; }

    /// <summary>The audience tokens must carry (<c>aeros</c>, as the embedded IAM issues them).</summary>
    public string Audience { get; set; } = Aeros.Security.Tokens.TokenValidationOptions.DefaultAudience;

    /// <summary>How far <c>exp</c>/<c>nbf</c> may be off this node's clock (30 s, at most 5 min).</summary>
    public TimeSpan ClockSkew { get; set; } = Aeros.Security.Tokens.TokenValidationOptions.DefaultClockSkew;

    /// <summary>The policy file (the gateway's format, docs/security.md); null: the embedded default policy.</summary>
    public string? PolicyFile { get; set; }

    /// <summary>Whether the self-API checks tokens.</summary>
    public bool IsEnabled => !string.IsNullOrEmpty(Issuer);

    /// <summary>Every error of these options (empty when valid or not enabled).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!IsEnabled)
        {
            return errors;
        }
        if (!Uri.TryCreate(Issuer, UriKind.Absolute, out var issuer) || issuer.Scheme is not ("http" or "https"))
        {
            errors.Add($"Agent security issuer '{Issuer}' must be an absolute http or https URL (the continuum's IAM, e.g. http://127.0.0.1:9090/iam/).");
        }
        if (JwksUri is { } jwks && (!jwks.IsAbsoluteUri || jwks.Scheme is not ("http" or "https")))
        {
            errors.Add($"Agent security jwksUri '{jwks}' must be an absolute http or https URL.");
        }
        if (string.IsNullOrWhiteSpace(Audience))
        {
            errors.Add("Agent security audience must not be empty.");
        }
        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromMinutes(5))
        {
            errors.Add($"Agent security clockSkew must be between 0 and 300 s (was {ClockSkew.TotalSeconds} s).");
        }
        if (PolicyFile is { } file && !File.Exists(file))
        {
            errors.Add($"Agent security policyFile '{file}' does not exist.");
        }
        return errors;
    }
}
