using System.Net;
using System.Text.Json;
using Aeros.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Aeros.Continuum.Security;

/// <summary>
/// Fetches access tokens with the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) and caches one until
/// <see cref="ClientCredentialsOptions.RefreshBeforeExpiry"/> before it expires. Concurrent callers share one fetch;
/// a failed fetch is not cached (the next call tries again) and becomes an <see cref="AccessTokenException"/> that
/// names the endpoint, the client and the reason.
/// </summary>
public sealed partial class ClientCredentialsTokenSource : IAccessTokenSource, IDisposable
{
    private readonly ClientCredentialsOptions _options;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile CachedToken? _cached;

    /// <summary>
    /// A source for <paramref name="options"/> (which must be enabled and valid). <paramref name="handler"/> (not disposed
    /// by this source) carries the token requests; null: a handler of its own.
    /// </summary>
    public ClientCredentialsTokenSource(ClientCredentialsOptions options, TimeProvider? time = null, ILogger? logger = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = ClientCredentialsOptionsValidator.Errors(options, "client credentials");
        if (!options.IsEnabled)
        {
            errors.Insert(0, "client credentials: TokenUrl is not set.");
        }
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _http = handler is null
            ? new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            : new HttpClient(handler, disposeHandler: false);
        // Each request carries its own deadline from the TimeProvider.
        _http.Timeout = Timeout.InfiniteTimeSpan;
    }

    /// <summary>How many tokens this source has fetched (for tests and diagnostics).</summary>
    public int FetchCount => Volatile.Read(ref _fetchCount);

    private int _fetchCount;

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
            // Another caller may have fetched while this one waited.
            if (_cached is { } current && _time.GetUtcNow() < current.RefreshAt)
            {
                return current.Token;
            }
            var fresh = await FetchAsync(cancellationToken).ConfigureAwait(false);
            _cached = fresh;
            return fresh.Token;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Invalidate(string token)
    {
        var cached = _cached;
        if (cached is not null && string.Equals(cached.Token, token, StringComparison.Ordinal))
        {
            // Only the refused token: a fresh one fetched meanwhile by another caller stays.
            Interlocked.CompareExchange(ref _cached, null, cached);
            LogTokenRefused(_logger, _options.ClientId!);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _http.Dispose();
        _gate.Dispose();
    }

    private async Task<CachedToken> FetchAsync(CancellationToken cancellationToken)
    {
        var url = _options.TokenUrl!;
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "client_credentials"),
            new("client_id", _options.ClientId!),
            new("client_secret", _options.ClientSecret!),
        };
        if (!string.IsNullOrWhiteSpace(_options.Scope))
        {
            form.Add(new("scope", _options.Scope));
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Accept.ParseAdd("application/json");
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var started = _time.GetUtcNow();
        HttpStatusCode status;
        string body;
        try
        {
            using var response = await _http.SendAsync(request, linked.Token).ConfigureAwait(false);
            status = response.StatusCode;
            body = await response.Content.ReadAsStringAsync(linked.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var reason = e is OperationCanceledException ? $"no answer within {_options.RequestTimeout}" : e.Message;
            LogFetchFailed(_logger, _options.ClientId!, url, reason);
            throw new AccessTokenException($"token request to {url} for client '{_options.ClientId}' failed: {reason}", e);
        }
        if (status != HttpStatusCode.OK)
        {
            var reason = $"{(int)status} {OAuthError(body)}";
            LogFetchFailed(_logger, _options.ClientId!, url, reason);
            throw new AccessTokenException($"token request to {url} for client '{_options.ClientId}' was refused: {reason}");
        }
        var token = Parse(body, url);
        Interlocked.Increment(ref _fetchCount);
        var lifetime = token.ExpiresIn ?? ClientCredentialsOptions.DefaultTokenLifetime;
        // Refresh early, but never later than half-way, so short-lived tokens are not used up to the last second.
        var margin = TimeSpan.FromTicks(Math.Max(_options.RefreshBeforeExpiry.Ticks, 0));
        var half = TimeSpan.FromTicks(lifetime.Ticks / 2);
        var refreshAt = started + (lifetime - margin < half ? half : lifetime - margin);
        LogFetched(_logger, _options.ClientId!, url, lifetime.TotalSeconds);
        return new CachedToken(token.AccessToken, refreshAt);
    }

    private (string AccessToken, TimeSpan? ExpiresIn) Parse(string body, Uri url)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("access_token", out var accessToken) || accessToken.ValueKind != JsonValueKind.String
                || accessToken.GetString() is not { Length: > 0 } text)
            {
                throw new AccessTokenException($"token response of {url} for client '{_options.ClientId}' has no access_token.");
            }
            if (root.TryGetProperty("token_type", out var type) && type.ValueKind == JsonValueKind.String
                && !string.Equals(type.GetString(), "Bearer", StringComparison.OrdinalIgnoreCase))
            {
                throw new AccessTokenException($"token response of {url} for client '{_options.ClientId}' has token_type '{type.GetString()}', not Bearer.");
            }
            TimeSpan? expiresIn = root.TryGetProperty("expires_in", out var expires) && expires.ValueKind == JsonValueKind.Number
                && expires.TryGetInt64(out var seconds) && seconds > 0
                ? TimeSpan.FromSeconds(Math.Min(seconds, (long)TimeSpan.FromDays(1).TotalSeconds))
                : null;
            return (text, expiresIn);
        }
        catch (JsonException e)
        {
            throw new AccessTokenException($"token response of {url} for client '{_options.ClientId}' is not JSON: {e.Message}", e);
        }
    }

    // RFC 6749 §5.2 error body: "error" and "error_description"; anything else is summarised, never echoed at length.
    private static string OAuthError(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error))
            {
                var description = document.RootElement.TryGetProperty("error_description", out var d) ? d.ToString() : null;
                return description is null ? error.ToString() : $"{error}: {description}";
            }
        }
        catch (JsonException)
        {
            // Not an OAuth error body.
        }
        return body.Length <= 200 ? body : body[..200] + "…";
    }

    private sealed record CachedToken(string Token, DateTimeOffset RefreshAt);

    [LoggerMessage(EventId = 6400, Level = LogLevel.Debug, Message = "Client {ClientId} fetched an access token from {TokenUrl}, valid {LifetimeSeconds} s")]
    private static partial void LogFetched(ILogger logger, string clientId, Uri tokenUrl, double lifetimeSeconds);

    [LoggerMessage(EventId = 6401, Level = LogLevel.Warning, Message = "Client {ClientId} could not get an access token from {TokenUrl}: {Reason}")]
    private static partial void LogFetchFailed(ILogger logger, string clientId, Uri tokenUrl, string reason);

    [LoggerMessage(EventId = 6402, Level = LogLevel.Information, Message = "An API refused the access token of client {ClientId} (401); fetching a new one")]
    private static partial void LogTokenRefused(ILogger logger, string clientId);
}
