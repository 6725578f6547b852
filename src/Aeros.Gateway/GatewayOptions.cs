using Microsoft.Extensions.Options;

namespace Aeros.Gateway;

/// <summary>
/// Options of the domain's secure API gateway (configuration section <c>Gateway</c>, e.g.
/// <c>Gateway__DomainName=domain1</c>): which domain it guards, the backends it routes to, the token issuers it
/// trusts, the policy file and the limits. See docs/security.md.
/// </summary>
public sealed class GatewayOptions
{
    /// <summary>Default of <see cref="Audience"/>: the audience the embedded IAM puts in its access tokens.</summary>
    public const string DefaultAudience = "aeros";

    /// <summary>Default of <see cref="ClockSkew"/>: 30 s.</summary>
    public static readonly TimeSpan DefaultClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>The domain this gateway guards: a token must carry it in its domains (or <c>*</c>) unless its role spans all domains.</summary>
    public string? DomainName { get; set; }

    /// <summary>The audience every token must carry (<c>aud</c>), unless its issuer sets its own.</summary>
    public string Audience { get; set; } = DefaultAudience;

    /// <summary>How far <c>exp</c> and <c>nbf</c> may be off this machine's clock. Small and explicit: at most 5 minutes.</summary>
    public TimeSpan ClockSkew { get; set; } = DefaultClockSkew;

    /// <summary>The issuers whose tokens are accepted (at least one).</summary>
    public IList<TrustedIssuerOptions> Issuers { get; } = [];

    /// <summary>The policy file (YAML, docs/security.md). Null: the embedded default policy.</summary>
    public string? PolicyFile { get; set; }

    /// <summary>The broker's destinations (route <c>/ngsi-ld/</c>).</summary>
    public BackendOptions Broker { get; set; } = new();

    /// <summary>The HLO's destinations (route <c>/hlo/</c>; its OpenAPI document is aggregated).</summary>
    public BackendOptions Hlo { get; set; } = new() { OpenApiPath = "/hlo/v1/openapi.json" };

    /// <summary>The LLO's destinations (route <c>/llo/</c>).</summary>
    public BackendOptions Llo { get; set; } = new();

    /// <summary>The federator's destinations (route <c>/federation/</c>).</summary>
    public BackendOptions Federation { get; set; } = new();

    /// <summary>The IAM's destinations (route <c>/iam/</c>; only its OIDC protocol endpoints pass without a token).</summary>
    public BackendOptions Iam { get; set; } = new();

