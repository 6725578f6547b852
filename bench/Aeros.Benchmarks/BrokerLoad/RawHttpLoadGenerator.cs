using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace Aeros.Benchmarks.BrokerLoad;

/// <summary>
/// Closed-loop HTTP/1.1 load over raw sockets (<c>--client raw</c>, the default): one keep-alive connection per
/// worker, one request at a time on each, requests written from pooled buffers and responses parsed in place. It
/// costs the driver far less CPU per request than <see cref="HttpClient"/>, which matters when the driver shares the
/// cores with the server under test. Connections stay open from one run to the next, like HttpClient's pool.
/// </summary>
/// <remarks>
/// It speaks just enough HTTP for the phases: <c>Content-Length</c> or chunked bodies, keep-alive,
/// <c>Connection: close</c>. A connection the server closed, a malformed response or a request that misses its
/// deadline counts as an error and the connection is reopened for the next request.
/// </remarks>
internal sealed class RawHttpLoadGenerator : ILoadClient
{
    private readonly RawConnection[] connections;
    private readonly TimeSpan requestTimeout;

    /// <param name="baseAddress">The server: <c>http://IP:PORT/</c> (an IP address, not a host name).</param>
    /// <param name="concurrency">Connections, hence requests in flight.</param>
    /// <param name="requestTimeout">Per-request deadline, from writing the request to the end of the response.</param>
    /// <param name="extraHeaders">Headers sent with every request, e.g. an <c>Authorization</c> bearer token (gateway bench).</param>
    public RawHttpLoadGenerator(Uri baseAddress, int concurrency, TimeSpan requestTimeout, IReadOnlyDictionary<string, string>? extraHeaders = null)
    {
        if (baseAddress.Scheme != Uri.UriSchemeHttp || !IPAddress.TryParse(baseAddress.Host, out var address))
        {
            throw new ArgumentException($"The raw client needs http://IP:PORT, not {baseAddress}.", nameof(baseAddress));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        this.requestTimeout = requestTimeout;
        var endPoint = new IPEndPoint(address, baseAddress.Port);
        var extra = extraHeaders is null ? "" : string.Concat(extraHeaders.Select(h => $"{h.Key}: {h.Value}\r\n"));
        var head = Encoding.ASCII.GetBytes($" HTTP/1.1\r\nHost: {baseAddress.Authority}\r\nAccept: application/json\r\n{extra}");
        connections = new RawConnection[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            connections[i] = new RawConnection(endPoint, head);
        }
    }

    public async Task<LoadResult> RunAsync(HttpPhase phase, long maxOperations, TimeSpan duration, CancellationToken cancellationToken)
    {
        var recorder = new LoadRecorder(maxOperations, duration);
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        hardStop.CancelAfter(duration + LoadGenerator.Grace);
        var workers = new Task<long>[connections.Length];
        for (var w = 0; w < connections.Length; w++)
        {
            var connection = connections[w];
            workers[w] = Task.Run(() => WorkerAsync(connection, phase, recorder, hardStop.Token, cancellationToken), CancellationToken.None);
        }
        var ends = await Task.WhenAll(workers);
        cancellationToken.ThrowIfCancellationRequested();
        return recorder.ToResult(ends.Max());
    }

    private async Task<long> WorkerAsync(RawConnection connection, HttpPhase phase, LoadRecorder recorder,
        CancellationToken token, CancellationToken userToken)
    {
        var lastEnd = recorder.Start;
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        try
        {
            while (!token.IsCancellationRequested && recorder.TryNext(out var i))
            {
                if (!deadline.TryReset())
                {
                    deadline.Dispose(); // it fired: a fresh one
                    deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
                }
                deadline.CancelAfter(requestTimeout);
                var t0 = Stopwatch.GetTimestamp();
                Outcome outcome;
                try
                {
                    outcome = await connection.ExchangeAsync(phase, i, deadline.Token);
                }
                catch (OperationCanceledException) when (userToken.IsCancellationRequested)
                {
                    outcome = Outcome.Fail("cancelled");
                }
                catch (OperationCanceledException)
                {
                    // The request's deadline or the phase's hard stop after the grace period.
                    outcome = Outcome.Fail("timeout", string.Create(CultureInfo.InvariantCulture,
                        $"no complete response within {requestTimeout.TotalSeconds:0} s (raw client)"));
                }
                catch (SocketException e)
                {
                    outcome = Outcome.Fail($"{e.SocketErrorCode}", e.Message);
                }
                catch (RawHttpException e)
                {
                    outcome = Outcome.Fail(e.Key, e.Message);
                }
#pragma warning disable CA1031 // A load generator must count every failure, never crash on one.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    outcome = Outcome.Fail(e.GetType().Name, e.Message);
                }
                if (outcome.Error is not null && connection.MustReconnect)
                {
                    connection.Close(); // the next request reconnects
                }
                lastEnd = Stopwatch.GetTimestamp();
                recorder.Record(i, lastEnd - t0, outcome);
            }
        }
        finally
        {
            deadline.Dispose();
        }
        return lastEnd;
    }

