using Aeros.Continuum.Security;

namespace Aeros.Hosting;

/// <summary>
/// Security of a domain host (configuration section <c>Security</c>, e.g. <c>Security__Enabled=true</c>, or the
/// <c>security:</c> block of domain.yaml; docs/security.md, "Security in a continuum"). When enabled, the domain's public
/// URLs serve its secure API gateway, and the broker, HLO, LLO and federator listen on <see cref="InternalUrl"/> (loopback)
/// behind it; the domain's outgoing calls to other domains carry tokens of <see cref="Client"/>.
/// </summary>
public sealed class DomainSecurityOptions
{
    /// <summary>Default of <see cref="InternalUrl"/>: a free loopback port chosen at start.</summary>
    public static readonly Uri DefaultInternalUrl = new("http://127.0.0.1:0");

    /// <summary>Whether the domain runs behind its gateway (default false: the APIs are served without tokens).</summary>
    public bool Enabled { get; set; }

    /// <summary>Where the domain's own APIs listen, behind the gateway: a loopback http URL (port 0: a free port chosen at start).</summary>
    public Uri InternalUrl { get; set; } = DefaultInternalUrl;

    /// <summary>
    /// Serve the continuum's identity provider at <c>/iam</c> of this domain (the first domain of a continuum; options
    /// from the <c>Iam</c> section). Its issuer is <c>&lt;public URL&gt;/iam/</c>, which this domain's gateway trusts.
    /// </summary>
    public bool EmbeddedIam { get; set; }

    /// <summary>The issuer (<c>iss</c>) whose tokens the gateway accepts, e.g. <c>http://127.0.0.1:9090/iam/</c>. Required unless <see cref="EmbeddedIam"/>.</summary>
    public Uri? Issuer { get; set; }

    /// <summary>
    /// The domain host's own credential (roles Hlo and ContextBroker) for hand-offs, federation and distributed operations.
    /// <see cref="ClientCredentialsOptions.TokenUrl"/> unset: <c>&lt;issuer&gt;connect/token</c>.
    /// </summary>
    public ClientCredentialsOptions Client { get; set; } = new();

    /// <summary>
    /// The public URLs of the continuum's other domains. The domain's token (<see cref="Client"/>) is sent only to these,
    /// to its peers and to its own public URLs: by the broker to context sources, by the federator and by HLO hand-offs.
    /// A domain that is not listed (e.g. one that joined later through a peer) is called without a token, and its
    /// gateway refuses that; list it here. URLs that come from data (registrations, Domain entities) never widen it.
    /// </summary>
    public IList<Uri> ContinuumUrls { get; set; } = [];

    /// <summary>
    /// The self-API URLs of the domain's IE agents that take tokens (agents started with <c>Agent:Security:Issuer</c>).
    /// The LLO sends the domain's token (<see cref="Client"/>) on its calls to these origins only: an agent's
    /// <c>selfApiUrl</c> is broker data, so it never widens the list (ADR 0014). <c>aeros up</c> lists its agents.
    /// </summary>
    public IList<Uri> AgentUrls { get; set; } = [];

    /// <summary>Every error of these options (empty when valid or disabled).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enabled)
        {
            return errors;
        }
        if (!InternalUrl.IsAbsoluteUri || InternalUrl.Scheme != "http" || !InternalUrl.IsLoopback || InternalUrl.AbsolutePath != "/")
        {
            errors.Add($"Security InternalUrl '{InternalUrl}' must be a loopback http URL without a path (e.g. http://127.0.0.1:0): the APIs behind the gateway must not be reachable from outside.");
        }
        if (!EmbeddedIam && (Issuer is null || !Issuer.IsAbsoluteUri || Issuer.Scheme is not ("http" or "https")))
        {
            errors.Add("Security Issuer must be the absolute http(s) URL of the continuum's IAM (e.g. http://127.0.0.1:9090/iam/) unless EmbeddedIam is true.");
        }
        foreach (var url in ContinuumUrls)
        {
            if (url is null || Aeros.Security.TokenRecipients.OriginOf(url) is null)
            {
                errors.Add($"Security ContinuumUrls: '{url}' must be an absolute http or https URL (a domain's public URL).");
            }
        }
        foreach (var url in AgentUrls)
        {
            if (url is null || Aeros.Security.TokenRecipients.OriginOf(url) is null)
            {
                errors.Add($"Security AgentUrls: '{url}' must be an absolute http or https URL (an agent's self-API root).");
            }
        }
        if (string.IsNullOrWhiteSpace(Client.ClientId) || string.IsNullOrEmpty(Client.ClientSecret))
        {
            errors.Add("Security Client: ClientId and ClientSecret are required: the domain calls other domains' gateways with its own token.");
        }
        else
        {
            // TokenUrl may be left out: it defaults to the issuer's token endpoint.
            var effective = new ClientCredentialsOptions
            {
                TokenUrl = Client.TokenUrl ?? new Uri("http://127.0.0.1/iam/connect/token"),
                ClientId = Client.ClientId,
                ClientSecret = Client.ClientSecret,
                RefreshBeforeExpiry = Client.RefreshBeforeExpiry,
                RequestTimeout = Client.RequestTimeout,
            };
            errors.AddRange(effective.Validate("Security Client"));
        }
        return errors;
    }
}
