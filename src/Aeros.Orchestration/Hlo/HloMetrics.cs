using System.Diagnostics.Metrics;

namespace Aeros.Orchestration.Hlo;

/// <summary>
/// The HLO's instruments (meter <c>Aeros.Hlo</c>): <c>aeros.hlo.placements</c> (components placed, tag <c>kind</c>:
/// deploy, failover, realloc), <c>aeros.hlo.placement_failures</c> (components nothing fits), <c>aeros.hlo.handoffs</c>
/// (services handed to another domain, tag <c>result</c>: ok, failed) and <c>aeros.hlo.decision_latency</c>
/// (histogram, ms from reading the broker to the decision written).
/// </summary>
internal sealed class HloMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Aeros.Hlo";

    private readonly Counter<long> _placements;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _handoffs;
    private readonly Histogram<double> _latency;
    private long _placedCount;
    private long _failedCount;
    private long _handoffCount;

    public HloMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _placements = meter.CreateCounter<long>("aeros.hlo.placements", description: "Components placed, by kind.");
        _failures = meter.CreateCounter<long>("aeros.hlo.placement_failures", description: "Components no element fits.");
        _handoffs = meter.CreateCounter<long>("aeros.hlo.handoffs", description: "Services handed to another domain, by result.");
        _latency = meter.CreateHistogram<double>("aeros.hlo.decision_latency", unit: "ms", description: "From reading the broker to the decision written.");
    }

    /// <summary>Components placed so far.</summary>
    public long PlacedCount => Interlocked.Read(ref _placedCount);

    /// <summary>Components that could not be placed so far.</summary>
    public long FailedCount => Interlocked.Read(ref _failedCount);

    /// <summary>Hand-offs that succeeded so far.</summary>
    public long HandoffCount => Interlocked.Read(ref _handoffCount);

    public void Placed(string kind, int count)
    {
        Interlocked.Add(ref _placedCount, count);
        _placements.Add(count, new KeyValuePair<string, object?>("kind", kind));
    }

    public void Unplaced(int count)
    {
        Interlocked.Add(ref _failedCount, count);
        _failures.Add(count);
    }

    public void HandedOff(bool ok)
    {
        if (ok)
        {
            Interlocked.Increment(ref _handoffCount);
        }
        _handoffs.Add(1, new KeyValuePair<string, object?>("result", ok ? "ok" : "failed"));
    }

    public void DecisionLatency(TimeSpan elapsed) => _latency.Record(elapsed.TotalMilliseconds);
}