    public void Dispose()
    {
        foreach (var connection in connections)
        {
            connection.Dispose();
        }
    }
}

/// <summary>A failed exchange: <see cref="Key"/> is what the error is counted by.</summary>
internal sealed class RawHttpException(string key, string message) : Exception(message)
{
    public string Key { get; } = key;
}

/// <summary>One keep-alive connection of <see cref="RawHttpLoadGenerator"/>, used by one worker at a time.</summary>
internal sealed class RawConnection(EndPoint endPoint, byte[] head) : IDisposable
{
    private const int SendBufferSize = 16 * 1024; // bodies that fit behind the head go out in one write
    private const int ReceiveBufferSize = 64 * 1024; // bodies up to this size reach the check whole even if unwanted
    private const int MaxHeadBytes = 64 * 1024;
    private const int MaxLineBytes = 8 * 1024;
    private const int MaxBodyBytes = 256 * 1024 * 1024;
    private const int ExcerptBytes = 1024;

    private readonly ArrayBufferWriter<byte> path = new(256);
    private byte[] send = ArrayPool<byte>.Shared.Rent(SendBufferSize);
    private byte[] receive = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
    private int start; // receive[start..end) holds bytes read but not parsed yet
    private int end;
    private byte[]? excerpt; // the start of a large body nobody asked for
    private ArrayBufferWriter<byte>? chunked; // the body of a chunked response
    private Socket? socket;
    private bool exchanging; // an exchange is under way: if it fails, the connection's state is unknown

    /// <summary>Whether the last exchange left the connection in an unknown state (it failed half-way).</summary>
    public bool MustReconnect => exchanging;

