using Aeros.Security.Policy;
using Aeros.Security.Tokens;
using Aeros.Agent.SelfApi.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.SelfApi;

/// <summary>
/// Token checks of the agent's HTTP API when <see cref="AgentOptions.Security"/> names an issuer: every request needs a
/// bearer token that the shared <see cref="JwtValidator"/> accepts (401 otherwise) and whose roles the policy allows on
/// API <c>ie</c> for this agent's domain (403 otherwise) — except an explicit list of open paths: the health probe
/// (<c>GET /self/v1/health</c>, for liveness checks and launchers), the OpenAPI document and <c>/metrics</c> (open, as
/// node_exporter's is; docs/agent.md). Deny by default: an unknown path needs a token too, and paths are compared the
/// way the routers match them (case-insensitive, outer slashes ignored), so <c>/SELF/V1/…</c> or <c>//self/v1/…</c>
/// cannot slip past the check into a handler.
/// </summary>
internal sealed partial class SelfApiAuthorization : ISelfApiFilter
{
    /// <summary>The API name of the self-APIs in the policy file (the gateway's <c>/ie/{ieId}/self</c> routes use it too).</summary>
    public const string Api = GatewayApis.Ie;

    private const string Root = "self/v1";

    private readonly JwtValidator? _tokens;
    private readonly AccessPolicy? _policy;
    private readonly string _domain;
    private readonly ILogger _logger;

    public SelfApiAuthorization(IOptions<AgentOptions> options, TimeProvider time, ILogger<SelfApiAuthorization> logger)
    {
        var agent = options.Value;
        _domain = agent.Domain;
        _logger = logger;
        var security = agent.Security;
        if (!security.IsEnabled)
        {
            return;
        }
        _policy = security.PolicyFile is { } file ? AccessPolicy.Load(file) : AccessPolicy.LoadDefault();
        var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        _tokens = new JwtValidator(new TokenValidationOptions
        {
            Audience = security.Audience,
            ClockSkew = security.ClockSkew,
            Issuers = [new TrustedIssuerOptions { Issuer = security.Issuer, JwksUri = security.JwksUri }],
        }, http, time, logger);
    }

    /// <summary>Whether tokens are checked.</summary>
    public bool IsEnabled => _tokens is not null;

    /// <summary>Lets open and non-self-API requests through (null), refuses the others without an allowed token.</summary>
    public async ValueTask<SelfApiResponse?> CheckAsync(SelfApiRequest request)
    {
        if (_tokens is null || IsOpen(request.Method, request.Path))
        {
            return null;
        }
        var header = request.Header("Authorization") ?? "";
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            return SelfApiResponse.Problem(401, "Unauthorized", "A bearer token is required.", instance: request.Path) with { WwwAuthenticate = "Bearer" };
        }
        var validation = await _tokens.ValidateAsync(header[7..].Trim(), request.Aborted);
        if (validation.Principal is not { } principal)
        {
            LogRefused(_logger, request.Method, request.Path, 401, validation.Error!);
            return SelfApiResponse.Problem(401, "Unauthorized", validation.Error!, instance: request.Path) with { WwwAuthenticate = "Bearer error=\"invalid_token\"" };
        }
        var decision = _policy!.Check(principal.Roles, principal.Domains, Api, request.Method, _domain);
        if (!decision.Allowed)
        {
            LogRefused(_logger, request.Method, request.Path, 403, decision.Reason!);
            return SelfApiResponse.Problem(403, "Forbidden", decision.Reason!, instance: request.Path);
        }
        return null;
    }

    // Probes must work without a credential; the OpenAPI document describes the API and holds no node data.
    private static bool IsOpen(string method, string path)
    {
        if (method is not ("GET" or "HEAD"))
        {
            return false;
        }
        var normalized = path.Trim('/');
        return normalized.Equals(Root + "/health", StringComparison.OrdinalIgnoreCase)
            || normalized.Equals(Root + "/openapi.json", StringComparison.OrdinalIgnoreCase)
            || normalized.Equals("metrics", StringComparison.OrdinalIgnoreCase);
    }

    // Method and path only: never the token or a header.
    [LoggerMessage(EventId = 4310, Level = LogLevel.Information, Message = "Self-API refused {Method} {Path} with {Status}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string path, int status, string reason);
}
