using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Runtime.CompilerServices;

namespace Aeros.Gateway.Forwarding;

/// <summary>A backend the raw forwarder can reach: plain http, its socket address, its Host line and path prefix.</summary>
internal sealed class UpstreamEndpoint
{
    private UpstreamEndpoint(EndPoint endPoint, string authority, string pathPrefix)
    {
        EndPoint = endPoint;
        Authority = authority;
        HostLine = Encoding.ASCII.GetBytes("Host: " + authority + "\r\n");
        PathPrefix = Encoding.ASCII.GetBytes(pathPrefix);
    }

    public EndPoint EndPoint { get; }

    public string Authority { get; }

    /// <summary><c>Host: authority\r\n</c>, written into every request head.</summary>
    public byte[] HostLine { get; }

    /// <summary>The destination's own path (no trailing slash), put before the request path; usually empty.</summary>
    public byte[] PathPrefix { get; }

    /// <summary>The endpoint of <paramref name="address"/>, or null when the raw forwarder cannot serve it (not plain http).</summary>
    public static UpstreamEndpoint? TryCreate(string address)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            return null;
        }
        EndPoint endPoint = IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? new IPEndPoint(ip, uri.Port) : new DnsEndPoint(uri.IdnHost, uri.Port);
        var path = uri.AbsolutePath.TrimEnd('/');
        return new UpstreamEndpoint(endPoint, uri.Authority, path);
    }
}

/// <summary>
/// One keep-alive TCP connection to a backend with its receive buffer, the head parser of its responses and an
/// activity timer (a reusable <see cref="CancellationTokenSource"/> on the injected clock; re-armed on each read).
/// Used by one request at a time.
/// </summary>
internal sealed class UpstreamConnection : IDisposable
{
    private const int InitialBufferBytes = 8 * 1024;

    private readonly Socket _socket;
    private readonly CancellationTokenSource _timer;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _disposed;

    private UpstreamConnection(Socket socket, TimeProvider time)
    {
        _socket = socket;
        _timer = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
    }

    /// <summary>Requests this connection has completed (0: fresh).</summary>
    public int Completed { get; set; }

    /// <summary>When it went back to the pool (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long IdleSince { get; set; }

    /// <summary>Bytes received since the current request was sent (a reused connection that received none may be retried).</summary>
    public long Received { get; private set; }

    public ResponseHead Head { get; } = new();

    /// <summary>Where the request head is built (reused by every request on this connection).</summary>
    public ArrayBufferWriter<byte> RequestBuffer { get; } = new(2048);

    /// <summary>Cancelled when the activity timer fires or <see cref="Abort"/> is called.</summary>
    public CancellationToken Token => _timer.Token;

    /// <summary>True once <see cref="Abort"/> was called (so a cancelled operation was not the timer).</summary>
    public bool Aborted { get; private set; }

    public ReadOnlySpan<byte> Buffered => _buffer.AsSpan(_start, _end - _start);

    public ReadOnlyMemory<byte> BufferedMemory => _buffer.AsMemory(_start, _end - _start);

    public int BufferedCount => _end - _start;

    public static async ValueTask<UpstreamConnection> ConnectAsync(UpstreamEndpoint endpoint, TimeSpan timeout, TimeProvider time, CancellationToken aborted)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var connection = new UpstreamConnection(socket, time);
        try
        {
            connection.Arm(timeout);
            using (aborted.UnsafeRegister(static s => ((UpstreamConnection)s!).Abort(), connection))
            {
                await socket.ConnectAsync(endpoint.EndPoint, connection.Token);
            }
            connection.Disarm();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Starts (or restarts) the activity timer.</summary>
    public void Arm(TimeSpan timeout) => _timer.CancelAfter(timeout);

    /// <summary>Stops the timer; false when it already fired (the connection is then not reusable).</summary>
    public bool Disarm() => !_timer.IsCancellationRequested && _timer.TryReset();

    /// <summary>Cancels every pending operation (client gone, or the request body failed).</summary>
    public void Abort()
    {
        Aborted = true;
        try
        {
            _timer.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // already closed
        }
    }

    /// <summary>Marks the start of a request: nothing received for it yet.</summary>
    public void BeginRequest() => Received = 0;

    /// <summary>Whether a pooled connection is still fit: no unread bytes and no EOF or reset waiting (one poll).</summary>
    public bool IsReusable()
    {
        if (_start != _end || _disposed)
        {
            return false;
        }
        try
        {
            // Readable while idle means the backend closed it, reset it or sent bytes nobody asked for: none is reusable.
            return !_socket.Poll(0, SelectMode.SelectRead);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await _socket.SendAsync(data, SocketFlags.None, Token);
            data = data[sent..];
        }
    }

    /// <summary>
    /// Reads more into the buffer (keeping what is unread), growing it up to <paramref name="maxBuffer"/>. Returns
    /// the bytes read, 0 at EOF, -1 when the buffer is full at its limit.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> FillAsync(int maxBuffer)
    {
        if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            else if (_buffer.Length < maxBuffer)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(maxBuffer, _buffer.Length * 2));
                Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }
            else
            {
                return -1;
            }
        }
        var n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, Token);
        _end += n;
        Received += n;
        return n;
    }

    public void Consume(int count)
    {
        _start += count;
        if (_start == _end)
        {
            _start = _end = 0;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _socket.Dispose();
        _timer.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _start = _end = 0;
    }
}
