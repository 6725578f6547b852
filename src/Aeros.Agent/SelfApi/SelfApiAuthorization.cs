using Aeros.Security.Policy;
using Aeros.Security.Tokens;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.SelfApi;

/// <summary>
/// Token checks of the self-API when <see cref="AgentOptions.Security"/> names an issuer: every request under
/// <c>/self/v1</c> needs a bearer token that the shared <see cref="JwtValidator"/> accepts (401 otherwise) and whose
/// roles the policy allows on API <c>ie</c> for this agent's domain (403 otherwise). Open without a token: the health
/// probe (<c>GET /self/v1/health</c>, for liveness checks and launchers) and the OpenAPI document. <c>/metrics</c> is not
/// under <c>/self/v1</c> and stays open, as node_exporter's does (docs/agent.md).
/// </summary>
internal sealed partial class SelfApiAuthorization
{
    /// <summary>The API name of the self-APIs in the policy file (the gateway's <c>/ie/{ieId}/self</c> routes use it too).</summary>
    public const string Api = GatewayApis.Ie;

    private static readonly PathString Root = "/self/v1";

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

    /// <summary>The middleware: lets open and non-self-API requests through, checks the others.</summary>
    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        if (_tokens is null || !http.Request.Path.StartsWithSegments(Root, out var rest) || IsOpen(http.Request.Method, rest))
        {
            await next(http);
            return;
        }
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            await DenyAsync(http, StatusCodes.Status401Unauthorized, "A bearer token is required.", bearerError: null);
            return;
        }
        var validation = await _tokens.ValidateAsync(header[7..].Trim(), http.RequestAborted);
        if (validation.Principal is not { } principal)
        {
            LogRefused(_logger, http.Request.Method, http.Request.Path, 401, validation.Error!);
            await DenyAsync(http, StatusCodes.Status401Unauthorized, validation.Error!, "invalid_token");
            return;
        }
        var decision = _policy!.Check(principal.Roles, principal.Domains, Api, http.Request.Method, _domain);
        if (!decision.Allowed)
        {
            LogRefused(_logger, http.Request.Method, http.Request.Path, 403, decision.Reason!);
            await DenyAsync(http, StatusCodes.Status403Forbidden, decision.Reason!, bearerError: null);
            return;
        }
        await next(http);
    }

    // Probes must work without a credential; the OpenAPI document describes the API and holds no node data.
    private static bool IsOpen(string method, PathString rest) =>
        (HttpMethods.IsGet(method) || HttpMethods.IsHead(method)) && (rest == "/health" || rest == "/openapi.json");

    private static async Task DenyAsync(HttpContext http, int status, string detail, string? bearerError)
    {
        if (status == StatusCodes.Status401Unauthorized)
        {
            http.Response.Headers.WWWAuthenticate = bearerError is null
                ? "Bearer realm=\"aeros\""
                : $"Bearer realm=\"aeros\", error=\"{bearerError}\", error_description=\"{detail.Replace("\"", "'", StringComparison.Ordinal)}\"";
        }
        var title = status == StatusCodes.Status401Unauthorized ? "Unauthorized" : "Forbidden";
        await Problems.Create(status, title, detail, instance: http.Request.Path).ExecuteAsync(http);
    }

    // Method and path only: never the token or a header.
    [LoggerMessage(EventId = 4310, Level = LogLevel.Information, Message = "Self-API refused {Method} {Path} with {Status}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string path, int status, string reason);
}
