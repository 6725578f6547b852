using Aeros.Orchestration.Federation;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Llo;

/// <summary>
/// Options of the domain's Low-Level Orchestrator (configuration section <c>Llo</c>, e.g. <c>Llo__HeartbeatGrace=00:00:03</c>):
/// which domain it serves, how fast it detects a lost element, how often it resyncs, and how it retries.
/// </summary>
public sealed class LloOptions
{
    /// <summary>Default of <see cref="HeartbeatGrace"/>: 3 s (three agent heartbeats of 1 s).</summary>
    public static readonly TimeSpan DefaultHeartbeatGrace = TimeSpan.FromSeconds(3);

    /// <summary>Default of <see cref="CheckPeriod"/>: 500 ms.</summary>
    public static readonly TimeSpan DefaultCheckPeriod = TimeSpan.FromMilliseconds(500);

    /// <summary>Default of <see cref="ResyncPeriod"/>: 10 s.</summary>
    public static readonly TimeSpan DefaultResyncPeriod = TimeSpan.FromSeconds(10);

    /// <summary>Default of <see cref="MaxConcurrency"/>.</summary>
    public const int DefaultMaxConcurrency = 4;

    /// <summary>Default of <see cref="StartTimeout"/>: 30 s.</summary>
    public static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Default of <see cref="AgentRequestTimeout"/>: 5 s.</summary>
    public static readonly TimeSpan DefaultAgentRequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default of <see cref="RetryBaseDelay"/>: 200 ms.</summary>
    public static readonly TimeSpan DefaultRetryBaseDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>Default of <see cref="RetryMaxDelay"/>: 10 s.</summary>
    public static readonly TimeSpan DefaultRetryMaxDelay = TimeSpan.FromSeconds(10);

    /// <summary>Default of <see cref="RecoveryGrace"/>: 20 s (more than the agent's longest reporting backoff, 15 s).</summary>
    public static readonly TimeSpan DefaultRecoveryGrace = TimeSpan.FromSeconds(20);

    /// <summary>Default of <see cref="FlapCount"/>.</summary>
    public const int DefaultFlapCount = 3;

    /// <summary>Default of <see cref="FlapWindow"/>: 5 min.</summary>
    public static readonly TimeSpan DefaultFlapWindow = TimeSpan.FromMinutes(5);

    /// <summary>Default of <see cref="FlapHold"/>: 60 s.</summary>
    public static readonly TimeSpan DefaultFlapHold = TimeSpan.FromSeconds(60);

    /// <summary>The domain whose elements this LLO serves (<c>urn:ngsi-ld:Domain:&lt;name&gt;</c>). Null: the federation's domain name.</summary>
    public string? DomainName { get; set; }

    /// <summary>The root URL of the domain's broker. Null: the first address this host listens at (its own broker).</summary>
    public Uri? BrokerUrl { get; set; }

    /// <summary>Where the broker POSTs component notifications. Null: <c>/llo/v1/notify</c> under the first address this host listens at.</summary>
    public Uri? NotifyUrl { get; set; }

    /// <summary>An element whose heartbeat has not advanced for this long is marked unreachable.</summary>
    public TimeSpan HeartbeatGrace { get; set; } = DefaultHeartbeatGrace;

    /// <summary>How often the element monitor reads the elements' heartbeats.</summary>
    public TimeSpan CheckPeriod { get; set; } = DefaultCheckPeriod;

    /// <summary>
    /// After the LLO starts and after a broker outage, no element is marked lost for this long: the agents were cut
    /// off from the broker too and come back on their own backoff, so a stale heartbeat then says nothing.
    /// </summary>
    public TimeSpan RecoveryGrace { get; set; } = DefaultRecoveryGrace;

    /// <summary>How often every component and every LLO workload of the domain is reconciled, notification or not.</summary>
    public TimeSpan ResyncPeriod { get; set; } = DefaultResyncPeriod;

    /// <summary>How many components are reconciled at the same time.</summary>
    public int MaxConcurrency { get; set; } = DefaultMaxConcurrency;

    /// <summary>How long a component's agent may stay unreachable while the LLO tries to start it before the component is Failed.</summary>
    public TimeSpan StartTimeout { get; set; } = DefaultStartTimeout;

