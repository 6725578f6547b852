using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Aeros.Gateway.Routing;
using Aeros.Http1;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Gateway.Forwarding;

/// <summary>What became of one forwarded request.</summary>
internal enum RawForwardResult
{
    /// <summary>The backend's response was relayed.</summary>
    Success,

    /// <summary>No TCP connection to the backend (502).</summary>
    ConnectFailed,

    /// <summary>The connect or the backend took longer than its timeout (504).</summary>
    TimedOut,

    /// <summary>The backend's response was malformed or ambiguous (502).</summary>
    BadResponse,

    /// <summary>The connection failed or closed before a whole response (502).</summary>
    UpstreamFailed,

    /// <summary>The request holds header characters that cannot go on the wire (400).</summary>
    BadRequest,

    /// <summary>The client's request body could not be read (400).</summary>
    RequestBodyClient,

    /// <summary>The client went away: nothing more to write.</summary>
    Canceled,
}

/// <summary>
/// The gateway's own HTTP/1.1 forwarder for the hot path (ADR 0011): the request head is written straight from the
/// server's request onto a pooled keep-alive socket; the response head is parsed strictly (<see cref="ResponseHead"/>)
/// and relayed; bodies stream both ways (Content-Length or chunked; a response without either is read to the close).
/// A request on a pooled connection that the backend closed before sending any byte back is retried once on a fresh
/// connection when it is idempotent and has no body. Timeouts are activity timeouts (reset by each read), as YARP's.
/// Requests it does not take (upgrades, CONNECT, https backends) stay with YARP.
/// </summary>
internal sealed partial class RawForwarder : IDisposable
{
    private const int MaxChunkLineBytes = 4096;

    private static readonly byte[] Crlf = "\r\n"u8.ToArray();
    private static readonly byte[] LastChunk = "0\r\n\r\n"u8.ToArray();

    private static readonly FrozenSet<string> HopByHop = new[]
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "TE", "Trailer", "Content-Length",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    private readonly UpstreamOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, UpstreamPool?> _pools = new(StringComparer.Ordinal);
    private readonly ITimer _sweeper;

