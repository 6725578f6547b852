using Aeros.Orchestration.Federation;
using Aeros.Orchestration.Placement;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Hlo;

/// <summary>
/// Options of the domain's High-Level Orchestrator (configuration section <c>Hlo</c>, e.g. <c>Hlo__QueueConcurrency=2</c>):
/// which domain it serves, the placement's health threshold and time budget, and how its background queue runs.
/// </summary>
public sealed class HloOptions
{
    /// <summary>Default of <see cref="MinHealthScore"/> (the placement engine's default).</summary>
    public const double DefaultMinHealthScore = PlacementOptions.DefaultMinHealthScore;

    /// <summary>Default of <see cref="PlacementBudget"/>: 2 s.</summary>
    public static readonly TimeSpan DefaultPlacementBudget = TimeSpan.FromSeconds(2);

    /// <summary>Default of <see cref="QueueConcurrency"/>.</summary>
    public const int DefaultQueueConcurrency = 2;

    /// <summary>Default of <see cref="RescanPeriod"/>: 5 s.</summary>
    public static readonly TimeSpan DefaultRescanPeriod = TimeSpan.FromSeconds(5);

    /// <summary>Default of <see cref="HandoffTimeout"/>: 10 s.</summary>
    public static readonly TimeSpan DefaultHandoffTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The domain this HLO serves (<c>urn:ngsi-ld:Domain:&lt;name&gt;</c>). Null: the federation's domain name.</summary>
    public string? DomainName { get; set; }

    /// <summary>The root URL of the domain's broker. Null: the first address this host listens at (its own broker).</summary>
    public Uri? BrokerUrl { get; set; }

    /// <summary>An element whose health score is below this (0–1) gets no component.</summary>
    public double MinHealthScore { get; set; } = DefaultMinHealthScore;

    /// <summary>The longest time the exact solver (CP-SAT) may take for one service; the heuristic's answer is used after it.</summary>
    public TimeSpan PlacementBudget { get; set; } = DefaultPlacementBudget;

    /// <summary>How many services the background queue works on at a time (placement itself is serialized per domain).</summary>
    public int QueueConcurrency { get; set; } = DefaultQueueConcurrency;

    /// <summary>
    /// How often the HLO re-reads the broker for work it may have missed (components Locating or Migrating, components
    /// of deleted services, leftovers of handed-off services); it also does so at start (crash-only).
    /// </summary>
    public TimeSpan RescanPeriod { get; set; } = DefaultRescanPeriod;

    /// <summary>The longest one call to another domain's HLO may take (hand-off, forwarded delete).</summary>
    public TimeSpan HandoffTimeout { get; set; } = DefaultHandoffTimeout;
}

/// <summary>Takes the HLO's domain from the federator when it is not set.</summary>
internal sealed class HloOptionsSetup(IOptions<FederationOptions> federation) : IPostConfigureOptions<HloOptions>
{
    public void PostConfigure(string? name, HloOptions options)
    {
        if (string.IsNullOrEmpty(options.DomainName) && !string.IsNullOrEmpty(federation.Value.DomainName))
        {
            options.DomainName = federation.Value.DomainName;
        }
    }
}

/// <summary>Validates <see cref="HloOptions"/>, listing every error at once.</summary>
internal sealed class HloOptionsValidator : IValidateOptions<HloOptions>
{
    public ValidateOptionsResult Validate(string? name, HloOptions options)
    {
        var errors = new List<string>();
        if (!FederationOptions.IsValidDomainName(options.DomainName))
        {
            errors.Add($"Hlo DomainName '{options.DomainName}' is invalid: use 1-64 letters, digits, '.', '_' or '-' (or set Federation:DomainName).");
        }
        if (options.BrokerUrl is { } broker && !FederationOptionsValidator.IsHttpUrl(broker))
        {
            errors.Add($"Hlo BrokerUrl '{broker}' must be an absolute http or https URL without query or fragment.");
        }
        if (!(options.MinHealthScore is >= 0 and <= 1))
        {
            errors.Add($"Hlo MinHealthScore must be between 0 and 1 (was {options.MinHealthScore}).");
        }
        Range(errors, "PlacementBudget", options.PlacementBudget, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(5));
        Range(errors, "RescanPeriod", options.RescanPeriod, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Range(errors, "HandoffTimeout", options.HandoffTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        if (options.QueueConcurrency is < 1 or > 64)
        {
            errors.Add($"Hlo QueueConcurrency must be between 1 and 64 (was {options.QueueConcurrency}).");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range(List<string> errors, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"Hlo {name} must be between {min.TotalSeconds} s and {max.TotalSeconds} s (was {value.TotalSeconds} s).");
        }
    }
}
