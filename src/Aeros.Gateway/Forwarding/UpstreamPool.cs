namespace Aeros.Gateway.Forwarding;

/// <summary>
/// The idle keep-alive connections to one destination, last in first out (the warmest first; the coldest age out).
/// A connection idle longer than <see cref="UpstreamOptions.IdleConnectionTimeout"/>, or that polls readable while
/// idle (closed, reset, or stray bytes from the backend), is closed instead of reused.
/// </summary>
internal sealed class UpstreamPool(UpstreamEndpoint endpoint, UpstreamOptions options, TimeProvider time) : IDisposable
{
    private readonly Stack<UpstreamConnection> _idle = new();
    private readonly Lock _lock = new();
    private bool _disposed;

    public UpstreamEndpoint Endpoint { get; } = endpoint;

    /// <summary>Connections opened so far (for tests and diagnostics).</summary>
    public int Opened => Volatile.Read(ref _opened);

    private int _opened;

    public int IdleCount
    {
        get
        {
            lock (_lock)
            {
                return _idle.Count;
            }
        }
    }

    /// <summary>A pooled connection that is still fit, or null.</summary>
    public UpstreamConnection? TryRent()
    {
        while (true)
        {
            UpstreamConnection? connection;
            lock (_lock)
            {
                if (!_idle.TryPop(out connection))
                {
                    return null;
                }
            }
            if (time.GetElapsedTime(connection.IdleSince) < options.IdleConnectionTimeout && connection.IsReusable())
            {
                return connection;
            }
            connection.Dispose();
        }
    }

    public async ValueTask<UpstreamConnection> ConnectAsync(CancellationToken aborted)
    {
        var connection = await UpstreamConnection.ConnectAsync(Endpoint, options.ConnectTimeout, time, aborted);
        Interlocked.Increment(ref _opened);
        return connection;
    }

    /// <summary>Takes a connection back after a complete exchange (it is closed when the pool is full or disposed).</summary>
    public void Return(UpstreamConnection connection)
    {
        connection.IdleSince = time.GetTimestamp();
        lock (_lock)
        {
            if (!_disposed && _idle.Count < options.MaxIdleConnectionsPerDestination)
            {
                _idle.Push(connection);
                return;
            }
        }
        connection.Dispose();
    }

    /// <summary>Closes the connections idle for longer than the timeout (called periodically).</summary>
    public void Sweep()
    {
        List<UpstreamConnection>? expired = null;
        lock (_lock)
        {
            if (_idle.Count == 0)
            {
                return;
            }
            var keep = new List<UpstreamConnection>(_idle.Count);
            // The stack enumerates newest first; keep the fresh ones in the same order.
            foreach (var c in _idle)
            {
                if (time.GetElapsedTime(c.IdleSince) < options.IdleConnectionTimeout)
                {
                    keep.Add(c);
                }
                else
                {
                    (expired ??= []).Add(c);
                }
            }
            if (expired is null)
            {
                return;
            }
            _idle.Clear();
            for (var i = keep.Count - 1; i >= 0; i--)
            {
                _idle.Push(keep[i]);
            }
        }
        foreach (var c in expired)
        {
            c.Dispose();
        }
    }

    public void Dispose()
    {
        UpstreamConnection[] idle;
        lock (_lock)
        {
            _disposed = true;
            idle = [.. _idle];
            _idle.Clear();
        }
        foreach (var c in idle)
        {
            c.Dispose();
        }
    }
}
