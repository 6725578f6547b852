using Aeros.Benchmarks.BrokerLoad;
using BenchmarkDotNet.Attributes;

namespace Aeros.Benchmarks.Micro;

/// <summary>What generating request bodies costs the load driver (it runs on the same cores as the broker).</summary>
[MemoryDiagnoser]
public class EntityGeneratorBenchmarks
{
    private readonly EntityGenerator generator = new(42);
    private long index;

    [Benchmark]
    public byte[] Entity() => generator.Entity(index++);

    [Benchmark]
    public byte[] Batch500() => generator.Batch(index += 500, 500);
}
