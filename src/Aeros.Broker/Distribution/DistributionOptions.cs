using Aeros.Broker.Registrations;
using Microsoft.Extensions.Options;

namespace Aeros.Broker.Distribution;

/// <summary>
/// Options of context source registrations and distributed operations (configuration section
/// <c>Broker:Distribution</c>, e.g. <c>Broker__Distribution__DefaultTimeout=00:00:03</c>).
/// </summary>
public sealed class DistributionOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string Section = "Broker:Distribution";

    /// <summary>Default time a forwarded request may take when the registration sets no <c>management.timeout</c>.</summary>
    public static readonly TimeSpan DefaultForwardTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default largest number of entities read from one context source for one query page.</summary>
    public const int DefaultMaxEntitiesPerSource = 1000;

    /// <summary>Default largest response body accepted from a context source, in bytes.</summary>
    public const long DefaultMaxResponseBytes = 16 * 1024 * 1024;

    /// <summary>
    /// This broker's <c>contextSourceAlias</c>: sent in <c>Via</c> when forwarding and shown at
    /// <c>/ngsi-ld/v1/info/sourceIdentity</c>. Null (the default) generates one at first start and keeps it in the
    /// data directory (file <c>context-source-alias</c>), so every broker on a machine has its own.
    /// </summary>
    public string? ContextSourceAlias { get; set; }

    /// <summary>Time a forwarded request may take unless the registration's <c>management.timeout</c> says otherwise.</summary>
    public TimeSpan DefaultTimeout { get; set; } = DefaultForwardTimeout;

    /// <summary>
    /// After a failed forward, how long requests to that registration fail at once, unless its
    /// <c>management.cooldown</c> says otherwise. Zero (the default) retries every time.
    /// </summary>
    public TimeSpan DefaultCooldown { get; set; } = TimeSpan.Zero;

    /// <summary>Largest number of entities a query page reads from one context source (its <c>limit</c>).</summary>
    public int MaxEntitiesPerSource { get; set; } = DefaultMaxEntitiesPerSource;

    /// <summary>Largest response body accepted from a context source, in bytes; larger answers count as failures.</summary>
    public long MaxResponseBytes { get; set; } = DefaultMaxResponseBytes;

    /// <summary>
    /// When the host gives the broker an access token (a secured domain host): the context sources that receive it with
    /// forwarded requests, as URLs whose origin (scheme, host, port) a registration's endpoint must have (e.g. the
    /// continuum's domain URLs). A registration pointing anywhere else is still served, without the token. Empty (the
    /// default): no context source receives it.
    /// </summary>
    public IList<Uri> TokenRecipients { get; set; } = [];
}

/// <summary>Validates <see cref="DistributionOptions"/>, listing every error at once.</summary>
internal sealed class DistributionOptionsValidator : IValidateOptions<DistributionOptions>
{
    public ValidateOptionsResult Validate(string? name, DistributionOptions options)
    {
        var errors = new List<string>();
        if (options.ContextSourceAlias is { } alias && !RegistrationParser.IsValidAlias(alias))
        {
            errors.Add("Distribution context source alias must be 1-128 characters without whitespace, commas, quotes or parentheses.");
        }
        if (options.DefaultTimeout <= TimeSpan.Zero || options.DefaultTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add("Distribution default timeout must be above zero and at most 10 minutes.");
        }
        if (options.DefaultCooldown < TimeSpan.Zero || options.DefaultCooldown > TimeSpan.FromDays(1))
        {
            errors.Add("Distribution default cooldown must be between zero and one day.");
        }
        if (options.MaxEntitiesPerSource is < 1 or > 100_000)
        {
            errors.Add("Distribution maximum entities per source must be between 1 and 100000.");
        }
        if (options.MaxResponseBytes is < 1024 or > int.MaxValue)
        {
            errors.Add("Distribution maximum response size must be between 1024 bytes and 2 GiB.");
        }
        foreach (var recipient in options.TokenRecipients)
        {
            if (recipient is null || Aeros.Security.TokenRecipients.OriginOf(recipient) is null)
            {
                errors.Add($"Distribution token recipient '{recipient}' must be an absolute http or https URL.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
