using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.JsonLd.Registry;

/// <summary>Downloads context documents over HTTP(S) with a timeout and a size limit.</summary>
internal sealed partial class RemoteContextFetcher(
    IHttpClientFactory httpClientFactory,
    IOptions<JsonLdOptions> options,
    TimeProvider timeProvider,
    ILogger<RemoteContextFetcher> logger)
{
    /// <summary>How many redirects a download follows.</summary>
    public const int MaxRedirects = 5;

    private static readonly MediaTypeWithQualityHeaderValue[] Accept =
    [
        new("application/ld+json"),
        new("application/json", 0.9),
        new("*/*", 0.1),
    ];

    /// <summary>
    /// Downloads <paramref name="url"/> and returns its text. Throws <see cref="JsonLdException"/>: NotAvailable on
    /// network failure, timeout or a non-2xx status; Invalid when the document is too large or not UTF-8.
    /// </summary>
    public async Task<string> FetchAsync(Uri url, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        using var timeout = new CancellationTokenSource(settings.RemoteFetchTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var client = httpClientFactory.CreateClient(JsonLdOptions.HttpClientName);
        try
        {
            var target = url;
            HttpResponseMessage response;
            for (var redirects = 0; ; redirects++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, target);
                foreach (var accept in Accept)
                {
                    request.Headers.Accept.Add(accept);
                }

                response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
                if ((int)response.StatusCode is not (301 or 302 or 303 or 307 or 308) || response.Headers.Location is not { } location)
                {
                    break;
                }

                response.Dispose();
                if (redirects == MaxRedirects)
                {
                    throw new JsonLdException(JsonLdErrorKind.NotAvailable, $"The @context '{url}' redirects more than {MaxRedirects} times.");
                }

                // Every hop is checked like the first URL, so a redirect cannot escape AllowedRemoteHosts.
                target = location.IsAbsoluteUri ? location : new Uri(target, location);
                CheckAllowed(target.ToString(), target, settings);
            }

            using var ownedResponse = response;
            if (!response.IsSuccessStatusCode)
            {
                LogFetchFailed(logger, url, $"HTTP {(int)response.StatusCode}");
                throw new JsonLdException(
                    JsonLdErrorKind.NotAvailable,
                    $"The @context '{url}' could not be retrieved: the server answered HTTP {(int)response.StatusCode}.");
            }

            if (response.Content.Headers.ContentLength > settings.MaxContextBytes)
            {
                throw TooLarge(url, settings.MaxContextBytes);
            }

            var stream = await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var text = await ReadLimitedAsync(stream, url, settings.MaxContextBytes, linked.Token).ConfigureAwait(false);
                LogFetched(logger, url, text.Length);
                return text;
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            LogFetchFailed(logger, url, "timeout");
            throw new JsonLdException(
                JsonLdErrorKind.NotAvailable,
                $"The @context '{url}' could not be retrieved within {settings.RemoteFetchTimeout.TotalSeconds:0.###} s.");
        }
        catch (HttpRequestException e)
        {
            LogFetchFailed(logger, url, e.Message);
            throw new JsonLdException(JsonLdErrorKind.NotAvailable, $"The @context '{url}' could not be retrieved: {e.Message}", e);
        }
    }

    private static async Task<string> ReadLimitedAsync(Stream stream, Uri url, int maxBytes, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(maxBytes, 64 * 1024) + 1);
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBytes)
                {
                    throw TooLarge(url, maxBytes);
                }
            }

            try
            {
                var bytes = buffer.AsSpan(0, length);
                if (bytes.StartsWith(Encoding.UTF8.Preamble))
                {
                    bytes = bytes[Encoding.UTF8.Preamble.Length..];
                }

                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            }
            catch (DecoderFallbackException e)
            {
                throw new JsonLdException(JsonLdErrorKind.Invalid, $"The @context '{url}' is not UTF-8 JSON.", e);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Checks that <paramref name="uri"/> may be downloaded under <paramref name="settings"/>. Throws Invalid for a
    /// URL that is not HTTP(S), NotAvailable when the configuration forbids it.
    /// </summary>
    public static void CheckAllowed(string url, Uri uri, JsonLdOptions settings)
    {
        if (uri.Scheme is not ("http" or "https"))
        {
            throw new JsonLdException(JsonLdErrorKind.Invalid, $"The @context '{url}' is not an HTTP(S) URL.");
        }

        if (!settings.AllowRemoteContexts)
        {
            throw new JsonLdException(
                JsonLdErrorKind.NotAvailable,
                $"The @context '{url}' was not retrieved: remote fetch is restricted by configuration (AllowRemoteContexts is false).");
        }

        if (settings.AllowedRemoteHosts.Count > 0
            && !settings.AllowedRemoteHosts.Any(h =>
                string.Equals(h, uri.Host, StringComparison.OrdinalIgnoreCase)
                || string.Equals(h, uri.Authority, StringComparison.OrdinalIgnoreCase)))
        {
            throw new JsonLdException(
                JsonLdErrorKind.NotAvailable,
                $"The @context '{url}' was not retrieved: remote fetch is restricted by configuration (host '{uri.Host}' is not in AllowedRemoteHosts).");
        }
    }

    private static JsonLdException TooLarge(Uri url, int maxBytes) =>
        new(JsonLdErrorKind.Invalid, $"The @context '{url}' is larger than the {maxBytes} bytes allowed.");

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Downloaded @context {Url} ({Length} chars)")]
    private static partial void LogFetched(ILogger logger, Uri url, int length);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Could not download @context {Url}: {Reason}")]
    private static partial void LogFetchFailed(ILogger logger, Uri url, string reason);
}
