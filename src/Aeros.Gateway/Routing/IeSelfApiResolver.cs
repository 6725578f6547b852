using System.Collections.Concurrent;
using Aeros.Abstractions.Continuum;
using Aeros.Continuum;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Gateway.Routing;

/// <summary>
/// Finds the self-API base URL of an infrastructure element: from <see cref="GatewayOptions.InfrastructureElements"/>,
/// else from the broker's <c>InfrastructureElement.selfApiUrl</c> (cached for <see cref="GatewayOptions.IeLookupCacheDuration"/>).
/// </summary>
internal sealed class IeSelfApiResolver
{
    private const string IdPrefix = "urn:ngsi-ld:InfrastructureElement:";
    private const int MaxCached = 10_000;

    private readonly GatewayOptions _options;
    private readonly ContinuumClient? _broker;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, (string? Url, DateTimeOffset Expires)> _cache = new(StringComparer.Ordinal);

    public IeSelfApiResolver(IOptions<GatewayOptions> options, IHttpClientFactory httpClients, TimeProvider time, ILogger<IeSelfApiResolver> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        if (_options.Broker.Destinations.Count > 0)
        {
            var http = httpClients.CreateClient(GatewayServiceCollectionExtensions.BackendHttpClientName);
            var clientOptions = new ContinuumClientOptions
            {
                BrokerUrl = _options.Broker.Destinations[0],
                MaxAttempts = 1, // a request waits on this lookup: fail fast, the next request asks again
                RequestTimeout = TimeSpan.FromSeconds(3),
            };
            _broker = new ContinuumClient(http, clientOptions, time);
        }
    }

    /// <summary>The base URL (no trailing slash), or null when the element is unknown or has no self-API.</summary>
    public async ValueTask<string?> ResolveAsync(string ieId, CancellationToken cancellationToken)
    {
        if (_options.InfrastructureElements.TryGetValue(ieId, out var configured))
        {
            return configured.TrimEnd('/');
        }
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(ieId, out var cached) && now < cached.Expires)
        {
            return cached.Url;
        }
        if (_broker is null)
        {
            return null;
        }
        var id = ieId.StartsWith("urn:", StringComparison.Ordinal) ? ieId : IdPrefix + ieId;
        string? url = null;
        try
        {
            var ie = await _broker.GetAsync<InfrastructureElement>(id, cancellationToken);
            url = ie?.SelfApiUrl is { } u && GatewayOptionsValidator.IsHttpUrl(u) ? u.TrimEnd('/') : null;
        }
#pragma warning disable CA1031 // Any failure of the lookup (network, broker error, unreadable entity) means: not resolvable now.
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            GatewayLog.IeLookupFailed(_logger, ieId, e.Message);
            return null; // not cached: the broker may be back for the next request
        }
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }
        // Unknown elements are remembered briefly so a flood of made-up ids does not become a flood of broker lookups.
        var duration = url is null ? TimeSpan.FromSeconds(Math.Min(5, _options.IeLookupCacheDuration.TotalSeconds)) : _options.IeLookupCacheDuration;
        _cache[ieId] = (url, now + duration);
        return url;
    }
}