    /// <summary>
    /// Self-API base URLs of infrastructure elements by IE id (route <c>/ie/{ieId}/self/...</c>). An IE not listed is
    /// looked up in the broker (<c>InfrastructureElement.selfApiUrl</c>).
    /// </summary>
    public IDictionary<string, string> InfrastructureElements { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How long a self-API URL looked up in the broker is reused.</summary>
    public TimeSpan IeLookupCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Request, header and rate limits.</summary>
    public GatewayLimitsOptions Limits { get; set; } = new();

    /// <summary>The JWKS refresh behaviour shared by every issuer.</summary>
    public JwksOptions Jwks { get; set; } = new();

    /// <summary>Whether every request is logged (method, path without query, status, client, latencies; never headers or tokens).</summary>
    public bool AccessLog { get; set; } = true;

    /// <summary>
    /// How backend requests are sent (<c>Gateway:Forwarder</c>): <c>raw</c> (default), the gateway's own HTTP/1.1
    /// forwarder on pooled keep-alive connections, with YARP taking what it does not handle (upgrades, https
    /// backends); or <c>yarp</c>, YARP's forwarder for everything. See docs/security.md and ADR 0011.
    /// </summary>
    public string Forwarder { get; set; } = GatewayForwarders.Raw;

    /// <summary>Connections of the raw forwarder (<see cref="Forwarder"/> <c>raw</c>).</summary>
    public UpstreamOptions Upstream { get; set; } = new();

    /// <summary>
    /// Whether the backend routes (<c>/ngsi-ld/</c>, <c>/hlo/</c>, <c>/llo/</c>, <c>/federation/</c>; not <c>/iam/</c>)
    /// are served by one terminal middleware in front of endpoint routing that matches the route table itself and
    /// forwards with the raw forwarder (<c>Gateway:FastPath</c>, default true; only with <see cref="Forwarder"/>
    /// <c>raw</c>). The checks are the same; false sends every request through routing and YARP's route pipeline (the
    /// benchmark's same-run baseline). See ADR 0017.
    /// </summary>
    public bool FastPath { get; set; } = true;

    /// <summary>
    /// Whether Kestrel runs request code inline on the socket I/O threads instead of handing every receive and send to
    /// the thread pool (<c>Gateway:InlineScheduling</c>, default true; Kestrel's <c>UnsafePreferInlineScheduling</c> for
    /// the gateway's server). Fewer thread hops per proxied request; safe here because the gateway's request path
    /// never blocks a thread (all I/O is asynchronous; the access log goes through the logger's queue). The standalone
    /// gateway host also sets <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> for the runtime's socket
    /// completions. See docs/security.md and ADR 0017.
    /// </summary>
    public bool InlineScheduling { get; set; } = true;

    /// <summary>The backends by API name as the policy names them.</summary>
    internal IEnumerable<(string Api, BackendOptions Backend)> Backends()
    {
        yield return (GatewayApis.Broker, Broker);
        yield return (GatewayApis.Hlo, Hlo);
        yield return (GatewayApis.Llo, Llo);
        yield return (GatewayApis.Federation, Federation);
        yield return (GatewayApis.Iam, Iam);
    }
}

/// <summary>Values of <see cref="GatewayOptions.Forwarder"/>.</summary>
public static class GatewayForwarders
{
    /// <summary>The gateway's own HTTP/1.1 forwarder (YARP still takes upgrades and https backends).</summary>
    public const string Raw = "raw";

    /// <summary>YARP's forwarder (<c>HttpClient</c>) for every request.</summary>
    public const string Yarp = "yarp";

    internal static bool IsRaw(string? value) => string.Equals(value, Raw, StringComparison.OrdinalIgnoreCase);
}

/// <summary>The raw forwarder's upstream connections: connect timeout, idle pooling, response head limit.</summary>
public sealed class UpstreamOptions
{
    /// <summary>The longest a TCP connect to a backend may take (504 above): 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// An idle pooled connection older than this is closed rather than reused: 60 s, below Kestrel's default keep-alive
    /// timeout of 130 s, so the gateway rarely picks a connection the backend is closing.
    /// </summary>
    public TimeSpan IdleConnectionTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Idle connections kept per destination; more are closed when they come back.</summary>
    public int MaxIdleConnectionsPerDestination { get; set; } = 512;

    /// <summary>Largest response head (status line and headers) a backend may send (502 above): 64 KiB.</summary>
    public int MaxResponseHeadersBytes { get; set; } = 64 * 1024;
}

/// <summary>One backend: its destinations (several are load-balanced and health-checked) and its own limits.</summary>
public sealed class BackendOptions
{
    /// <summary>Base URLs of the backend's replicas. Empty: the route answers 503 (backend not configured).</summary>
    public IList<Uri> Destinations { get; } = [];

    /// <summary>Path probed by the active health check when there are several destinations (any 2xx is healthy).</summary>
    public string? HealthCheckPath { get; set; }

    /// <summary>How often the active health check probes each destination.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The backend's OpenAPI document path (aggregated at <c>/openapi.json</c>); null: none.</summary>
    public string? OpenApiPath { get; set; }

    /// <summary>Requests per second this route accepts from all clients together before answering 503. Null: <see cref="GatewayLimitsOptions.RouteRequestsPerSecond"/>.</summary>
    public double? RequestsPerSecond { get; set; }

    /// <summary>Requests in flight on this route before answering 503. Null: <see cref="GatewayLimitsOptions.RouteMaxConcurrentRequests"/>.</summary>
    public int? MaxConcurrentRequests { get; set; }

    /// <summary>The longest a backend may take to answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(100);
}

/// <summary>Size and rate limits of the gateway.</summary>
public sealed class GatewayLimitsOptions
{
    /// <summary>Largest request body (413 above): 1 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest total size of request header names and values (431 above): 16 KiB.</summary>
    public int MaxRequestHeadersBytes { get; set; } = 16 * 1024;

