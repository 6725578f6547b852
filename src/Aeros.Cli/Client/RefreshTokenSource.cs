using System.Net;
using System.Text.Json;
using Aeros.Security;

namespace Aeros.Cli.Client;

/// <summary>
/// Access tokens for a user's login (<c>aeros login --user</c>): each is obtained with the stored refresh token
/// (RFC 6749 §6) and cached until shortly before it expires. The IAM rotates refresh tokens at each use, so the new one
/// is written back to the login file at once (another <c>aeros</c> command started later must find the current one);
/// before refreshing, the file is read again in case another command already rotated it.
/// </summary>
internal sealed class RefreshTokenSource : IAccessTokenSource, IDisposable
{
    /// <summary>An access token is refreshed this long before it expires (at most half its lifetime).</summary>
    public static readonly TimeSpan RefreshBeforeExpiry = TimeSpan.FromSeconds(30);

    private readonly string? _loginFile;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private CliLogin _login;
    private (string Token, DateTimeOffset RefreshAt)? _cached;

    /// <summary>A source for <paramref name="login"/> (a user login); <paramref name="loginFile"/> receives rotated refresh tokens.</summary>
    public RefreshTokenSource(CliLogin login, string? loginFile, TimeProvider time, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(login);
        if (!login.IsUser)
        {
            throw new ArgumentException("A refresh token source needs a user login (refresh token).", nameof(login));
        }
        _login = login;
        _loginFile = loginFile;
        _time = time;
        _http = handler is null
            ? new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false })
            : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = ClientOutput.RequestTimeout;
    }

    /// <summary>The login as it stands (its refresh token is the latest one this source received).</summary>
    public CliLogin Login => _login;

    /// <inheritdoc />
    public async ValueTask<string> GetAccessTokenAsync(CancellationToken cancellationToken)
    {
        if (_cached is { } cached && _time.GetUtcNow() < cached.RefreshAt)
        {
            return cached.Token;
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_cached is { } current && _time.GetUtcNow() < current.RefreshAt)
            {
                return current.Token;
            }
            var started = _time.GetUtcNow();
            var stored = ReadStored();
            if (stored is not null)
            {
                _login = stored;
            }
            var answer = await TokenEndpoint.PostAsync(_http, new Uri(_login.TokenUrl), [
                new("grant_type", "refresh_token"),
                new("client_id", _login.ClientId),
                new("refresh_token", _login.RefreshToken!),
            ], _login.ClientId, cancellationToken).ConfigureAwait(false);
            if (answer.Error is { } error)
            {
                throw new AccessTokenException(answer.Status == HttpStatusCode.BadRequest && error.StartsWith("invalid_grant", StringComparison.Ordinal)
                    ? $"the stored login of user '{_login.User}' has expired or was revoked ({error}): run 'aeros login --user' again."
                    : $"refreshing the login of user '{_login.User}' at {_login.TokenUrl} failed: {error}");
            }
            if (answer.RefreshToken is { } rotated && rotated != _login.RefreshToken)
            {
                _login = _login with { RefreshToken = rotated };
                if (_loginFile is not null)
                {
                    CliCredentials.WriteLoginFile(_loginFile, _login);
                }
            }
            var lifetime = answer.ExpiresIn ?? TimeSpan.FromMinutes(5);
            var half = TimeSpan.FromTicks(lifetime.Ticks / 2);
            _cached = (answer.AccessToken!, started + (lifetime - RefreshBeforeExpiry < half ? half : lifetime - RefreshBeforeExpiry));
            return answer.AccessToken!;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Invalidate(string token)
    {
        if (_cached is { } cached && cached.Token == token)
        {
            _cached = null;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _http.Dispose();
        _gate.Dispose();
    }

    // The file may hold a newer refresh token (another command rotated it); only the same client's login counts.
    private CliLogin? ReadStored()
    {
        if (_loginFile is null)
        {
            return null;
        }
        try
        {
            return CliCredentials.ReadLoginFile(_loginFile) is { IsUser: true } stored
                && stored.ClientId == _login.ClientId && stored.TokenUrl == _login.TokenUrl ? stored : null;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>One form POST to an OAuth token endpoint and its answer (RFC 6749 §5.1 and §5.2), never echoing a token in an error.</summary>
internal static class TokenEndpoint
{
    /// <summary>The parsed answer: tokens on 200, else <see cref="Error"/> (<c>error: description</c> or a short reason).</summary>
    public sealed record Answer(HttpStatusCode Status, string? AccessToken, string? RefreshToken, TimeSpan? ExpiresIn, string? Error);

    public static async Task<Answer> PostAsync(HttpClient http, Uri url, IEnumerable<KeyValuePair<string, string>> form, string clientId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Accept.ParseAdd("application/json");
        HttpStatusCode status;
        string body;
        try
        {
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            status = response.StatusCode;
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new AccessTokenException($"token request to {url} for client '{clientId}' failed: {(e is TaskCanceledException ? $"no answer within {http.Timeout}" : e.Message)}", e);
        }
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new Answer(status, null, null, null, $"{(int)status}: the answer is not a JSON object");
            }
            if (status != HttpStatusCode.OK)
            {
                var error = Text(root, "error") ?? $"{(int)status}";
                return new Answer(status, null, null, null, Text(root, "error_description") is { } d ? $"{error}: {d}" : error);
            }
            if (Text(root, "access_token") is not { Length: > 0 } access)
            {
                return new Answer(status, null, null, null, "the answer has no access_token");
            }
            if (Text(root, "token_type") is { } type && !string.Equals(type, "Bearer", StringComparison.OrdinalIgnoreCase))
            {
                return new Answer(status, null, null, null, $"token_type '{type}' is not Bearer");
            }
            TimeSpan? expires = root.TryGetProperty("expires_in", out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var seconds) && seconds > 0
                ? TimeSpan.FromSeconds(Math.Min(seconds, 86_400)) : null;
            return new Answer(status, access, Text(root, "refresh_token"), expires, null);
        }
        catch (JsonException)
        {
            return new Answer(status, null, null, null, $"{(int)status}: the answer is not JSON");
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
