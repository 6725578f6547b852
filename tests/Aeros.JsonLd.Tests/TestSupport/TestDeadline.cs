namespace Aeros.JsonLd.Tests.TestSupport;

/// <summary>Every await in these tests has a deadline; a timeout names the phase that hung.</summary>
internal static class TestDeadline
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(15);

    public static async Task<T> Within<T>(this ValueTask<T> task, string phase)
    {
        try
        {
            return await task.AsTask().WaitAsync(Default);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"Timed out after {Default.TotalSeconds} s while {phase}.", e);
        }
    }

    public static async Task<T> Within<T>(this Task<T> task, string phase)
    {
        try
        {
            return await task.WaitAsync(Default);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"Timed out after {Default.TotalSeconds} s while {phase}.", e);
        }
    }

    /// <summary>Expects the operation to fail with a <see cref="JsonLdException"/> within the deadline.</summary>
    public static async Task<JsonLdException> ThrowsJsonLd<T>(Func<ValueTask<T>> operation, string phase)
    {
        return await Assert.ThrowsAsync<JsonLdException>(async () =>
        {
            try
            {
                await operation().AsTask().WaitAsync(Default);
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"Timed out after {Default.TotalSeconds} s while {phase}.", e);
            }
        });
    }

    /// <summary>Waits until <paramref name="condition"/> holds, polling, within the deadline.</summary>
    public static async Task Until(Func<bool> condition, string phase)
    {
        using var timeout = new CancellationTokenSource(Default);
        while (!condition())
        {
            try
            {
                await Task.Delay(10, timeout.Token);
            }
            catch (OperationCanceledException e)
            {
                throw new TimeoutException($"Timed out after {Default.TotalSeconds} s waiting until {phase}.", e);
            }
        }
    }
}
