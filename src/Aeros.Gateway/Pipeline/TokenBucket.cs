namespace Aeros.Gateway.Pipeline;

/// <summary>
/// A token bucket on <see cref="TimeProvider"/> timestamps: <c>rate</c> tokens per second up to <c>burst</c>.
/// Thread-safe; a take either succeeds or says how long until a token is there.
/// </summary>
internal sealed class TokenBucket(double rate, int burst, TimeProvider time)
{
    private readonly Lock _gate = new();
    private double _tokens = burst;
    private long _stamp = time.GetTimestamp();

    /// <summary>Takes one token; false with the wait until the next one otherwise.</summary>
    public bool TryTake(out TimeSpan retryAfter)
    {
        lock (_gate)
        {
            Refill();
            if (_tokens >= 1)
            {
                _tokens -= 1;
                retryAfter = TimeSpan.Zero;
                return true;
            }
            retryAfter = TimeSpan.FromSeconds((1 - _tokens) / rate);
            return false;
        }
    }

    /// <summary>Whether the bucket is full again (an idle client that can be forgotten).</summary>
    public bool IsFull
    {
        get
        {
            lock (_gate)
            {
                Refill();
                return _tokens >= burst;
            }
        }
    }

    private void Refill()
    {
        var now = time.GetTimestamp();
        var elapsed = time.GetElapsedTime(_stamp, now).TotalSeconds;
        _stamp = now;
        if (elapsed > 0)
        {
            _tokens = Math.Min(burst, _tokens + elapsed * rate);
        }
    }
}
