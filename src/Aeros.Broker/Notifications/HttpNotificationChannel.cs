using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Broker.Notifications;

/// <summary>
/// Sends notifications to <c>http</c> and <c>https</c> endpoints: a POST of the body with its Content-Type, the
/// <c>Link</c> header when set, each receiverInfo pair as a header and <c>NGSILD-Tenant</c> for a named tenant
/// (ETSI GS CIM 009 §5.3.1, §6.3). One HttpClient over a pooled SocketsHttpHandler serves all subscriptions.
/// </summary>
internal sealed partial class HttpNotificationChannel : INotificationChannel, IDisposable
{
    // Headers that frame or route the request: a receiver cannot set them through receiverInfo.
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Content-Type", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "Expect",
        "TE", "Trailer", "Proxy-Connection", "Proxy-Authorization",
    };

    private readonly HttpClient _client;
    private readonly ILogger _logger;

    public HttpNotificationChannel(IOptions<NotificationOptions> options, ILogger<HttpNotificationChannel> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Value.MaxConnectionsPerServer,
            // Keep-alive connections are reused, but not forever: receivers move (DNS) and restart.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            // A notification is a POST to the URI the subscriber gave; redirects would replay it elsewhere.
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        // Each attempt carries its own timeout (the dispatcher's token), so the client has none of its own.
        _client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public bool Supports(Uri endpoint) =>
        endpoint.IsAbsoluteUri && (endpoint.Scheme == Uri.UriSchemeHttp || endpoint.Scheme == Uri.UriSchemeHttps);

    public async Task<DeliveryResult> SendAsync(NotificationMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var request = BuildRequest(message);
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                return DeliveryResult.Ok;
            }
            var retryable = status is 408 or 429 or >= 500;
            return DeliveryResult.Failed($"HTTP {status} {response.ReasonPhrase}".TrimEnd(), retryable);
        }
        catch (HttpRequestException exception) when (!cancellationToken.IsCancellationRequested)
        {
            return DeliveryResult.Failed(Describe(exception), retryable: true);
        }
        catch (IOException exception) when (!cancellationToken.IsCancellationRequested)
        {
            return DeliveryResult.Failed($"connection failed: {exception.Message}", retryable: true);
        }
    }

    public void Dispose() => _client.Dispose();

    private HttpRequestMessage BuildRequest(NotificationMessage message)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, message.Endpoint)
        {
            Content = new ReadOnlyMemoryContent(message.Body),
        };
        if (MediaTypeHeaderValue.TryParse(message.ContentType, out var contentType))
        {
            request.Content.Headers.ContentType = contentType;
        }
        if (!string.IsNullOrEmpty(message.Link))
        {
            AddHeader(request, "Link", message.Link);
        }
        if (!string.IsNullOrEmpty(message.Tenant))
        {
            AddHeader(request, "NGSILD-Tenant", message.Tenant);
        }
        foreach (var (name, value) in message.ReceiverInfo)
        {
            if (ReservedHeaders.Contains(name))
            {
                Log.HeaderSkipped(_logger, name, NotificationDispatcher.RedactedEndpoint(message.Endpoint));
                continue;
            }
            AddHeader(request, name, value);
        }
        return request;
    }

    private void AddHeader(HttpRequestMessage request, string name, string value)
    {
        // Receiver info comes from the subscriber: a pair that is no valid header is left out, not a failure.
        if (!IsToken(name) || !IsFieldValue(value) || !request.Headers.TryAddWithoutValidation(name, value))
        {
            Log.HeaderSkipped(_logger, name, NotificationDispatcher.RedactedEndpoint(request.RequestUri));
        }
    }

    /// <summary>RFC 9110 token: the characters a header name may have.</summary>
    internal static bool IsToken(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }
        foreach (var c in name)
        {
            var ok = c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9'
                || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Visible ASCII, spaces and tabs (no line breaks, no characters HttpClient would refuse to send).</summary>
    internal static bool IsFieldValue(string value)
    {
        foreach (var c in value)
        {
            if (c is not ('\t' or >= ' ' and <= '~'))
            {
                return false;
            }
        }
        return true;
    }

    private static string Describe(HttpRequestException exception) => exception.HttpRequestError switch
    {
        HttpRequestError.ConnectionError when exception.InnerException is SocketException socket =>
            $"connection failed: {socket.SocketErrorCode}",
        HttpRequestError.NameResolutionError => "connection failed: host name not resolved",
        HttpRequestError.SecureConnectionError => $"TLS handshake failed: {exception.Message}",
        _ => $"connection failed: {exception.Message}",
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 2620, EventName = "NotificationHeaderSkipped", Level = LogLevel.Debug,
            Message = "Receiver info '{Name}' for {Endpoint} is not a valid HTTP header; it is not sent.")]
        public static partial void HeaderSkipped(ILogger logger, string name, string endpoint);
    }
}
