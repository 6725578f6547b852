using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Federation;

/// <summary>Options of the federator: who this domain is, whom it knows first, and how it retries.</summary>
public sealed partial class FederationOptions
{
    /// <summary>Default of <see cref="ResyncInterval"/>: 30 s.</summary>
    public static readonly TimeSpan DefaultResyncInterval = TimeSpan.FromSeconds(30);

    /// <summary>Default of <see cref="RequestTimeout"/>: 5 s.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default of <see cref="RetryBaseDelay"/>: 1 s.</summary>
    public static readonly TimeSpan DefaultRetryBaseDelay = TimeSpan.FromSeconds(1);

    /// <summary>Default of <see cref="RetryMaxDelay"/>: 30 s.</summary>
    public static readonly TimeSpan DefaultRetryMaxDelay = TimeSpan.FromSeconds(30);

    /// <summary>Default of <see cref="ForwardTimeout"/>: 3 s.</summary>
    public static readonly TimeSpan DefaultForwardTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Default of <see cref="RequestRetries"/>.</summary>
    public const int DefaultRequestRetries = 2;

    /// <summary>
    /// The domain's name: letters, digits, <c>.</c>, <c>_</c> and <c>-</c> (it becomes part of the URNs
    /// <c>urn:ngsi-ld:Domain:&lt;name&gt;</c> and <c>urn:aerios:federation:&lt;name&gt;:*</c>). Required.
    /// </summary>
    public string DomainName { get; set; } = "";

    /// <summary>
    /// The URL other domains reach this domain at (its broker is under <c>/ngsi-ld/v1</c>); written into the
    /// Domain entity and used as the endpoint of this domain's registrations. Null: the first address the host
    /// listens at.
    /// </summary>
    public Uri? PublicUrl { get; set; }

    /// <summary>Public URLs of domains already in the continuum; the federator learns the rest from them.</summary>
    public IList<Uri> Peers { get; set; } = [];

    /// <summary>Whether this domain is the continuum's entrypoint domain (the Domain entity's <c>isEntrypoint</c>).</summary>
    public bool IsEntrypoint { get; set; }

    /// <summary>Owners of the domain: organization URIs, or plain names that become <c>urn:ngsi-ld:Organization:&lt;name&gt;</c>.</summary>
    public IList<string> Owners { get; set; } = [];

    /// <summary>How often the federator re-checks every known domain once everything is in sync.</summary>
    public TimeSpan ResyncInterval { get; set; } = DefaultResyncInterval;

    /// <summary>The longest one HTTP attempt to a broker may take.</summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    /// <summary>How many times one request is retried at once (transport errors, timeouts, 5xx) before the pass gives up on that domain.</summary>
    public int RequestRetries { get; set; } = DefaultRequestRetries;

    /// <summary>The first delay before a failed pass is repeated; doubled per failed pass up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = DefaultRetryBaseDelay;

    /// <summary>The longest delay between passes while some domain is unreachable.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = DefaultRetryMaxDelay;

    /// <summary>
    /// How long a broker waits for a domain when it forwards a request to it (the registrations'
    /// <c>management.timeout</c>): an unreachable domain costs a query at most this long.
    /// </summary>
    public TimeSpan ForwardTimeout { get; set; } = DefaultForwardTimeout;

    /// <summary>Whether <paramref name="name"/> is a valid domain name.</summary>
    public static bool IsValidDomainName(string? name) => name is { Length: > 0 and <= 64 } && DomainNamePattern().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex DomainNamePattern();
}

/// <summary>Validates <see cref="FederationOptions"/>, listing every error at once.</summary>
internal sealed class FederationOptionsValidator : IValidateOptions<FederationOptions>
{
    public ValidateOptionsResult Validate(string? name, FederationOptions options)
    {
        var errors = new List<string>();
        if (!FederationOptions.IsValidDomainName(options.DomainName))
        {
            errors.Add($"Federation domain name '{options.DomainName}' is invalid: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }
        if (options.PublicUrl is not null && !IsHttpUrl(options.PublicUrl))
        {
            errors.Add($"Federation public URL '{options.PublicUrl}' must be an absolute http or https URL without query or fragment.");
        }
        foreach (var peer in options.Peers)
        {
            if (peer is null || !IsHttpUrl(peer))
            {
                errors.Add($"Federation peer '{peer}' must be an absolute http or https URL without query or fragment.");
            }
        }
        foreach (var owner in options.Owners)
        {
            if (string.IsNullOrWhiteSpace(owner) || owner.Any(char.IsWhiteSpace))
            {
                errors.Add($"Federation owner '{owner}' must be a URI or a name without spaces.");
            }
        }
        Positive(errors, options.ResyncInterval, "resync interval");
        Positive(errors, options.RequestTimeout, "request timeout");
        Positive(errors, options.RetryBaseDelay, "retry base delay");
        Positive(errors, options.ForwardTimeout, "forward timeout");
        if (options.RetryMaxDelay < options.RetryBaseDelay)
        {
            errors.Add("Federation retry maximum delay must not be below the retry base delay.");
        }
        if (options.RequestRetries is < 0 or > 10)
        {
            errors.Add("Federation request retries must be between 0 and 10.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    internal static bool IsHttpUrl(Uri url) =>
        url.IsAbsoluteUri && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
        && url.Query.Length == 0 && url.Fragment.Length == 0 && url.Host.Length > 0;

    private static void Positive(List<string> errors, TimeSpan value, string what)
    {
        if (value <= TimeSpan.Zero || value > TimeSpan.FromDays(1))
        {
            errors.Add($"Federation {what} must be positive and at most one day.");
        }
    }
}
