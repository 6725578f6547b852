using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Aeros.Http1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.SelfApi.Transport;

/// <summary>Where a self-API server listens, once it does.</summary>
internal interface ISelfApiListener
{
    /// <summary>The bound addresses (<c>http://127.0.0.1:9100</c>, port 0 resolved); empty before the server listens.</summary>
    IReadOnlyList<string> Addresses { get; }
}

/// <summary>
/// The agent's own small HTTP/1.1 server for the self-API, used by <c>aeros-agent</c> instead of Kestrel and the
/// ASP.NET Core stack (which cost a NativeAOT agent ~10 MiB of RSS; docs/benchmarks.md). Plain http only (the self-API
/// listens on loopback or sits behind the domain gateway). Keep-alive and pipelined requests, Content-Length and
/// chunked request bodies (read whole, up to <see cref="SelfApiServerOptions.MaxRequestBodyBytes"/>),
/// <c>Expect: 100-continue</c>; strict parsing (<see cref="Http1RequestHead"/>); 400/408/413/431/501/505 as problem
/// details with the connection closed after them; graceful stop: stop accepting, close idle connections, let requests
/// in progress finish within <see cref="SelfApiServerOptions.ShutdownTimeout"/>, then cut the rest.
/// </summary>
internal sealed partial class Http1Server : ISelfApiListener, IAsyncDisposable
{
    private static readonly byte[] Continue = "HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray();

    private readonly Func<SelfApiRequest, ValueTask<SelfApiResponse>> _dispatch;
    private readonly IServiceProvider _services;
    private readonly SelfApiServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private List<string> _addresses = [];
    private long _nextConnection;
    private int _stopped;

