using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Aeros.Security.Tokens;

/// <summary>
/// The signing keys of one trusted issuer: fetched lazily (discovery, then JWKS), kept as an immutable snapshot
/// swapped atomically, refetched after <see cref="JwksOptions.RefreshInterval"/> or when a token names an unknown
/// <c>kid</c> — but at most once per <see cref="JwksOptions.MinRefreshInterval"/>, and concurrent misses share one
/// fetch, so a flood of random kids costs at most one fetch per interval.
/// </summary>
internal sealed class IssuerKeys
{
    private const int MaxDocumentBytes = 1024 * 1024;

    private readonly TrustedIssuerOptions _issuer;
    private readonly JwksOptions _options;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private volatile Dictionary<string, SigningKey> _keys = new(StringComparer.Ordinal);
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;
    private DateTimeOffset _lastSuccess = DateTimeOffset.MinValue;
    private Task? _inFlight;
    private Uri? _jwksUri;
    private long _fetches;

    public IssuerKeys(TrustedIssuerOptions issuer, JwksOptions options, HttpClient http, TimeProvider time, ILogger logger)
    {
        _issuer = issuer;
        _options = options;
        _http = http;
        _time = time;
        _logger = logger;
        _jwksUri = issuer.JwksUri;
    }

    public TrustedIssuerOptions Issuer => _issuer;

    /// <summary>JWKS fetches attempted so far (for tests and metrics).</summary>
    public long Fetches => Interlocked.Read(ref _fetches);

    /// <summary>Whether <paramref name="kid"/> is in the current snapshot (no fetch).</summary>
    public bool Has(string kid) => _keys.ContainsKey(kid);

    /// <summary>The key named <paramref name="kid"/>, fetching the JWKS first if it is unknown and a fetch is allowed.</summary>
    public async ValueTask<SigningKey?> GetAsync(string kid, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_keys.TryGetValue(kid, out var key))
        {
            if (now - _lastSuccess > _options.RefreshInterval)
            {
                _ = StartFetch(now); // refresh in the background; the known key still serves
            }
            return key;
        }
        var fetch = StartFetch(now);
        if (fetch is null)
        {
            // Fetched too recently: an unknown kid does not make another fetch. Looked up again, because the fetch that
            // rate-limits this one may have finished, with the key, after the first look (concurrent first requests
            // of a starting gateway got 401 for a valid token).
            return _keys.TryGetValue(kid, out key) ? key : null;
        }
        try
        {
            await fetch.WaitAsync(_options.FetchTimeout + _options.FetchTimeout, _time, cancellationToken);
        }
        catch (TimeoutException)
        {
            return null;
        }
        return _keys.TryGetValue(kid, out key) ? key : null;
    }

    /// <summary>The running fetch, or a new one if the last attempt is old enough; null when rate-limited.</summary>
    private Task? StartFetch(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_inFlight is { IsCompleted: false } running)
            {
                return running;
            }
            if (now - _lastAttempt < _options.MinRefreshInterval)
            {
                return null;
            }
            _lastAttempt = now;
            Interlocked.Increment(ref _fetches);
            _inFlight = Task.Run(FetchAsync);
            return _inFlight;
        }
    }

    private async Task FetchAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(_options.FetchTimeout, _time);
            _jwksUri ??= await DiscoverAsync(timeout.Token);
            var body = await GetBytesAsync(_jwksUri, timeout.Token);
            var skipped = new List<string>();
            var keys = SigningKey.ParseJwks(body, skipped);
            _keys = keys;
            _lastSuccess = _time.GetUtcNow();
            TokenLog.JwksFetched(_logger, _issuer.Issuer!, keys.Count, skipped.Count == 0 ? "none" : string.Join("; ", skipped));
        }
#pragma warning disable CA1031 // A failed fetch keeps the old keys; the next allowed miss retries.
        catch (Exception e)
#pragma warning restore CA1031
        {
            TokenLog.JwksFetchFailed(_logger, _issuer.Issuer!, e.Message);
        }
    }

    private async Task<Uri> DiscoverAsync(CancellationToken cancellationToken)
    {
        var issuer = _issuer.Issuer!;
        var discovery = new Uri(issuer.EndsWith('/') ? issuer + ".well-known/openid-configuration" : issuer + "/.well-known/openid-configuration");
        var body = await GetBytesAsync(discovery, cancellationToken);
        using var document = JsonDocument.Parse(body);
        if (!document.RootElement.TryGetProperty("jwks_uri", out var jwks) || jwks.ValueKind != JsonValueKind.String
            || !Uri.TryCreate(jwks.GetString(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new FormatException($"{discovery} has no usable jwks_uri");
        }
        return uri;
    }

    private async Task<byte[]> GetBytesAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET {uri} answered {(int)response.StatusCode}");
        }
        if (response.Content.Headers.ContentLength > MaxDocumentBytes)
        {
            throw new FormatException($"{uri} is larger than {MaxDocumentBytes} bytes");
        }
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return body.Length <= MaxDocumentBytes ? body : throw new FormatException($"{uri} is larger than {MaxDocumentBytes} bytes");
    }
}