    /// <summary>Sustained requests per second of one client (token <c>client_id</c>/<c>azp</c>/<c>sub</c>; the address for anonymous calls); 429 above.</summary>
    public double ClientRequestsPerSecond { get; set; } = 500;

    /// <summary>Requests one client may make in a burst above its sustained rate.</summary>
    public int ClientBurst { get; set; } = 1000;

    /// <summary>Default sustained requests per second of one route (all clients); 503 above.</summary>
    public double RouteRequestsPerSecond { get; set; } = 50_000;

    /// <summary>Default requests in flight per route; 503 above.</summary>
    public int RouteMaxConcurrentRequests { get; set; } = 1024;

    /// <summary>Clients tracked by the per-client limiter before idle ones are forgotten.</summary>
    public int MaxTrackedClients { get; set; } = 100_000;

    /// <summary>Entries of the response cache (GETs the policy lets be cached).</summary>
    public int MaxCacheEntries { get; set; } = 10_000;

    /// <summary>Largest response body the cache keeps.</summary>
    public int MaxCachedBodyBytes { get; set; } = 256 * 1024;
}

/// <summary>Validates <see cref="GatewayOptions"/>, listing every error at once.</summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DomainName) || options.DomainName.Length > 64
            || !options.DomainName.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            errors.Add($"Gateway DomainName '{options.DomainName}' is invalid: use 1-64 letters, digits, '.', '_' or '-'.");
        }
        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            errors.Add("Gateway Audience must not be empty.");
        }
        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromMinutes(5))
        {
            errors.Add($"Gateway ClockSkew must be between 0 and 300 s (was {options.ClockSkew.TotalSeconds} s).");
        }
        if (options.Issuers.Count == 0)
        {
            errors.Add("Gateway Issuers must list at least one trusted issuer.");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Issuers.Count; i++)
        {
            var issuer = options.Issuers[i];
            if (!IsHttpUrl(issuer.Issuer))
            {
                errors.Add($"Gateway Issuers[{i}].Issuer '{issuer.Issuer}' must be an absolute http or https URL.");
            }
            else if (!seen.Add(issuer.Issuer!))
            {
                errors.Add($"Gateway Issuers[{i}].Issuer '{issuer.Issuer}' is listed twice.");
            }
            if (issuer.JwksUri is { } jwks && !IsHttpUrl(jwks.ToString()))
            {
                errors.Add($"Gateway Issuers[{i}].JwksUri '{jwks}' must be an absolute http or https URL.");
            }
            if (issuer.Kind is not (IssuerKinds.Aeros or IssuerKinds.Keycloak))
            {
                errors.Add($"Gateway Issuers[{i}].Kind '{issuer.Kind}' must be '{IssuerKinds.Aeros}' or '{IssuerKinds.Keycloak}'.");
            }
            if (string.IsNullOrWhiteSpace(issuer.DomainsClaim))
            {
                errors.Add($"Gateway Issuers[{i}].DomainsClaim must not be empty.");
            }
        }
        if (options.PolicyFile is { } policy)
        {
            if (!File.Exists(policy))
            {
                errors.Add($"Gateway PolicyFile '{policy}' does not exist.");
            }
            else
            {
                try
                {
                    AccessPolicy.Load(policy);
                }
                catch (AccessPolicyException e)
                {
                    errors.Add(e.Message);
                }
            }
        }
        foreach (var (api, backend) in options.Backends())
        {
            for (var i = 0; i < backend.Destinations.Count; i++)
            {
                if (!IsHttpUrl(backend.Destinations[i].ToString()))
                {
                    errors.Add($"Gateway {api} Destinations[{i}] '{backend.Destinations[i]}' must be an absolute http or https URL.");
                }
            }
            if (backend.HealthCheckPath is { } path && !path.StartsWith('/'))
            {
                errors.Add($"Gateway {api} HealthCheckPath '{path}' must start with '/'.");
            }
            if (backend.OpenApiPath is { } openApi && !openApi.StartsWith('/'))
            {
                errors.Add($"Gateway {api} OpenApiPath '{openApi}' must start with '/'.");
            }
            if (backend.HealthCheckInterval < TimeSpan.FromMilliseconds(100))
            {
                errors.Add($"Gateway {api} HealthCheckInterval must be at least 0.1 s.");
            }
            if (backend.RequestsPerSecond is <= 0)
            {
                errors.Add($"Gateway {api} RequestsPerSecond must be positive.");
            }
            if (backend.MaxConcurrentRequests is < 1)
            {
                errors.Add($"Gateway {api} MaxConcurrentRequests must be at least 1.");
            }
            if (backend.Timeout <= TimeSpan.Zero)
            {
                errors.Add($"Gateway {api} Timeout must be positive.");
            }
        }
        foreach (var (ie, url) in options.InfrastructureElements)
        {
            if (!IsHttpUrl(url))
            {
                errors.Add($"Gateway InfrastructureElements '{ie}' URL '{url}' must be an absolute http or https URL.");
            }
        }
        var limits = options.Limits;
        if (limits.MaxRequestBodyBytes < 0)
        {
            errors.Add("Gateway Limits MaxRequestBodyBytes must not be negative.");
        }
        if (limits.MaxRequestHeadersBytes is < 1024 or > 1024 * 1024)
        {
            errors.Add($"Gateway Limits MaxRequestHeadersBytes must be between 1 KiB and 1 MiB (was {limits.MaxRequestHeadersBytes}).");
        }
        if (!(limits.ClientRequestsPerSecond > 0))
        {
            errors.Add("Gateway Limits ClientRequestsPerSecond must be positive.");
        }
        if (limits.ClientBurst < 1)
        {
            errors.Add("Gateway Limits ClientBurst must be at least 1.");
        }
        if (!(limits.RouteRequestsPerSecond > 0))
        {
            errors.Add("Gateway Limits RouteRequestsPerSecond must be positive.");
        }
        if (limits.RouteMaxConcurrentRequests < 1)
        {
            errors.Add("Gateway Limits RouteMaxConcurrentRequests must be at least 1.");
        }
        if (limits.MaxTrackedClients < 100)
        {
            errors.Add("Gateway Limits MaxTrackedClients must be at least 100.");
        }
        if (limits.MaxCacheEntries < 0 || limits.MaxCachedBodyBytes < 0)
        {
            errors.Add("Gateway Limits MaxCacheEntries and MaxCachedBodyBytes must not be negative.");
        }
        if (options.Jwks.MinRefreshInterval < TimeSpan.Zero || options.Jwks.RefreshInterval < options.Jwks.MinRefreshInterval)
        {
            errors.Add("Gateway Jwks MinRefreshInterval must not be negative nor above RefreshInterval.");
        }
        if (options.Jwks.FetchTimeout <= TimeSpan.Zero)
        {
            errors.Add("Gateway Jwks FetchTimeout must be positive.");
        }
        if (!GatewayForwarders.IsRaw(options.Forwarder) && !string.Equals(options.Forwarder, GatewayForwarders.Yarp, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"Gateway Forwarder '{options.Forwarder}' must be '{GatewayForwarders.Raw}' or '{GatewayForwarders.Yarp}'.");
        }
        var upstream = options.Upstream;
        if (upstream.ConnectTimeout <= TimeSpan.Zero)
        {
            errors.Add("Gateway Upstream ConnectTimeout must be positive.");
        }
        if (upstream.IdleConnectionTimeout <= TimeSpan.Zero)
        {
            errors.Add("Gateway Upstream IdleConnectionTimeout must be positive.");
        }
        if (upstream.MaxIdleConnectionsPerDestination < 0)
        {
            errors.Add("Gateway Upstream MaxIdleConnectionsPerDestination must not be negative.");
        }
        if (upstream.MaxResponseHeadersBytes is < 1024 or > 1024 * 1024)
        {
            errors.Add($"Gateway Upstream MaxResponseHeadersBytes must be between 1 KiB and 1 MiB (was {upstream.MaxResponseHeadersBytes}).");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    internal static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment);
}