    public Http1Server(Func<SelfApiRequest, ValueTask<SelfApiResponse>> dispatch, IServiceProvider services, IOptions<SelfApiServerOptions> options,
        TimeProvider time, ILogger<Http1Server> logger)
    {
        _dispatch = dispatch;
        _services = services;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public IReadOnlyList<string> Addresses => _addresses;

    /// <summary>
    /// Parses <paramref name="urls"/> (<c>http://HOST:PORT</c>; HOST an IP address, <c>localhost</c>, or <c>*</c>,
    /// <c>+</c>, <c>0.0.0.0</c> for every IPv4 address); every error is listed.
    /// </summary>
    public static IReadOnlyList<IPEndPoint> ParseUrls(IEnumerable<string> urls, out List<string> errors)
    {
        errors = [];
        var endpoints = new List<IPEndPoint>();
        foreach (var url in urls)
        {
            var text = url.Trim().TrimEnd('/');
            if (!text.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"'{url}': the agent's own server speaks plain http only (use http://HOST:PORT, or 'aeros agent' for https).");
                continue;
            }
            var hostPort = text[7..];
            var colon = hostPort.LastIndexOf(':');
            if (colon <= 0 || hostPort.EndsWith(']') || !int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
            {
                errors.Add($"'{url}' has no port (http://HOST:PORT).");
                continue;
            }
            var host = hostPort[..colon].Trim('[', ']');
            IPAddress? address = host switch
            {
                "*" or "+" => IPAddress.Any,
                "localhost" => IPAddress.Loopback,
                _ => IPAddress.TryParse(host, out var ip) ? ip : null,
            };
            if (address is null)
            {
                errors.Add($"'{url}': the host must be an IP address, localhost, * or + (was '{host}').");
                continue;
            }
            endpoints.Add(new IPEndPoint(address, port));
        }
        return endpoints;
    }

    /// <summary>Binds every endpoint and starts accepting; a bind failure throws <see cref="IOException"/> naming the address.</summary>
    public Task StartAsync(IReadOnlyList<IPEndPoint> endpoints)
    {
        var addresses = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(endpoint);
                socket.Listen(128);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                throw new IOException($"Failed to bind to address http://{endpoint}: {e.Message}", e);
            }
            _listeners.Add(socket);
            var bound = (IPEndPoint)socket.LocalEndPoint!;
            var host = bound.Address.Equals(IPAddress.Any) ? "0.0.0.0" : bound.Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{bound.Address}]" : bound.Address.ToString();
            addresses.Add($"http://{host}:{bound.Port}");
            Log.Listening(_logger, addresses[^1]);
        }
        _addresses = addresses;
        foreach (var socket in _listeners)
        {
            _acceptLoops.Add(AcceptLoopAsync(socket));
        }
        return Task.CompletedTask;
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || _stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                // Transient (e.g. the client reset before accept, or out of descriptors): keep accepting.
                Log.AcceptFailed(_logger, e.SocketErrorCode.ToString());
                continue;
            }
            if (_connections.Count >= _options.MaxConnections)
            {
                Log.ConnectionLimit(_logger, _options.MaxConnections);
                client.Dispose();
                continue;
            }
            client.NoDelay = true;
            var id = Interlocked.Increment(ref _nextConnection);
            var connection = ServeAsync(id, client);
            _connections[id] = connection;
            // Removed once done; registered after the add, so a connection that ends at once cannot stay listed.
            _ = connection.ContinueWith(Forget, id, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(long id, Socket socket)
    {
        // Leave the accept loop at once: the connection runs on its own.
        await Task.Yield();
        try
        {
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            var connection = new Connection(stream, _options.MaxRequestHeadersBytes);
            var head = new Http1RequestHead();
            while (await ServeOneAsync(connection, head))
            {
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Log.ConnectionEnded(_logger, id, e.Message);
        }
    }

    private void Forget(Task connection, object? id) => _connections.TryRemove((long)id!, out _);

    /// <summary>Reads, handles and answers one request; false when the connection is to close.</summary>
    private async Task<bool> ServeOneAsync(Connection connection, Http1RequestHead head)
    {
        // Idle between requests: a stop or the keep-alive timeout closes the connection quietly.
        if (connection.Buffered.IsEmpty)
        {
            using var idle = Linked(_stopping.Token, _options.KeepAliveTimeout);
            try
            {
                if (await connection.FillAsync(idle.Token) == 0)
                {
                    return false;
                }
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        using var request = Linked(_abort.Token, _options.RequestTimeout);
        int consumed;
        try
        {
            RequestHeadStatus status;
            while ((status = head.TryParse(connection.Buffered.Span, _options.MaxRequestHeadersBytes, out consumed)) == RequestHeadStatus.NeedMore)
            {
                if (await connection.FillAsync(request.Token) == 0)
                {
                    return false;
                }
            }
            if (status == RequestHeadStatus.Invalid)
            {
                Log.Refused(_logger, head.ErrorStatus, head.Error!);
                await WriteAsync(connection, Refusal(head.ErrorStatus, head.Error!), close: true, request.Token);
                return false;
            }
        }
        catch (OperationCanceledException) when (!_abort.IsCancellationRequested)
        {
            await WriteAsync(connection, SelfApiResponse.Problem(408, "Request Timeout", $"The request did not arrive within {_options.RequestTimeout}."), close: true, CancellationToken.None);
            return false;
        }
        connection.Consume(consumed);

        byte[] body;
        if (head.ContentLength > _options.MaxRequestBodyBytes)
        {
            // Refused before it is read. A client that sends the body anyway (no Expect: 100-continue) would get a reset
            // instead of the 413 if the socket closed with unread bytes: drain a bounded amount first.
            await WriteAsync(connection, TooLarge(), close: true, request.Token);
            await DrainAsync(connection, Math.Min(head.ContentLength, 2L * _options.MaxRequestBodyBytes), request.Token);
            return false;
        }
        if (head.ExpectContinue && (head.ContentLength > 0 || head.IsChunked))
        {
            await connection.Stream.WriteAsync(Continue, request.Token);
        }
        try
        {
            var read = head.IsChunked ? await ReadChunkedAsync(connection, request.Token) : await ReadLengthAsync(connection, head.ContentLength, request.Token);
            if (read.Error is { } error)
            {
                Log.Refused(_logger, error.Status, "bad body");
                await WriteAsync(connection, error, close: true, request.Token);
                return false;
            }
            body = read.Body!;
        }
        catch (OperationCanceledException) when (!_abort.IsCancellationRequested)
        {
            await WriteAsync(connection, SelfApiResponse.Problem(408, "Request Timeout", $"The request body did not arrive within {_options.RequestTimeout}."), close: true, CancellationToken.None);
            return false;
        }

        var selfApiRequest = new SelfApiRequest
        {
            Method = head.Method,
            Path = head.Path,
            QueryString = head.QueryString,
            ContentType = head.ContentType,
            ContentLength = head.ContentLength >= 0 ? head.ContentLength : null,
            Body = body.Length == 0 ? Stream.Null : new MemoryStream(body, writable: false),
            Headers = head.Headers.Count == 0 ? static _ => null : CopyHeaders(head).Header,
            Services = _services,
            Aborted = _abort.Token,
        };
        SelfApiResponse response;
        try
        {
            response = await _dispatch(selfApiRequest);
        }
        catch (Exception e) when (e is not OperationCanceledException || !_abort.IsCancellationRequested)
        {
            Log.HandlerFailed(_logger, e, head.Method, head.Path);
            response = SelfApiResponse.Problem(500, "Internal Server Error", "The agent failed to handle the request; the failure is logged.");
        }
        // After a stop began, finish this request but close the connection.
        var close = head.CloseAfter || _stopping.IsCancellationRequested;
        await WriteAsync(connection, response, close, _abort.Token);
        return !close;
    }

    private async Task<(byte[]? Body, SelfApiResponse? Error)> ReadLengthAsync(Connection connection, long length, CancellationToken cancellationToken)
    {
        if (length <= 0)
        {
            return ([], null);
        }
        var body = new byte[length];
        var filled = 0;
        while (filled < length)
        {
            if (connection.Buffered.IsEmpty && await connection.FillAsync(cancellationToken) == 0)
            {
                throw new IOException("The client closed the connection inside the body.");
            }
            var take = (int)Math.Min(connection.Buffered.Length, length - filled);
            connection.Buffered.Span[..take].CopyTo(body.AsSpan(filled));
            connection.Consume(take);
            filled += take;
        }
        return (body, null);
    }

    /// <summary>Decodes a chunked body strictly (size line, data, CRLF; trailers read and dropped).</summary>
    private async Task<(byte[]? Body, SelfApiResponse? Error)> ReadChunkedAsync(Connection connection, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        while (true)
        {
            var line = await ReadLineAsync(connection, cancellationToken);
            if (line is null || !Http1Syntax.TryParseChunkSize(line, out var size))
            {
                return (null, Refusal(400, "a malformed chunk-size line"));
            }
            if (size == 0)
            {
                // Trailer fields until the empty line: read and dropped.
                var trailers = 0;
                while (true)
                {
                    var trailer = await ReadLineAsync(connection, cancellationToken);
                    if (trailer is null || ++trailers > 64)
                    {
                        return (null, Refusal(400, "malformed trailer fields"));
                    }
                    if (trailer.Length == 0)
                    {
                        return (body.ToArray(), null);
                    }
                }
            }
            if (body.Length + size > _options.MaxRequestBodyBytes)
            {
                return (null, TooLarge());
            }
            var remaining = size;
            while (remaining > 0)
            {
                if (connection.Buffered.IsEmpty && await connection.FillAsync(cancellationToken) == 0)
                {
                    throw new IOException("The client closed the connection inside a chunk.");
                }
                var take = (int)Math.Min(connection.Buffered.Length, remaining);
                body.Write(connection.Buffered.Span[..take]);
                connection.Consume(take);
                remaining -= take;
            }
            var end = await ReadLineAsync(connection, cancellationToken);
            if (end is not { Length: 0 })
            {
                return (null, Refusal(400, "chunk data not followed by CRLF"));
            }
        }
    }

    /// <summary>One CRLF line (without it), at most 4 KiB; null when malformed or too long.</summary>
    private static async Task<byte[]?> ReadLineAsync(Connection connection, CancellationToken cancellationToken)
    {
        const int MaxLine = 4096;
        while (true)
        {
            if (Http1Syntax.TryReadLine(connection.Buffered.Span, out var line, out var consumed, out var error))
            {
                var copy = line.ToArray();
                connection.Consume(consumed);
                return copy;
            }
            if (error is not null || connection.Buffered.Length > MaxLine)
            {
                return null;
            }
            if (await connection.FillAsync(cancellationToken) == 0)
            {
                throw new IOException("The client closed the connection inside a chunked body.");
            }
        }
    }

    // The head object is reused by the connection's next request: the handler gets its own copy.
    private static Http1RequestHead CopyHeaders(Http1RequestHead head)
    {
        var copy = new Http1RequestHead();
        copy.Headers.AddRange(head.Headers);
        return copy;
    }

    private static async Task DrainAsync(Connection connection, long limit, CancellationToken cancellationToken)
    {
        try
        {
            var drained = (long)connection.Buffered.Length;
            connection.Consume(connection.Buffered.Length);
            while (drained < limit)
            {
                var read = await connection.FillAsync(cancellationToken);
                if (read == 0)
                {
                    return;
                }
                drained += read;
                connection.Consume(connection.Buffered.Length);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            // The client went or took too long: the connection closes either way.
        }
    }

    private SelfApiResponse TooLarge() =>
        SelfApiResponse.Problem(413, "Content Too Large", $"Request bodies are limited to {_options.MaxRequestBodyBytes} bytes.");

    private static SelfApiResponse Refusal(int status, string reason) =>
        SelfApiResponse.Problem(status, Reason(status), $"The request was refused: {reason}.", [$"The request was refused: {reason}."]);

    private async Task WriteAsync(Connection connection, SelfApiResponse response, bool close, CancellationToken cancellationToken)
    {
        var head = new StringBuilder(256);
        head.Append("HTTP/1.1 ").Append(response.Status.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(Reason(response.Status)).Append("\r\n");
        head.Append("Date: ").Append(_time.GetUtcNow().ToString("r", CultureInfo.InvariantCulture)).Append("\r\n");
        if (response.ContentType is not null)
        {
            head.Append("Content-Type: ").Append(response.ContentType).Append("\r\n");
        }
        // RFC 9110 §8.6: no Content-Length in a 204.
        if (response.Status != 204)
        {
            head.Append("Content-Length: ").Append(response.Body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        }
        if (response.Location is not null)
        {
            head.Append("Location: ").Append(response.Location).Append("\r\n");
        }
        if (response.Allow is not null)
        {
            head.Append("Allow: ").Append(response.Allow).Append("\r\n");
        }
        if (response.WwwAuthenticate is not null)
        {
            head.Append("WWW-Authenticate: ").Append(response.WwwAuthenticate).Append("\r\n");
        }
        if (close)
        {
            head.Append("Connection: close\r\n");
        }
        head.Append("\r\n");
        await connection.Stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), cancellationToken);
        if (!response.Body.IsEmpty)
        {
            await connection.Stream.WriteAsync(response.Body, cancellationToken);
        }
        if (close)
        {
            // Half-close so the client reads the whole answer before the connection goes.
            connection.Stream.Socket.Shutdown(SocketShutdown.Send);
        }
    }

    internal static string Reason(int status) => status switch
    {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Status",
    };

    private Deadline Linked(CancellationToken token, TimeSpan timeout) => new(token, timeout, _time);

    /// <summary><paramref name="token"/> or a timeout on the injected clock, whichever comes first.</summary>
    private sealed class Deadline(CancellationToken token, TimeSpan timeout, TimeProvider time) : IDisposable
    {
        private readonly CancellationTokenSource _timer = new(timeout, time);
        private CancellationTokenSource? _linked;

        public CancellationToken Token => (_linked ??= CancellationTokenSource.CreateLinkedTokenSource(token, _timer.Token)).Token;

        public void Dispose()
        {
            _linked?.Dispose();
            _timer.Dispose();
        }
    }

    /// <summary>Stops accepting, closes idle connections, lets requests in progress finish (bounded), then cuts the rest.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }
        await _stopping.CancelAsync();
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }
        await Task.WhenAll(_acceptLoops);
        var open = _connections.Values.ToArray();
        if (open.Length > 0)
        {
            Log.Stopping(_logger, open.Length);
            using var grace = new CancellationTokenSource(_options.ShutdownTimeout, _time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(grace.Token, cancellationToken);
            try
            {
                await Task.WhenAll(open).WaitAsync(either.Token);
            }
            catch (OperationCanceledException)
            {
                Log.Aborting(_logger, _connections.Count);
            }
        }
        await _abort.CancelAsync();
        await Task.WhenAll(_connections.Values.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
        _abort.Dispose();
    }

    /// <summary>One connection's stream and read buffer (grown up to the head limit plus one read).</summary>
    private sealed class Connection(NetworkStream stream, int maxHeadBytes)
    {
        private byte[] _buffer = new byte[4096];
        private int _start;
        private int _end;

        public NetworkStream Stream { get; } = stream;

        public Memory<byte> Buffered => _buffer.AsMemory(_start, _end - _start);

        public void Consume(int count)
        {
            _start += count;
            if (_start == _end)
            {
                _start = _end = 0;
            }
        }

        /// <summary>Reads more bytes after the buffered ones; 0 when the client closed.</summary>
        public async ValueTask<int> FillAsync(CancellationToken cancellationToken)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                if (_buffer.Length >= maxHeadBytes + 4096)
                {
                    // The head parser refuses at the limit before this; a chunk line reader at 4 KiB.
                    throw new IOException("Read buffer limit reached.");
                }
                Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, maxHeadBytes + 4096));
            }
            var read = await Stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            _end += read;
            return read;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4330, Level = LogLevel.Debug, Message = "Self-API server listening at {Address}")]
        public static partial void Listening(ILogger logger, string address);

        [LoggerMessage(EventId = 4331, Level = LogLevel.Debug, Message = "Refused a request with {Status}: {Reason}")]
        public static partial void Refused(ILogger logger, int status, string reason);

        [LoggerMessage(EventId = 4332, Level = LogLevel.Error, Message = "The self-API failed on {Method} {Path}")]
        public static partial void HandlerFailed(ILogger logger, Exception exception, string method, string path);

        [LoggerMessage(EventId = 4333, Level = LogLevel.Warning, Message = "Connection refused: {Max} connections are open (Agent:Server:MaxConnections)")]
        public static partial void ConnectionLimit(ILogger logger, int max);

        [LoggerMessage(EventId = 4334, Level = LogLevel.Debug, Message = "Connection {Id} ended: {Reason}")]
        public static partial void ConnectionEnded(ILogger logger, long id, string reason);

        [LoggerMessage(EventId = 4335, Level = LogLevel.Debug, Message = "Stopping: waiting for {Count} open connection(s)")]
        public static partial void Stopping(ILogger logger, int count);

        [LoggerMessage(EventId = 4336, Level = LogLevel.Warning, Message = "Stop: {Count} connection(s) still busy after the shutdown timeout were cut")]
        public static partial void Aborting(ILogger logger, int count);

        [LoggerMessage(EventId = 4337, Level = LogLevel.Warning, Message = "Accepting a connection failed: {Error}")]
        public static partial void AcceptFailed(ILogger logger, string error);
    }
}
