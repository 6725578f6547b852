namespace Aeros.Orchestration.Llo;

/// <summary>
/// A keyed work queue in the manner of controller-runtime's: items are keys only; a key waiting is not queued twice;
/// a key being processed is not handed out again until <see cref="Done"/>, and if it was added meanwhile it is queued
/// again then (so a change seen during a reconcile is never lost). Failed keys come back after a per-key exponential
/// backoff (<see cref="AddRateLimited"/>) that <see cref="Forget"/> resets; <see cref="AddAfter"/> requeues after a delay.
/// </summary>
internal sealed class WorkQueue : IDisposable
{
    private readonly object _gate = new();
    private readonly Queue<string> _queue = new();
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> _processing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Failures, DateTimeOffset Since)> _failures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _delayed = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _available = new(0);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _baseDelay;
    private readonly TimeSpan _maxDelay;

    public WorkQueue(TimeProvider time, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        _time = time;
        _baseDelay = baseDelay;
        _maxDelay = maxDelay;
    }

    /// <summary>Keys waiting (not counting those being processed or delayed).</summary>
    public int Depth
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Queues <paramref name="key"/> unless it is already waiting.</summary>
    public void Add(string key)
    {
        lock (_gate)
        {
            if (!_dirty.Add(key))
            {
                return;
            }
            if (_processing.Contains(key))
            {
                // Queued again by Done, so the key is never processed twice at once.
                return;
            }
            _queue.Enqueue(key);
        }
        _available.Release();
    }

    /// <summary>Queues <paramref name="key"/> after <paramref name="delay"/> (an earlier pending delay of the key wins).</summary>
    public void AddAfter(string key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }
        var due = _time.GetUtcNow() + delay;
        lock (_gate)
        {
            if (_delayed.TryGetValue(key, out var existing) && existing <= due)
            {
                return;
            }
            _delayed[key] = due;
        }
        _ = DelayThenAddAsync(key, due, delay);
    }

    /// <summary>Queues a failed key after its backoff: base × 2^(failures − 1), capped; returns the delay.</summary>
    public TimeSpan AddRateLimited(string key)
    {
        TimeSpan delay;
        lock (_gate)
        {
            var (failures, since) = _failures.TryGetValue(key, out var f) ? f : (0, _time.GetUtcNow());
            failures++;
            _failures[key] = (failures, since);
            var exponent = Math.Min(failures - 1, 30);
            delay = TimeSpan.FromTicks((long)Math.Min(_baseDelay.Ticks * Math.Pow(2, exponent), _maxDelay.Ticks));
        }
        AddAfter(key, delay);
        return delay;
    }

    /// <summary>How long <paramref name="key"/> has been failing (since its first failure in a row), or null.</summary>
    public TimeSpan? FailingFor(string key)
    {
        lock (_gate)
        {
            return _failures.TryGetValue(key, out var f) ? _time.GetUtcNow() - f.Since : null;
        }
    }

    /// <summary>Clears the failure count of <paramref name="key"/> (it succeeded).</summary>
    public void Forget(string key)
    {
        lock (_gate)
        {
            _failures.Remove(key);
        }
    }

    /// <summary>The next key; the caller must call <see cref="Done"/> with it.</summary>
    public async Task<string> TakeAsync(CancellationToken cancellationToken)
    {
        // Bounded: every pass either returns a key or consumes one release that had no key left behind it.
        while (true)
        {
            await _available.WaitAsync(cancellationToken);
            lock (_gate)
            {
                if (_queue.TryDequeue(out var key))
                {
                    _dirty.Remove(key);
                    _processing.Add(key);
                    return key;
                }
            }
        }
    }

    /// <summary>Ends processing of <paramref name="key"/>; a key added meanwhile is queued now.</summary>
    public void Done(string key)
    {
        lock (_gate)
        {
            _processing.Remove(key);
            if (!_dirty.Contains(key))
            {
                return;
            }
            _queue.Enqueue(key);
        }
        _available.Release();
    }

    public void Dispose()
    {
        _shutdown.Cancel();
        _shutdown.Dispose();
        _available.Dispose();
    }

    private async Task DelayThenAddAsync(string key, DateTimeOffset due, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _time, _shutdown.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        lock (_gate)
        {
            // A later AddAfter with an earlier due time replaced this one; that one adds the key.
            if (!_delayed.TryGetValue(key, out var current) || current != due)
            {
                return;
            }
            _delayed.Remove(key);
        }
        try
        {
            Add(key);
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