    /// <summary>The longest one request to an agent may take.</summary>
    public TimeSpan AgentRequestTimeout { get; set; } = DefaultAgentRequestTimeout;

    /// <summary>The first delay before a failed reconcile is retried; doubled per failure of the same component.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = DefaultRetryBaseDelay;

    /// <summary>The longest delay before a failed reconcile is retried.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = DefaultRetryMaxDelay;

    /// <summary>An element lost this many times within <see cref="FlapWindow"/> is flapping.</summary>
    public int FlapCount { get; set; } = DefaultFlapCount;

    /// <summary>The window in which losses of an element are counted.</summary>
    public TimeSpan FlapWindow { get; set; } = DefaultFlapWindow;

    /// <summary>How long a flapping element stays unreachable after its heartbeat is back.</summary>
    public TimeSpan FlapHold { get; set; } = DefaultFlapHold;
}

/// <summary>Takes the LLO's domain from the federator when it is not set.</summary>
internal sealed class LloOptionsSetup(IOptions<FederationOptions> federation) : IPostConfigureOptions<LloOptions>
{
    public void PostConfigure(string? name, LloOptions options)
    {
        if (string.IsNullOrEmpty(options.DomainName) && !string.IsNullOrEmpty(federation.Value.DomainName))
        {
            options.DomainName = federation.Value.DomainName;
        }
    }
}

/// <summary>Validates <see cref="LloOptions"/>, listing every error at once.</summary>
internal sealed class LloOptionsValidator : IValidateOptions<LloOptions>
{
    public ValidateOptionsResult Validate(string? name, LloOptions options)
    {
        var errors = new List<string>();
        if (!FederationOptions.IsValidDomainName(options.DomainName))
        {
            errors.Add($"Llo DomainName '{options.DomainName}' is invalid: use 1-64 letters, digits, '.', '_' or '-' (or set Federation:DomainName).");
        }
        if (options.BrokerUrl is { } broker && !FederationOptionsValidator.IsHttpUrl(broker))
        {
            errors.Add($"Llo BrokerUrl '{broker}' must be an absolute http or https URL without query or fragment.");
        }
        if (options.NotifyUrl is { } notify && !(notify.IsAbsoluteUri && (notify.Scheme == Uri.UriSchemeHttp || notify.Scheme == Uri.UriSchemeHttps)))
        {
            errors.Add($"Llo NotifyUrl '{notify}' must be an absolute http or https URL.");
        }
        Range(errors, "HeartbeatGrace", options.HeartbeatGrace, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Range(errors, "CheckPeriod", options.CheckPeriod, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));
        Range(errors, "ResyncPeriod", options.ResyncPeriod, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Range(errors, "StartTimeout", options.StartTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Range(errors, "AgentRequestTimeout", options.AgentRequestTimeout, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(5));
        Range(errors, "RetryBaseDelay", options.RetryBaseDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(10));
        Range(errors, "RetryMaxDelay", options.RetryMaxDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1));
        Range(errors, "RecoveryGrace", options.RecoveryGrace, TimeSpan.Zero, TimeSpan.FromHours(1));
        Range(errors, "FlapWindow", options.FlapWindow, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Range(errors, "FlapHold", options.FlapHold, TimeSpan.Zero, TimeSpan.FromDays(1));
        if (options.RetryMaxDelay < options.RetryBaseDelay)
        {
            errors.Add($"Llo RetryMaxDelay ({options.RetryMaxDelay}) must not be shorter than RetryBaseDelay ({options.RetryBaseDelay}).");
        }
        if (options.CheckPeriod > options.HeartbeatGrace)
        {
            errors.Add($"Llo CheckPeriod ({options.CheckPeriod}) must not be longer than HeartbeatGrace ({options.HeartbeatGrace}).");
        }
        if (options.MaxConcurrency is < 1 or > 256)
        {
            errors.Add($"Llo MaxConcurrency must be between 1 and 256 (was {options.MaxConcurrency}).");
        }
        if (options.FlapCount is < 1 or > 1000)
        {
            errors.Add($"Llo FlapCount must be between 1 and 1000 (was {options.FlapCount}).");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range(List<string> errors, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"Llo {name} must be between {min.TotalSeconds} s and {max.TotalSeconds} s (was {value.TotalSeconds} s).");
        }
    }
}