    /// <summary>Sends the request of operation <paramref name="index"/> and reads and judges the response.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Outcome> ExchangeAsync(HttpPhase phase, long index, CancellationToken cancellationToken)
    {
        path.ResetWrittenCount();
        var body = phase.Request(index, path);
        exchanging = true;
        if (socket is null)
        {
            var s = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await s.ConnectAsync(endPoint, cancellationToken);
            }
            catch
            {
                s.Dispose();
                throw;
            }
            socket = s;
            start = end = 0;
        }
        var headLength = WriteHead(phase.Verb, body.Length);
        if (headLength + body.Length <= send.Length)
        {
            body.Span.CopyTo(send.AsSpan(headLength));
            await SendAllAsync(send.AsMemory(0, headLength + body.Length), cancellationToken);
        }
        else
        {
            await SendAllAsync(send.AsMemory(0, headLength), cancellationToken);
            await SendAllAsync(body, cancellationToken);
        }
        var outcome = await ReceiveAsync(phase, index, cancellationToken);
        exchanging = false;
        return outcome;
    }

    /// <summary>Closes the socket; the next exchange opens a new one.</summary>
    public void Close()
    {
        socket?.Dispose();
        socket = null;
        start = end = 0;
        exchanging = false;
    }

    public void Dispose()
    {
        Close();
        ArrayPool<byte>.Shared.Return(send);
        ArrayPool<byte>.Shared.Return(receive);
        send = receive = [];
    }

    private int WriteHead(HttpVerb verb, int bodyLength)
    {
        var needed = 5 + path.WrittenCount + head.Length + 64;
        if (needed > send.Length)
        {
            ArrayPool<byte>.Shared.Return(send);
            send = ArrayPool<byte>.Shared.Rent(Math.Max(needed, SendBufferSize));
        }
        var span = send.AsSpan();
        var n = Append(span, 0, verb == HttpVerb.Post ? "POST "u8 : "GET "u8);
        n = Append(span, n, path.WrittenSpan);
        n = Append(span, n, head);
        if (verb == HttpVerb.Post || bodyLength > 0)
        {
            n = Append(span, n, "Content-Type: application/json\r\nContent-Length: "u8);
            Utf8Formatter.TryFormat(bodyLength, span[n..], out var written);
            n = Append(span, n + written, "\r\n"u8);
        }
        return Append(span, n, "\r\n"u8);
    }

    private static int Append(Span<byte> destination, int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(destination[at..]);
        return at + bytes.Length;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            data = data[await socket!.SendAsync(data, SocketFlags.None, cancellationToken)..];
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> ReceiveAsync(HttpPhase phase, long index, CancellationToken cancellationToken)
    {
        if (start != end)
        {
            throw new RawHttpException("protocol error", "bytes after the end of the previous response");
        }
        start = end = 0;

        // Status line and headers.
        int headEnd;
        var eof = "connection closed by server";
        while ((headEnd = receive.AsSpan(start, end - start).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (end - start >= MaxHeadBytes)
            {
                throw new RawHttpException("protocol error", "response head larger than 64 KiB");
            }
            await FillAsync(eof, cancellationToken);
            eof = "response ended early";
        }
        var (status, contentLength, isChunked, close) = ParseHead(receive.AsSpan(start, headEnd));
        start += headEnd + 4;

        Outcome outcome;
        if (status is (>= 100 and < 200) or 204 or 304)
        {
            outcome = phase.Check(index, status, []);
        }
        else if (isChunked)
        {
            await ReadChunkedAsync(cancellationToken);
            outcome = phase.Check(index, status, chunked!.WrittenSpan);
        }
        else if (contentLength < 0)
        {
            throw new RawHttpException("no Content-Length", $"HTTP {status} without Content-Length or chunked encoding (unsupported)");
        }
        else if (contentLength > MaxBodyBytes)
        {
            throw new RawHttpException("protocol error", $"body of {contentLength} bytes (limit {MaxBodyBytes})");
        }
        else if (phase.WantsBody || contentLength <= receive.Length)
        {
            // The whole body, contiguous in the receive buffer.
            var length = (int)contentLength;
            if (start + length > receive.Length)
            {
                Reserve(length);
            }
            while (end - start < length)
            {
                await FillAsync("response ended early", cancellationToken);
            }
            outcome = phase.Check(index, status, receive.AsSpan(start, length));
            start += length;
        }
        else
        {
            // A large body nobody asked for: keep its start for an error excerpt, skip the rest.
            excerpt ??= new byte[ExcerptBytes];
            var kept = 0;
            for (var remaining = contentLength; remaining > 0;)
            {
                if (start == end)
                {
                    start = end = 0;
                    await FillAsync("response ended early", cancellationToken);
                }
                var take = (int)Math.Min(remaining, end - start);
                var copy = Math.Min(take, excerpt.Length - kept);
                receive.AsSpan(start, copy).CopyTo(excerpt.AsSpan(kept));
                kept += copy;
                start += take;
                remaining -= take;
            }
            outcome = phase.Check(index, status, excerpt.AsSpan(0, kept));
        }
        if (close)
        {
            Close(); // the server said so: not an error
        }
        return outcome;
    }

    /// <summary>Reads a chunked body into <see cref="chunked"/>, trailers skipped.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReadChunkedAsync(CancellationToken cancellationToken)
    {
        chunked ??= new ArrayBufferWriter<byte>(ReceiveBufferSize);
        chunked.ResetWrittenCount();
        while (true)
        {
            var lineLength = await ReadLineAsync(cancellationToken);
            var size = ParseChunkSize(receive.AsSpan(start, lineLength));
            start += lineLength + 2;
            if (size == 0)
            {
                while ((lineLength = await ReadLineAsync(cancellationToken)) > 0)
                {
                    start += lineLength + 2; // a trailer
                }
                start += 2;
                return;
            }
            if (chunked.WrittenCount + size > MaxBodyBytes)
            {
                throw new RawHttpException("protocol error", $"chunked body larger than {MaxBodyBytes} bytes");
            }
            for (var remaining = size; remaining > 0;)
            {
                if (start == end)
                {
                    start = end = 0;
                    await FillAsync("response ended early", cancellationToken);
                }
                var take = (int)Math.Min(remaining, end - start);
                chunked.Write(receive.AsSpan(start, take));
                start += take;
                remaining -= take;
            }
            if (await ReadLineAsync(cancellationToken) != 0)
            {
                throw new RawHttpException("protocol error", "no CRLF after a chunk");
            }
            start += 2;
        }
    }

    private static long ParseChunkSize(ReadOnlySpan<byte> line)
    {
        var semicolon = line.IndexOf((byte)';');
        var digits = (semicolon >= 0 ? line[..semicolon] : line).Trim(" \t"u8);
        return Utf8Parser.TryParse(digits, out long size, out var consumed, 'x') && consumed == digits.Length && size >= 0
            ? size
            : throw new RawHttpException("protocol error", $"bad chunk size line '{Encoding.ASCII.GetString(line)}'");
    }

    /// <summary>Waits until a CRLF-terminated line starts at <see cref="start"/>; returns its length without the CRLF.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadLineAsync(CancellationToken cancellationToken)
    {
        int length;
        while ((length = receive.AsSpan(start, end - start).IndexOf("\r\n"u8)) < 0)
        {
            if (end - start >= MaxLineBytes)
            {
                throw new RawHttpException("protocol error", "chunk line longer than 8 KiB");
            }
            await FillAsync("response ended early", cancellationToken);
        }
        return length;
    }

    /// <summary>Receives more bytes after <see cref="end"/>, making room first; end of stream → error <paramref name="eofKey"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FillAsync(string eofKey, CancellationToken cancellationToken)
    {
        if (end == receive.Length)
        {
            Reserve(start > 0 ? receive.Length : receive.Length * 2); // compacts if there is a gap, grows otherwise
        }
        var n = await socket!.ReceiveAsync(receive.AsMemory(end), SocketFlags.None, cancellationToken);
        if (n == 0)
        {
            throw new RawHttpException(eofKey, eofKey == "connection closed by server"
                ? "the server closed the connection before answering"
                : "the server closed the connection in the middle of a response");
        }
        end += n;
    }

    /// <summary>Makes room for <paramref name="bytes"/> bytes from <see cref="start"/> on: compacts, or grows the buffer.</summary>
    private void Reserve(int bytes)
    {
        var pending = end - start;
        bytes = Math.Max(bytes, pending);
        if (bytes <= receive.Length)
        {
            receive.AsSpan(start, pending).CopyTo(receive);
        }
        else
        {
            var larger = ArrayPool<byte>.Shared.Rent(bytes);
            receive.AsSpan(start, pending).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(receive);
            receive = larger;
        }
        start = 0;
        end = pending;
    }

    /// <summary>Status, Content-Length (-1 when absent), chunked, Connection: close.</summary>
    private static (int Status, long ContentLength, bool Chunked, bool Close) ParseHead(ReadOnlySpan<byte> head)
    {
        if (head.Length < 12 || !head.StartsWith("HTTP/1."u8) || head[8] != (byte)' '
            || !Utf8Parser.TryParse(head.Slice(9, 3), out int status, out var consumed) || consumed != 3)
        {
            throw new RawHttpException("protocol error", $"bad status line '{Encoding.ASCII.GetString(head[..Math.Min(head.Length, 80)])}'");
        }
        long contentLength = -1;
        bool isChunked = false, close = false;
        var lineEnd = head.IndexOf("\r\n"u8);
        var rest = lineEnd < 0 ? [] : head[(lineEnd + 2)..];
        while (!rest.IsEmpty)
        {
            lineEnd = rest.IndexOf("\r\n"u8);
            var line = lineEnd < 0 ? rest : rest[..lineEnd];
            rest = lineEnd < 0 ? [] : rest[(lineEnd + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                throw new RawHttpException("protocol error", $"bad header line '{Encoding.ASCII.GetString(line)}'");
            }
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out contentLength, out consumed) || consumed != value.Length || contentLength < 0)
                {
                    throw new RawHttpException("protocol error", $"bad Content-Length '{Encoding.ASCII.GetString(value)}'");
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                // Only plain chunked is supported (no compression is asked for).
                isChunked = Ascii.EqualsIgnoreCase(value, "chunked"u8)
                    ? true
                    : throw new RawHttpException("unsupported Transfer-Encoding", Encoding.ASCII.GetString(value));
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                close |= Ascii.EqualsIgnoreCase(value, "close"u8);
            }
        }
        return (status, contentLength, isChunked, close);
    }
}
