namespace Aeros.Benchmarks.BrokerLoad;

/// <summary>Thread-safe count, sum, minimum and maximum of query result counts.</summary>
internal sealed class ResultCounter
{
    private long queries;
    private long total;
    private int min = int.MaxValue;
    private int max = int.MinValue;

    public void Add(int count)
    {
        Interlocked.Increment(ref queries);
        Interlocked.Add(ref total, count);
        int seen;
        while (count < (seen = Volatile.Read(ref min)) && Interlocked.CompareExchange(ref min, count, seen) != seen)
        {
        }
        while (count > (seen = Volatile.Read(ref max)) && Interlocked.CompareExchange(ref max, count, seen) != seen)
        {
        }
    }

    public override string ToString() => queries == 0
        ? "no results counted"
        : $"results per query: avg {(double)total / queries:0.#}, min {min}, max {max}";
}
