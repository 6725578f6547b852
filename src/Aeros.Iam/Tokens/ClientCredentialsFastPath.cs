using System.Text;
using System.Text.Json;
using Aeros.Iam.Clients;
using Aeros.Iam.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Aeros.Iam.Tokens;

/// <summary>Shared state of the fast path: whether <c>MapAerosIam</c> ran (it answers only where the IAM's endpoints are mapped) and how many tokens it issued.</summary>
internal sealed class FastPathState
{
    private long _issued;

    public bool Mapped { get; set; }

    /// <summary>Tokens issued by the fast path since start (tests tell the two paths apart with it).</summary>
    public long Issued => Interlocked.Read(ref _issued);

    public void CountIssued() => Interlocked.Increment(ref _issued);
}

/// <summary>Puts <see cref="ClientCredentialsFastPath"/> in front of the host's whole pipeline (before OpenIddict's authentication handler).</summary>
internal sealed class ClientCredentialsFastPathStartup : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<ClientCredentialsFastPath>();
        next(app);
    };
}

/// <summary>
/// Answers the common client-credential token request before OpenIddict's pipeline (ADR 0010, "Fast path"): a POST of
/// <c>grant_type=client_credentials</c> with the client's id and secret in the form (client_secret_post) or in a Basic
/// header (client_secret_basic) and no other parameter, from a confidential client allowed that grant whose secret
/// this process has already verified with the KDF (<see cref="VerifiedSecretCache"/>). It issues the token OpenIddict
/// would (<see cref="AccessTokenWriter"/>). Everything else — other grants or parameters (a scope included), an unknown,
/// changed or unverified secret, an unknown or not allowed client, a malformed request — goes on to OpenIddict
/// untouched, so every error answer (invalid_client, invalid_scope, unsupported_grant_type, ...) stays OpenIddict's.
/// </summary>
internal sealed partial class ClientCredentialsFastPath
{
    private const int MaxBodyBytes = 8 * 1024;
    private const string FormMediaType = "application/x-www-form-urlencoded";
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly RequestDelegate _next;
    private readonly FastPathState _state;
    private readonly ClientSnapshots _clients;
    private readonly VerifiedSecretCache _verified;
    private readonly IamPrincipals _principals;
    private readonly AccessTokenWriter _writer;
    private readonly ILogger<ClientCredentialsFastPath> _logger;
    private readonly bool _enabled;
    private readonly bool _allowHttp;

    public ClientCredentialsFastPath(
        RequestDelegate next,
        FastPathState state,
        ClientSnapshots clients,
        VerifiedSecretCache verified,
        IamPrincipals principals,
        AccessTokenWriter writer,
        IOptions<IamOptions> options,
        ILogger<ClientCredentialsFastPath> logger)
    {
        _next = next;
        _state = state;
        _clients = clients;
        _verified = verified;
        _principals = principals;
        _writer = writer;
        _logger = logger;
        var value = options.Value;
        // Stored token entries are written by OpenIddict only.
        _enabled = value.ClientCredentialsFastPath && !value.StoreClientCredentialTokens;
        _allowHttp = value.AllowHttp;
    }

    public Task InvokeAsync(HttpContext http)
    {
        var request = http.Request;
        if (!_enabled || !_state.Mapped || !HttpMethods.IsPost(request.Method) || request.PathBase.HasValue
            || !request.Path.Equals(ConnectEndpoints.TokenPath, StringComparison.Ordinal))
        {
            return _next(http);
        }
        return TryIssueAsync(http);
    }

    private async Task TryIssueAsync(HttpContext http)
    {
        var request = http.Request;
        if ((!_allowHttp && !request.IsHttps) || request.QueryString.HasValue || request.ContentLength is not (> 0 and <= MaxBodyBytes)
            || !MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals(FormMediaType, StringComparison.OrdinalIgnoreCase))
        {
            await _next(http);
            return;
        }
        IFormCollection form;
        try
        {
            // The form is kept by the request (IFormFeature): OpenIddict reads the same one when the request goes on.
            form = await request.ReadFormAsync(http.RequestAborted);
        }
        catch (InvalidDataException)
        {
            await _next(http);
            return;
        }
        if (Credentials(request, form) is not { } credentials || !AdminNames.IsValidName(credentials.ClientId))
        {
            await _next(http);
            return;
        }
        var (clientId, secret) = credentials;
        var client = await _clients.GetAsync(clientId, http.RequestAborted);
        if (client is not { MayUseFastPath: true, SecretHash: { } hash } || !_verified.Contains(secret, hash))
        {
            LogLeftToOpenIddict(_logger, clientId);
            await _next(http);
            return;
        }
        var assignments = await _principals.AssignmentsAsync(RoleAssignment.ClientKind, clientId, http.RequestAborted);
        var (roles, domains) = IamPrincipals.Flatten(assignments);
        var (token, expiresIn) = _writer.Create(clientId, roles, domains);
        _state.CountIssued();
        LogIssued(_logger, clientId);
        await WriteAsync(http.Response, token, expiresIn, http.RequestAborted);
    }

    /// <summary>
    /// The client's id and secret when the request is exactly a client-credential request the fast path answers:
    /// <c>grant_type</c> once, id and secret once each, either all in the form or id and secret in a Basic header
    /// (never both), no other parameter. Percent or plus signs in a Basic header are left to OpenIddict's decoding.
    /// </summary>
    private static (string ClientId, string Secret)? Credentials(HttpRequest request, IFormCollection form)
    {
        if (form.Files.Count > 0)
        {
            return null;
        }
        string? grantType = null, clientId = null, secret = null;
        foreach (var (name, values) in form)
        {
            if (values.Count != 1 || string.IsNullOrEmpty(values[0]))
            {
                return null;
            }
            switch (name)
            {
                case "grant_type": grantType = values[0]; break;
                case "client_id": clientId = values[0]; break;
                case "client_secret": secret = values[0]; break;
                default: return null;
            }
        }
        if (grantType != "client_credentials")
        {
            return null;
        }
        var authorization = request.Headers.Authorization;
        if (authorization.Count == 0)
        {
            return clientId is not null && secret is not null ? (clientId, secret) : null;
        }
        if (authorization.Count > 1 || clientId is not null || secret is not null)
        {
            return null;
        }
        return Basic(authorization[0]);
    }

    private static (string ClientId, string Secret)? Basic(string? header)
    {
        const string Scheme = "Basic ";
        if (header is null || header.Length <= Scheme.Length || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var encoded = header.AsSpan(Scheme.Length).Trim();
        Span<byte> bytes = stackalloc byte[512];
        if (encoded.Length > 680 || !Convert.TryFromBase64Chars(encoded, bytes, out var length))
        {
            return null;
        }
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes[..length]);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1 || text.AsSpan().IndexOfAny('%', '+') >= 0)
        {
            return null;
        }
        return (text[..colon], text[(colon + 1)..]);
    }

    private static async Task WriteAsync(HttpResponse response, string token, long expiresIn, CancellationToken cancellationToken)
    {
        // The same headers and body as OpenIddict's token response.
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json;charset=UTF-8";
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
        response.Headers.Expires = "Thu, 01 Jan 1970 00:00:00 GMT";
        var body = new System.Buffers.ArrayBufferWriter<byte>(token.Length + 96);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("access_token", token);
            json.WriteString("token_type", "Bearer");
            json.WriteNumber("expires_in", expiresIn);
            json.WriteEndObject();
        }
        response.ContentLength = body.WrittenCount;
        await response.Body.WriteAsync(body.WrittenMemory, cancellationToken);
    }
}
