namespace Aeros.Testing;

/// <summary>Every await in these tests has a deadline; a timeout names the phase that hung.</summary>
public static class TestDeadline
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);

    public static async Task<T> Within<T>(this Task<T> task, string phase, TimeSpan? deadline = null)
    {
        var limit = deadline ?? Default;
        try
        {
            return await task.WaitAsync(limit);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"Timed out after {limit.TotalSeconds} s while {phase}.", e);
        }
    }

    public static async Task Within(this Task task, string phase, TimeSpan? deadline = null)
    {
        var limit = deadline ?? Default;
        try
        {
            await task.WaitAsync(limit);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"Timed out after {limit.TotalSeconds} s while {phase}.", e);
        }
    }

    /// <summary>Polls a synchronous <paramref name="condition"/> every 20 ms until it holds or the deadline passes.</summary>
    public static async Task Until(Func<bool> condition, string phase, Func<string>? describe = null, TimeSpan? deadline = null)
    {
        var limit = deadline ?? Default;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds} s waiting until {phase}. {describe?.Invoke()}");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes; the message says what was awaited and the last state.</summary>
    public static async Task Until(Func<Task<bool>> condition, string phase, TimeSpan? deadline = null, Func<Task<string>>? describe = null)
    {
        var limit = deadline ?? Default;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                if (await condition().WaitAsync(attempt.Token))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (attempt.IsCancellationRequested && clock.Elapsed <= limit)
            {
                // One slow check (e.g. a child process starting on a loaded machine) is "not yet", not a failure: the
                // overall deadline still bounds the wait.
            }
            if (clock.Elapsed > limit)
            {
                var state = describe is null ? "" : "\n" + await describe().WaitAsync(TimeSpan.FromSeconds(10));
                throw new TimeoutException($"Timed out after {limit.TotalSeconds} s waiting until {phase}.{state}");
            }
            await Task.Delay(100);
        }
    }
}