    public RawForwarder(IOptions<GatewayOptions> options, TimeProvider time, ILogger<RawForwarder> logger)
    {
        _options = options.Value.Upstream;
        _time = time;
        _logger = logger;
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, _options.IdleConnectionTimeout.Ticks / 2));
        _sweeper = time.CreateTimer(static s => ((RawForwarder)s!).Sweep(), this, period, period);
    }

    /// <summary>The pool of <paramref name="destinationAddress"/>, or null when the raw forwarder cannot reach it (not plain http).</summary>
    public UpstreamPool? PoolFor(string destinationAddress) =>
        _pools.GetOrAdd(destinationAddress, static (address, self) =>
            UpstreamEndpoint.TryCreate(address) is { } endpoint ? new UpstreamPool(endpoint, self._options, self._time) : null, this);

    /// <summary>Whether the raw forwarder handles <paramref name="http"/>: not CONNECT, not an upgrade (WebSockets), not extended CONNECT.</summary>
    public static bool CanForward(HttpContext http)
    {
        if (HttpMethods.IsConnect(http.Request.Method))
        {
            return false;
        }
        if (http.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true })
        {
            return false;
        }
        return http.Features.Get<IHttpExtendedConnectFeature>() is not { IsExtendedConnect: true };
    }

    /// <summary>Forwards <paramref name="http"/> to the pool's destination and relays the response.</summary>
    /// <remarks>
    /// The asynchronous methods of a forwarded request reuse their state machines (pooled builders): awaited once each,
    /// they would otherwise allocate one box per request and level.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<RawForwardResult> ForwardAsync(HttpContext http, UpstreamPool pool, TimeSpan activityTimeout, string api)
    {
        var request = http.Request;
        var framing = RequestHead.Framing(request);
        // Only a request that can be sent again as it was: idempotent and without a body (which is consumed once).
        var retryable = framing == RequestBodyFraming.None && IsIdempotent(request.Method);
        for (var attempt = 0; ; attempt++)
        {
            var connection = attempt == 0 ? pool.TryRent() : null;
            var reused = connection is not null;
            if (connection is null)
            {
                try
                {
                    connection = await pool.ConnectAsync(http.RequestAborted);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    if (http.RequestAborted.IsCancellationRequested)
                    {
                        return RawForwardResult.Canceled;
                    }
                    Log.ConnectFailed(_logger, pool.Endpoint.Authority, e.Message);
                    return e is OperationCanceledException ? RawForwardResult.TimedOut : RawForwardResult.ConnectFailed;
                }
            }
            var (result, dead) = await ExchangeAsync(http, pool, connection, framing, activityTimeout, api);
            if (dead && reused && retryable && attempt == 0)
            {
                Log.Retried(_logger, request.Method, request.Path.Value ?? "", pool.Endpoint.Authority);
                continue;
            }
            if (result != RawForwardResult.Success && result != RawForwardResult.Canceled && http.Response.HasStarted)
            {
                // Part of the response is out: the client must see a broken response, not a short one that looks whole.
                http.Abort();
            }
            return result;
        }
    }

    private static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method)
        || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);

    /// <summary>
    /// One request/response on <paramref name="connection"/>, which it returns to the pool or closes. <c>Dead</c>: the
    /// connection failed before any response byte came back (a retry on a fresh connection may succeed).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(RawForwardResult Result, bool Dead)> ExchangeAsync(HttpContext http, UpstreamPool pool, UpstreamConnection connection,
        RequestBodyFraming framing, TimeSpan timeout, string api)
    {
        var keep = false;
        var headDone = false;
        Task<BodyOutcome>? body = null;
        var registration = http.RequestAborted.UnsafeRegister(static s => ((UpstreamConnection)s!).Abort(), connection);
        var timing = UpstreamTiming.For(http);
        try
        {
            var head = connection.RequestBuffer;
            head.ResetWrittenCount();
            if (!RequestHead.Write(http, pool.Endpoint, framing, head))
            {
                keep = connection.Disarm();
                return (RawForwardResult.BadRequest, false);
            }
            connection.BeginRequest();
            connection.Arm(timeout);
            timing.Begin(_time);
            await connection.SendAsync(head.WrittenMemory);
            if (framing != RequestBodyFraming.None)
            {
                body = SendBodyAsync(http, connection, framing == RequestBodyFraming.Chunked);
            }

            var response = connection.Head;
            while (true)
            {
                var status = response.TryParse(connection.Buffered, _options.MaxResponseHeadersBytes, out var consumed);
                if (status == HeadParseStatus.Complete)
                {
                    connection.Consume(consumed);
                    if (response.Status == StatusCodes.Status101SwitchingProtocols)
                    {
                        return Malformed(http, api, pool, "101 Switching Protocols to a request that asked for no upgrade");
                    }
                    if (response.Status >= 200)
                    {
                        break;
                    }
                    continue; // an interim 1xx: the real response follows
                }
                if (status == HeadParseStatus.Invalid)
                {
                    return Malformed(http, api, pool, response.Error!);
                }
                var n = await connection.FillAsync(_options.MaxResponseHeadersBytes);
                if (n == 0)
                {
                    return connection.Received == 0 ? (RawForwardResult.UpstreamFailed, true) : Malformed(http, api, pool, "the connection closed inside the response head");
                }
                if (n < 0)
                {
                    return Malformed(http, api, pool, $"the response head is larger than {_options.MaxResponseHeadersBytes} bytes");
                }
                connection.Arm(timeout);
            }
            headDone = true;
            timing.End(_time);

            var method = http.Request.Method;
            var isHead = HttpMethods.IsHead(method);
            var noBody = isHead || response.Status is 204 or 304;
            var toClient = http.Response;
            toClient.StatusCode = response.Status;
            var headers = toClient.Headers;
            var fields = response.Headers;
            for (var i = 0; i < fields.Count; i++)
            {
                var (name, value) = fields[i];
                if (HopByHop.Contains(name) || (response.ConnectionTokens.Count > 0 && response.ConnectionTokens.Contains(name, StringComparer.OrdinalIgnoreCase)))
                {
                    continue;
                }
                // The backend's value replaces what the server set by itself (e.g. Date); a repeated field is appended.
                if (RepeatedBefore(fields, i))
                {
                    headers.Append(name, value);
                }
                else
                {
                    headers[name] = value;
                }
            }
            if (response.ContentLength >= 0 && (isHead || !noBody))
            {
                toClient.ContentLength = response.ContentLength;
            }
            var reusable = !response.ConnectionClose && !response.IsHttp10;
            RawForwardResult result;
            if (noBody)
            {
                result = RawForwardResult.Success;
            }
            else if (response.IsChunked)
            {
                result = await CopyChunkedAsync(http, connection, timeout);
            }
            else if (response.ContentLength >= 0)
            {
                result = await CopyAsync(http, connection, response.ContentLength, timeout);
            }
            else
            {
                reusable = false;
                result = await CopyToEndAsync(http, connection, timeout);
            }
            if (result == RawForwardResult.BadResponse)
            {
                return Malformed(http, api, pool, "a malformed chunked body");
            }
            if (result != RawForwardResult.Success)
            {
                return (result, false);
            }
            if (body is not null)
            {
                if (!body.IsCompleted)
                {
                    // The backend answered before reading the whole body: this connection's state is unknown now.
                    reusable = false;
                }
                else if (await body != BodyOutcome.Sent)
                {
                    reusable = false;
                }
            }
            // Bytes after the response were not asked for: never reuse such a connection (desync).
            keep = reusable && connection.BufferedCount == 0 && connection.Disarm();
            return (RawForwardResult.Success, false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            if (http.RequestAborted.IsCancellationRequested)
            {
                return (RawForwardResult.Canceled, false);
            }
            // Only the body task aborts the connection besides the client (checked above): its outcome says why.
            if (body is not null && connection.Aborted && await body == BodyOutcome.ClientFailed)
            {
                return (RawForwardResult.RequestBodyClient, false);
            }
            if (!connection.Aborted && connection.Token.IsCancellationRequested)
            {
                return (RawForwardResult.TimedOut, false);
            }
            return (RawForwardResult.UpstreamFailed, !headDone && connection.Received == 0 && e is not OperationCanceledException);
        }
        finally
        {
            registration.Dispose();
            if (body is not null && !body.IsCompleted)
            {
                keep = false;
                connection.Abort();
                http.Request.BodyReader.CancelPendingRead();
                await body;
            }
            if (keep)
            {
                connection.Completed++;
                pool.Return(connection);
            }
            else
            {
                connection.Dispose();
            }
        }
    }

    private static bool RepeatedBefore(List<KeyValuePair<string, string>> fields, int index)
    {
        var name = fields[index].Key;
        for (var j = 0; j < index; j++)
        {
            if (string.Equals(fields[j].Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    private (RawForwardResult, bool) Malformed(HttpContext http, string api, UpstreamPool pool, string reason)
    {
        Log.MalformedResponse(_logger, api, pool.Endpoint.Authority, http.Request.Method, http.Request.Path.Value ?? "", reason);
        return (RawForwardResult.BadResponse, false);
    }

    private enum BodyOutcome
    {
        Sent,
        ClientFailed,
        UpstreamFailed,
    }

    /// <summary>Streams the client's body to the backend (concurrently with reading the response, as a full-duplex proxy must).</summary>
    private static async Task<BodyOutcome> SendBodyAsync(HttpContext http, UpstreamConnection connection, bool chunked)
    {
        var reader = http.Request.BodyReader;
        var sizeLine = new byte[20];
        while (true)
        {
            ReadResult read;
            try
            {
                read = await reader.ReadAsync();
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                connection.Abort();
                return BodyOutcome.ClientFailed;
            }
            if (read.IsCanceled)
            {
                return BodyOutcome.ClientFailed;
            }
            var buffer = read.Buffer;
            try
            {
                if (!buffer.IsEmpty)
                {
                    if (chunked)
                    {
                        buffer.Length.TryFormat(sizeLine, out var n, "x", System.Globalization.CultureInfo.InvariantCulture);
                        sizeLine[n] = (byte)'\r';
                        sizeLine[n + 1] = (byte)'\n';
                        await connection.SendAsync(sizeLine.AsMemory(0, n + 2));
                    }
                    foreach (var segment in buffer)
                    {
                        await connection.SendAsync(segment);
                    }
                    if (chunked)
                    {
                        await connection.SendAsync(Crlf);
                    }
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                reader.AdvanceTo(buffer.End);
                return BodyOutcome.UpstreamFailed;
            }
            reader.AdvanceTo(buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }
        if (chunked)
        {
            try
            {
                await connection.SendAsync(LastChunk);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                return BodyOutcome.UpstreamFailed;
            }
        }
        return BodyOutcome.Sent;
    }

    /// <summary>Relays exactly <paramref name="length"/> body bytes to the client.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RawForwardResult> CopyAsync(HttpContext http, UpstreamConnection connection, long length, TimeSpan timeout)
    {
        var writer = http.Response.BodyWriter;
        var remaining = length;
        while (remaining > 0)
        {
            if (connection.BufferedCount == 0)
            {
                connection.Arm(timeout);
                if (await connection.FillAsync(_options.MaxResponseHeadersBytes) <= 0)
                {
                    return RawForwardResult.UpstreamFailed; // closed before the whole body
                }
            }
            var take = (int)Math.Min(remaining, connection.BufferedCount);
            var flush = await writer.WriteAsync(connection.BufferedMemory[..take]);
            connection.Consume(take);
            remaining -= take;
            if (flush.IsCanceled || flush.IsCompleted)
            {
                return RawForwardResult.Canceled;
            }
        }
        return RawForwardResult.Success;
    }

    /// <summary>Relays a response without framing: everything until the backend closes.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RawForwardResult> CopyToEndAsync(HttpContext http, UpstreamConnection connection, TimeSpan timeout)
    {
        var writer = http.Response.BodyWriter;
        while (true)
        {
            if (connection.BufferedCount == 0)
            {
                connection.Arm(timeout);
                if (await connection.FillAsync(_options.MaxResponseHeadersBytes) == 0)
                {
                    return RawForwardResult.Success;
                }
            }
            var flush = await writer.WriteAsync(connection.BufferedMemory);
            connection.Consume(connection.BufferedCount);
            if (flush.IsCanceled || flush.IsCompleted)
            {
                return RawForwardResult.Canceled;
            }
        }
    }

    /// <summary>Decodes a chunked body strictly (size line, data, CRLF; trailers read and dropped) and relays the data.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RawForwardResult> CopyChunkedAsync(HttpContext http, UpstreamConnection connection, TimeSpan timeout)
    {
        while (true)
        {
            var lineLength = await ReadLineAsync(connection, timeout, MaxChunkLineBytes);
            if (lineLength < 0)
            {
                return lineLength == -2 ? RawForwardResult.UpstreamFailed : RawForwardResult.BadResponse;
            }
            if (!TryParseChunkSize(connection.Buffered[..lineLength], out var size))
            {
                return RawForwardResult.BadResponse;
            }
            connection.Consume(lineLength + 2);
            if (size == 0)
            {
                // Trailer fields: read up to the empty line, bounded like a head, and dropped.
                var trailerBytes = 0;
                while (true)
                {
                    var trailer = await ReadLineAsync(connection, timeout, MaxChunkLineBytes);
                    if (trailer < 0)
                    {
                        return trailer == -2 ? RawForwardResult.UpstreamFailed : RawForwardResult.BadResponse;
                    }
                    connection.Consume(trailer + 2);
                    trailerBytes += trailer + 2;
                    if (trailer == 0)
                    {
                        return RawForwardResult.Success;
                    }
                    if (trailerBytes > _options.MaxResponseHeadersBytes)
                    {
                        return RawForwardResult.BadResponse;
                    }
                }
            }
            var copied = await CopyAsync(http, connection, size, timeout);
            if (copied != RawForwardResult.Success)
            {
                return copied;
            }
            while (connection.BufferedCount < 2)
            {
                connection.Arm(timeout);
                if (await connection.FillAsync(_options.MaxResponseHeadersBytes) <= 0)
                {
                    return RawForwardResult.UpstreamFailed;
                }
            }
            if (!connection.Buffered[..2].SequenceEqual("\r\n"u8))
            {
                return RawForwardResult.BadResponse;
            }
            connection.Consume(2);
        }
    }

    /// <summary>The length of the next CRLF-terminated line in the buffer (CRLF excluded); -1 malformed or too long, -2 closed.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadLineAsync(UpstreamConnection connection, TimeSpan timeout, int max)
    {
        while (true)
        {
            var buffered = connection.Buffered;
            var lf = buffered.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                if (lf == 0 || buffered[lf - 1] != (byte)'\r' || buffered[..(lf - 1)].Contains((byte)'\r') || lf - 1 > max)
                {
                    return -1;
                }
                return lf - 1;
            }
            if (buffered.Length > max)
            {
                return -1;
            }
            connection.Arm(timeout);
            if (await connection.FillAsync(Math.Max(_options.MaxResponseHeadersBytes, 2 * max)) <= 0)
            {
                return -2;
            }
        }
    }

    /// <summary>chunk-size [ BWS ";" chunk-ext ] (the shared strict rule, <see cref="Http1Syntax.TryParseChunkSize"/>).</summary>
    internal static bool TryParseChunkSize(ReadOnlySpan<byte> line, out long size) => Http1Syntax.TryParseChunkSize(line, out size);

    private void Sweep()
    {
        foreach (var pool in _pools.Values)
        {
            pool?.Sweep();
        }
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        foreach (var pool in _pools.Values)
        {
            pool?.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6550, Level = LogLevel.Warning,
            Message = "The {Api} backend at {Destination} answered {Method} {Path} with a malformed response, refused: {Reason}")]
        public static partial void MalformedResponse(ILogger logger, string api, string destination, string method, string path, string reason);

        [LoggerMessage(EventId = 6551, Level = LogLevel.Debug,
            Message = "Retrying {Method} {Path} on a fresh connection to {Destination}: the backend had closed the pooled one")]
        public static partial void Retried(ILogger logger, string method, string path, string destination);

        [LoggerMessage(EventId = 6552, Level = LogLevel.Warning, Message = "Connecting to {Destination} failed: {Reason}")]
        public static partial void ConnectFailed(ILogger logger, string destination, string reason);
    }
}
