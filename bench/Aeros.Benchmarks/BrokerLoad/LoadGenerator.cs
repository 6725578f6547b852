using System.Collections.Concurrent;
using System.Diagnostics;

namespace Aeros.Benchmarks.BrokerLoad;

/// <summary>How one operation ended, as judged by the phase that issued it.</summary>
/// <param name="Error">Null on success; otherwise a short key the errors are counted by (e.g. <c>HTTP 404</c>).</param>
/// <param name="Units">Units of work done on success (1 per request, or entities per batch).</param>
/// <param name="Detail">On failure, a sample of what went wrong (e.g. the start of the response body).</param>
internal readonly record struct Outcome(string? Error, int Units, string? Detail = null)
{
    public static Outcome Ok(int units = 1) => new(null, units);

    public static Outcome Fail(string error, string? detail = null) => new(error, 0, detail);
}

/// <summary>One operation of a phase; <paramref name="index"/> counts from 0 within the run.</summary>
internal delegate Task<Outcome> Operation(long index, CancellationToken cancellationToken);

/// <summary>
/// Closed-loop load: <c>concurrency</c> workers each issue one operation at a time until the operation count or the
/// deadline is reached. Latencies go to a preallocated array (Stopwatch ticks); errors are counted by key.
/// </summary>
internal sealed class LoadGenerator(int concurrency)
{
    /// <summary>How long operations still in flight at the deadline may take before they are cancelled.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    public async Task<LoadResult> RunAsync(Operation operation, long maxOperations, TimeSpan duration, CancellationToken cancellationToken)
    {
        var recorder = new LoadRecorder(maxOperations, duration);
        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        hardStop.CancelAfter(duration + Grace);
        var token = hardStop.Token;

        async Task<long> WorkerAsync()
        {
            var lastEnd = recorder.Start;
            while (!token.IsCancellationRequested && recorder.TryNext(out var i))
            {
                var t0 = Stopwatch.GetTimestamp();
                Outcome outcome;
                try
                {
                    outcome = await operation(i, token);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    outcome = Outcome.Fail("cancelled");
                }
                catch (OperationCanceledException e)
                {
                    // Either HttpClient.Timeout or the phase's hard stop after the grace period.
                    outcome = Outcome.Fail("timeout", e.Message);
                }
                catch (HttpRequestException e)
                {
                    outcome = Outcome.Fail($"{e.HttpRequestError}", e.Message);
                }
#pragma warning disable CA1031 // A load generator must count every failure, never crash on one.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    outcome = Outcome.Fail(e.GetType().Name, e.Message);
                }
                lastEnd = Stopwatch.GetTimestamp();
                recorder.Record(i, lastEnd - t0, outcome);
            }
            return lastEnd;
        }

        var workers = new Task<long>[concurrency];
        for (var w = 0; w < concurrency; w++)
        {
            workers[w] = Task.Run(WorkerAsync, CancellationToken.None);
        }
        var ends = await Task.WhenAll(workers);
        cancellationToken.ThrowIfCancellationRequested();
        return recorder.ToResult(ends.Max());
    }
}

/// <summary>
/// The bookkeeping shared by the load generators: hands out operation indices until the count bound or the
/// deadline, keeps one latency per operation in a preallocated array (Stopwatch ticks, negative for failures) and
/// counts errors by key.
/// </summary>
internal sealed class LoadRecorder
{
    private readonly long[] latencies;
    private readonly ConcurrentDictionary<string, ErrorCount> errors = new();
    private readonly long maxOperations;
    private readonly long deadline;
    private long next = -1;
    private long units;

    /// <summary>Starts the clock: operations may start until <paramref name="duration"/> has passed.</summary>
    public LoadRecorder(long maxOperations, TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxOperations);
        this.maxOperations = maxOperations;
        latencies = new long[maxOperations];
        Start = Stopwatch.GetTimestamp();
        deadline = Start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>When the run started (Stopwatch timestamp).</summary>
    public long Start { get; }

    /// <summary>The index of the next operation; false once the deadline has passed or the count bound is reached.</summary>
    public bool TryNext(out long index)
    {
        index = -1;
        if (Stopwatch.GetTimestamp() >= deadline)
        {
            return false;
        }
        index = Interlocked.Increment(ref next);
        return index < maxOperations;
    }

    /// <summary>Records how operation <paramref name="index"/> ended and how long it took (Stopwatch ticks).</summary>
    public void Record(long index, long elapsed, Outcome outcome)
    {
        if (outcome.Error is null)
        {
            latencies[index] = elapsed;
            Interlocked.Add(ref units, outcome.Units);
        }
        else
        {
            latencies[index] = -elapsed - 1; // negative marks a failed operation
            errors.AddOrUpdate(outcome.Error,
                static (_, o) => new ErrorCount(1, o.Detail),
                static (_, c, _) => c with { Count = c.Count + 1 },
                outcome);
        }
    }

    /// <summary>The measurements, from the start to <paramref name="end"/> (the end of the last operation).</summary>
    public LoadResult ToResult(long end)
    {
        var operations = Math.Min(Volatile.Read(ref next) + 1, maxOperations);
        var succeeded = latencies.AsSpan(0, (int)operations);
        var ok = new long[CountNonNegative(succeeded)];
        var k = 0;
        foreach (var t in succeeded)
        {
            if (t >= 0)
            {
                ok[k++] = t;
            }
        }
        Array.Sort(ok);
        return new LoadResult(
            operations,
            maxOperations,
            Volatile.Read(ref units),
            Stopwatch.GetElapsedTime(Start, end),
            ok,
            errors.ToDictionary(e => e.Key, e => e.Value));
    }

    private static int CountNonNegative(ReadOnlySpan<long> values)
    {
        var n = 0;
        foreach (var v in values)
        {
            if (v >= 0)
            {
                n++;
            }
        }
        return n;
    }
}

/// <summary>How often one kind of error happened, with a sample of the first one.</summary>
internal readonly record struct ErrorCount(long Count, string? Sample);

/// <summary>The measurements of one run of the load generator.</summary>
/// <param name="Operations">Operations issued (successful or not).</param>
/// <param name="MaxOperations">The count bound: when reached, the run ended before its deadline.</param>
/// <param name="Units">Units of work of the successful operations.</param>
/// <param name="Elapsed">From the start to the end of the last operation.</param>
/// <param name="SuccessLatencies">Sorted latencies of the successful operations, in Stopwatch ticks.</param>
/// <param name="Errors">Failed operations by error key.</param>
internal sealed record LoadResult(
    long Operations,
    long MaxOperations,
    long Units,
    TimeSpan Elapsed,
    long[] SuccessLatencies,
    IReadOnlyDictionary<string, ErrorCount> Errors)
{
    public long Succeeded => SuccessLatencies.LongLength;

    public bool ReachedCount => Operations >= MaxOperations;

    public long ErrorCount => Operations - Succeeded;

    /// <summary>Successful units per second.</summary>
    public double Throughput => Elapsed > TimeSpan.Zero ? Units / Elapsed.TotalSeconds : 0;

    /// <summary>Nearest-rank percentile of successful latencies in milliseconds; NaN when nothing succeeded.</summary>
    public double PercentileMs(double percentile)
    {
        if (SuccessLatencies.Length == 0)
        {
            return double.NaN;
        }
        var rank = (int)Math.Ceiling(percentile / 100.0 * SuccessLatencies.Length) - 1;
        var ticks = SuccessLatencies[Math.Clamp(rank, 0, SuccessLatencies.Length - 1)];
        return ticks * 1000.0 / Stopwatch.Frequency;
    }
}
