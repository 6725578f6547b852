using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aeros.Cli.Client;
using Aeros.Security;
using Microsoft.AspNetCore.WebUtilities;

namespace Aeros.Cli.Login;

/// <summary>Where and how a user signs in (<c>aeros login --user</c>).</summary>
/// <param name="Issuer">The IAM's issuer.</param>
/// <param name="AuthorizeUrl">Its authorization endpoint.</param>
/// <param name="TokenUrl">Its token endpoint.</param>
/// <param name="ClientId">The public client (default <c>aeros-login</c>).</param>
/// <param name="Timeout">How long to wait for the user to sign in.</param>
internal sealed record UserLoginSettings(Uri Issuer, Uri AuthorizeUrl, Uri TokenUrl, string ClientId, TimeSpan Timeout)
{
    /// <summary>The scopes asked for: an ID token and a refresh token.</summary>
    public const string Scope = "openid offline_access";
}

/// <summary>A login that did not work, with the exit code that tells why.</summary>
internal sealed class UserLoginException(string message, int exitCode) : Exception(message)
{
    /// <summary>The exit code of <c>aeros login</c>.</summary>
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// The OAuth 2.0 authorization code flow for native apps (RFC 8252) with PKCE S256 (RFC 7636): a loopback redirect
/// listener on a free port, the authorization URL with a fresh <c>state</c> and code challenge shown to the user (and
/// opened in a browser when asked), the redirect checked, the code exchanged for tokens. The password goes only to the
/// IAM's own login page; the CLI keeps the refresh token.
/// </summary>
internal static class UserLoginFlow
{
    /// <summary>
    /// Runs the flow. <paramref name="show"/> receives the authorization URL (print it, open a browser). Throws
    /// <see cref="UserLoginException"/> on timeout, a declined login, a state mismatch, a missing code or a refused exchange.
    /// </summary>
    public static async Task<(CliLogin Login, string AccessToken)> RunAsync(UserLoginSettings settings, Func<Uri, Task> show,
        HttpMessageHandler? tokenHandler, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(show);
        var verifier = RandomText(32);
        var challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var state = RandomText(16);
        await using var listener = await LoopbackRedirectListener.StartAsync(state, cancellationToken);
        var redirect = listener.RedirectUri.AbsoluteUri;
        var authorize = new Uri(QueryHelpers.AddQueryString(settings.AuthorizeUrl.AbsoluteUri, new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = settings.ClientId,
            ["redirect_uri"] = redirect,
            ["scope"] = UserLoginSettings.Scope,
            ["state"] = state,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        }));
        await show(authorize);
        RedirectOutcome outcome;
        try
        {
            outcome = await listener.Outcome.WaitAsync(settings.Timeout, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new UserLoginException(
                $"nobody signed in within {Describe(settings.Timeout)}: nothing was stored. Run 'aeros login --user' again (--timeout sets the wait).",
                ClientExitCodes.Timeout);
        }
        if (outcome.StateMismatch)
        {
            throw new UserLoginException("the sign-in answer did not carry this login's state (a forged or stale redirect?): nothing was stored.", ExitCodes.Failure);
        }
        if (outcome.Error is { } error)
        {
            throw new UserLoginException($"the IAM did not sign you in ({error}): nothing was stored.",
                error.StartsWith("access_denied", StringComparison.Ordinal) ? ClientExitCodes.Denied : ExitCodes.Failure);
        }
        if (outcome.Code is not { } code)
        {
            throw new UserLoginException("the sign-in answer carried no authorization code: nothing was stored.", ExitCodes.Failure);
        }
        using var http = tokenHandler is null
            ? new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false })
            : new HttpClient(tokenHandler, disposeHandler: false);
        http.Timeout = ClientOutput.RequestTimeout;
        TokenEndpoint.Answer answer;
        try
        {
            answer = await TokenEndpoint.PostAsync(http, settings.TokenUrl, [
                new("grant_type", "authorization_code"),
                new("client_id", settings.ClientId),
                new("code", code),
                new("redirect_uri", redirect),
                new("code_verifier", verifier),
            ], settings.ClientId, cancellationToken);
        }
        catch (AccessTokenException e)
        {
            throw new UserLoginException(e.Message, ClientExitCodes.Unreachable);
        }
        if (answer.Error is { } refused)
        {
            throw new UserLoginException($"the IAM refused the authorization code at {settings.TokenUrl}: {refused}", ClientExitCodes.Denied);
        }
        if (answer.RefreshToken is not { Length: > 0 } refresh)
        {
            throw new UserLoginException(
                $"the IAM issued no refresh token: client '{settings.ClientId}' needs the refresh_token grant and the offline_access scope.", ExitCodes.Failure);
        }
        var user = Claim(answer.AccessToken!, "sub");
        return (new CliLogin(settings.Issuer.AbsoluteUri, settings.TokenUrl.AbsoluteUri, settings.ClientId, RefreshToken: refresh, User: user), answer.AccessToken!);
    }

    /// <summary>A string claim of a JWT's payload, read without validation (for display: the token came straight from the IAM).</summary>
    public static string? Claim(string jwt, string name) => Payload(jwt) is { } payload && payload.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
        ? value.GetString() : null;

    /// <summary>The string values of an array (or string) claim, for display.</summary>
    public static IReadOnlyList<string> Claims(string jwt, string name)
    {
        if (Payload(jwt) is not { } payload || !payload.TryGetProperty(name, out var value))
        {
            return [];
        }
        return value.ValueKind switch
        {
            JsonValueKind.String => [value.GetString()!],
            JsonValueKind.Array => [.. value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)],
            _ => [],
        };
    }

    private static JsonElement? Payload(string jwt)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3 || !Base64Url.IsValid(parts[1]))
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string RandomText(int bytes) => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(bytes));

    private static string Describe(TimeSpan span) => span.TotalMinutes >= 1 && span.Seconds == 0 ? $"{span.TotalMinutes:0} min" : $"{span.TotalSeconds:0} s";
}
