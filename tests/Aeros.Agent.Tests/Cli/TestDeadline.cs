namespace Aeros.Agent.Tests.Cli;

/// <summary>Every await in these tests has a deadline; a timeout names the phase that hung.</summary>
internal static class TestDeadline
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

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes; the message says what was awaited and the last state.</summary>
    public static async Task Until(Func<Task<bool>> condition, string phase, TimeSpan? deadline = null, Func<Task<string>>? describe = null)
    {
        var limit = deadline ?? Default;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            if (await condition().WaitAsync(attempt.Token))
            {
                return;
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
