using System.Net;
using System.Net.Http.Headers;
using Aeros.Broker.Api;
using Aeros.Broker.Registrations;
using Aeros.JsonLd;
using Aeros.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Broker.Distribution;

/// <summary>One request to forward to a context source: method, path below <c>/ngsi-ld/v1</c> with query, body.</summary>
internal sealed record ForwardRequest(HttpMethod Method, string PathAndQuery, byte[]? Body = null, string? ContentType = null);

/// <summary>
/// What a context source answered: its status and body, or <see cref="Error"/> when there was no usable answer
/// (refused, timed out, cooled down, too large).
/// </summary>
internal sealed record ForwardResponse(int Status, byte[] Body, string? Error, long? ResultsCount)
{
    public bool IsSuccess => Error is null && Status is >= 200 and < 300;
}

/// <summary>
/// Sends forwarded requests to context sources (§6.3.17/18, §4.3.6.4): the request's @context as Link header, the
/// registration's tenant and <c>contextSourceInfo</c> headers, <c>Via</c> with this broker's alias appended, a
/// per-registration timeout and cooldown, and a bounded response size. Keeps each registration's statistics.
/// </summary>
internal sealed partial class ContextSourceClient : IDisposable
{
    public const string ViaHeader = "Via";
    public const string RequestValue = "urn:ngsi-ld:request";
    private readonly HttpClient _http;
    private readonly DistributionOptions _options;
    private readonly SourceIdentity _identity;
    private readonly TimeProvider _time;
    private readonly ILogger<ContextSourceClient> _logger;
    private readonly bool _sendsToken;

    // tokens: with security on (a domain host behind its gateway), the domain's own token for the other domains'
    // gateways its registrations point to, sent only to DistributionOptions.TokenRecipients (a registration is data
    // anyone with write access may create); null: requests carry no token.
    public ContextSourceClient(IOptions<DistributionOptions> options, SourceIdentity identity, TimeProvider time, ILogger<ContextSourceClient> logger,
        IAccessTokenSource? tokens = null)
    {
        _options = options.Value;
        _identity = identity;
        _time = time;
        _logger = logger;
        HttpMessageHandler handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = _options.DefaultTimeout,
        };
        if (tokens is not null)
        {
            handler = new BearerTokenHandler(tokens, handler, new TokenRecipients(_options.TokenRecipients));
            _sendsToken = true;
        }
        _http = new HttpClient(handler)
        {
            // Each request carries its own deadline (the registration's timeout).
            Timeout = Timeout.InfiniteTimeSpan,
            MaxResponseContentBufferSize = _options.MaxResponseBytes,
        };
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The time one forward to this registration may take.</summary>
    public TimeSpan TimeoutOf(ContextSourceRegistration registration) => registration.Management?.Timeout ?? _options.DefaultTimeout;

    /// <summary>Sends the request; never throws for failures of the source (they are in the response's Error).</summary>
    public async Task<ForwardResponse> SendAsync(HttpContext incoming, RegistrationEntry entry, ForwardRequest forward, JsonLdContext context, CancellationToken cancellationToken)
    {
        var registration = entry.Registration;
        if (entry.Stats.InCooldown(_time.GetUtcNow()))
        {
            return new ForwardResponse(0, [], "not contacted: in cooldown after a failure", null);
        }
        using var request = new HttpRequestMessage(forward.Method, BaseUrl(registration.Endpoint) + forward.PathAndQuery);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(NgsiLdHttp.ApplicationJson));
        string? link = context.Source is null ? null : NgsiLdHttp.ContextLinkHeader(incoming, context);
        if (registration.Tenant is { } tenant)
        {
            request.Headers.TryAddWithoutValidation(NgsiLdHttp.TenantHeader, tenant);
        }
        var via = incoming.Request.Headers.Via.ToString();
        request.Headers.TryAddWithoutValidation(ViaHeader, (via.Length == 0 ? "" : via + ", ") + "1.1 " + _identity.Alias);
        foreach (var (key, value) in registration.ContextSourceInfo)
        {
            var text = value == RequestValue ? incoming.Request.Headers[key].ToString() : value;
            switch (key.ToLowerInvariant())
            {
                case "jsonldcontext":
                    link = $"<{text}>; rel=\"{NgsiLdHttp.JsonLdContextRel}\"; type=\"application/ld+json\"";
                    break;
                case "accept" or "contenttype" or "ngsildconformance" or "via" or "ngsild-tenant" or "host" or "content-length" or "content-type":
                    // The broker asks for normalized JSON and decides tenant, Via and framing itself.
                    break;
                case "authorization" when _sendsToken:
                    // Secured: a registration must not collect the caller's token (urn:ngsi-ld:request) nor replace the
                    // broker's own; a source gets the broker's token if it is a token recipient, else nothing.
                    break;
                default:
                    if (text.Length > 0)
                    {
                        request.Headers.TryAddWithoutValidation(key, text);
                    }
                    break;
            }
        }
        if (forward.Body is { } body)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(forward.ContentType ?? NgsiLdHttp.ApplicationJson);
        }
        if (link is not null && forward.ContentType != NgsiLdHttp.ApplicationLdJson)
        {
            request.Headers.TryAddWithoutValidation("Link", link);
        }
        var timeout = TimeoutOf(registration);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        entry.Stats.Sent();
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token);
            var bytes = await response.Content.ReadAsByteArrayAsync(deadline.Token);
            long? count = response.Headers.TryGetValues("NGSILD-Results-Count", out var values)
                && long.TryParse(values.FirstOrDefault(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var c) ? c : null;
            return new ForwardResponse((int)response.StatusCode, bytes, null, count);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ForwardResponse(0, [], $"no answer within {timeout.TotalMilliseconds:0} ms", null);
        }
        catch (HttpRequestException e)
        {
            return new ForwardResponse(0, [], e.HttpRequestError switch
            {
                HttpRequestError.ConnectionError => "connection failed: " + (e.InnerException?.Message ?? e.Message),
                HttpRequestError.NameResolutionError => "host not found",
                HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded => "invalid HTTP answer",
                _ => e.Message,
            }, null);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or WebException)
        {
            return new ForwardResponse(0, [], e.Message, null);
        }
    }

    /// <summary>Records the outcome of a forward in the registration's statistics (and its cooldown).</summary>
    public void Record(RegistrationEntry entry, string? error)
    {
        var now = _time.GetUtcNow();
        if (error is null)
        {
            entry.Stats.Succeeded(now);
            return;
        }
        entry.Stats.Failed(now, entry.Registration.Management?.Cooldown ?? _options.DefaultCooldown);
        LogForwardFailed(_logger, entry.Registration.Id, entry.Registration.Endpoint, error);
    }

    /// <summary>The source's API root: the endpoint with <c>/ngsi-ld/v1</c> (not doubled when the endpoint has it).</summary>
    public static string BaseUrl(Uri endpoint)
    {
        var text = endpoint.AbsoluteUri.TrimEnd('/');
        if (text.EndsWith(BrokerServiceCollectionExtensions.ApiRoot, StringComparison.Ordinal))
        {
            text = text[..^BrokerServiceCollectionExtensions.ApiRoot.Length];
        }
        return text + BrokerServiceCollectionExtensions.ApiRoot;
    }
}
