using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Aeros.Gateway.Tests.TestSupport;

/// <summary>
/// A raw TCP backend on 127.0.0.1 for the forwarder's framing tests: each accepted connection runs the script given
/// at start, which reads requests (parsed strictly, bodies de-chunked) and writes whatever bytes the test wants —
/// malformed heads included. Counts connections and keeps every request it read. Every socket operation has a
/// deadline; disposing stops the listener and closes every connection.
/// </summary>
internal sealed class RawUpstream : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly TcpListener _listener;
    private readonly Func<UpstreamSocket, Task> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<UpstreamSocket> _sockets = [];
    private readonly ConcurrentBag<Task> _handlers = [];
    private readonly Task _acceptLoop;
    private int _accepted;

    private RawUpstream(Func<UpstreamSocket, Task> script)
    {
        _script = script;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _acceptLoop = AcceptAsync();
    }

    public Uri Url { get; }

    public int Accepted => Volatile.Read(ref _accepted);

    public ConcurrentQueue<UpstreamRequest> Requests { get; } = new();

    /// <summary>Starts a backend that runs <paramref name="script"/> on each connection.</summary>
    public static RawUpstream Start(Func<UpstreamSocket, Task> script) => new(script);

    /// <summary>A backend that answers every request on every connection with <paramref name="response"/>.</summary>
    public static RawUpstream Answering(string response) => Start(async socket =>
    {
        while (await socket.ReadRequestAsync() is not null)
        {
            await socket.SendAsync(response);
        }
    });

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var socket = new UpstreamSocket(accepted, Interlocked.Increment(ref _accepted), this, _stop.Token);
            _sockets.Add(socket);
            _handlers.Add(RunAsync(socket));
        }
    }

    private async Task RunAsync(UpstreamSocket socket)
    {
        try
        {
            await _script(socket);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The gateway closed the connection or the test ended.
        }
        finally
        {
            socket.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var s in _sockets)
        {
            s.Close();
        }
        await _acceptLoop.WaitAsync(Deadline);
        await Task.WhenAll(_handlers).WaitAsync(Deadline);
        _stop.Dispose();
    }

    internal void Record(UpstreamRequest request) => Requests.Enqueue(request);
}

/// <summary>A request as the fake backend read it.</summary>
internal sealed record UpstreamRequest(int Connection, string Method, string Target, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    public bool Has(string name) => Headers.Any(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>One accepted connection of <see cref="RawUpstream"/>.</summary>
internal sealed class UpstreamSocket(Socket socket, int index, RawUpstream owner, CancellationToken stop)
{
    private readonly byte[] _buffer = new byte[4 * 1024 * 1024];
    private int _start;
    private int _end;

    /// <summary>1 for the first connection accepted, 2 for the second...</summary>
    public int Index { get; } = index;

    /// <summary>Reads one request; null when the gateway closed the connection.</summary>
    public async Task<UpstreamRequest?> ReadRequestAsync()
    {
        var headEnd = await FindAsync("\r\n\r\n"u8.ToArray());
        if (headEnd < 0)
        {
            return null;
        }
        var head = Encoding.Latin1.GetString(_buffer, _start, headEnd - _start);
        _start = headEnd + 4;
        var lines = head.Split("\r\n");
        var requestLine = lines[0].Split(' ');
        var headers = lines.Skip(1).Select(l => new KeyValuePair<string, string>(l[..l.IndexOf(':', StringComparison.Ordinal)], l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim())).ToList();
        var length = headers.FirstOrDefault(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Value;
        var chunked = headers.Any(h => h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && h.Value.Equals("chunked", StringComparison.OrdinalIgnoreCase));
        byte[] body;
        if (chunked)
        {
            using var collected = new MemoryStream();
            while (true)
            {
                var lineEnd = await FindAsync("\r\n"u8.ToArray());
                var size = int.Parse(Encoding.ASCII.GetString(_buffer, _start, lineEnd - _start), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                _start = lineEnd + 2;
                if (size == 0)
                {
                    await FindAsync("\r\n"u8.ToArray());
                    _start += 2;
                    break;
                }
                collected.Write(await TakeAsync(size));
                await TakeAsync(2);
            }
            body = collected.ToArray();
        }
        else
        {
            body = length is null ? [] : await TakeAsync(int.Parse(length, CultureInfo.InvariantCulture));
        }
        var request = new UpstreamRequest(Index, requestLine[0], requestLine[1], headers, body);
        owner.Record(request);
        return request;
    }

    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        await socket.SendAsync(bytes, SocketFlags.None, deadline.Token);
    }

    /// <summary>Waits until the gateway closes the connection (or the test ends); true when it did.</summary>
    public async Task<bool> WaitForCloseAsync()
    {
        try
        {
            return await FillAsync() == 0;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return e is SocketException;
        }
    }

    public void Close()
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // already closed
        }
        socket.Dispose();
    }

    private async Task<byte[]> TakeAsync(int count)
    {
        while (_end - _start < count)
        {
            if (await FillAsync() == 0)
            {
                throw new IOException("closed inside a body");
            }
        }
        var bytes = _buffer.AsSpan(_start, count).ToArray();
        _start += count;
        return bytes;
    }

    private async Task<int> FindAsync(byte[] marker)
    {
        while (true)
        {
            var i = _buffer.AsSpan(_start, _end - _start).IndexOf(marker);
            if (i >= 0)
            {
                return _start + i;
            }
            if (await FillAsync() == 0)
            {
                return -1;
            }
        }
    }

    private async Task<int> FillAsync()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            throw new IOException("request larger than the fake backend's buffer");
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        var n = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, deadline.Token);
        _end += n;
        return n;
    }
}
