using System.Diagnostics.Metrics;

namespace Aeros.Orchestration.Llo;

/// <summary>
/// The LLO's instruments (meter <c>Aeros.Llo</c>): <c>aeros.llo.reconciles</c> (counter, tag <c>result</c>: done,
/// requeue, retry, failed), <c>aeros.llo.reconcile_failures</c> (errors that were retried), <c>aeros.llo.queue_depth</c>
/// (observable gauge), <c>aeros.llo.elements_lost</c> (counter) and <c>aeros.llo.elements_unreachable</c> (observable gauge).
/// </summary>
internal sealed class LloMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Aeros.Llo";

    private readonly Counter<long> _reconciles;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _lost;
    private int _unreachable;
    private Func<int> _depth = () => 0;

    public LloMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _reconciles = meter.CreateCounter<long>("aeros.llo.reconciles", description: "Component reconciles by result.");
        _failures = meter.CreateCounter<long>("aeros.llo.reconcile_failures", description: "Reconciles that failed and were retried.");
        _lost = meter.CreateCounter<long>("aeros.llo.elements_lost", description: "Elements marked unreachable.");
        meter.CreateObservableGauge("aeros.llo.queue_depth", () => _depth(), description: "Components waiting to be reconciled.");
        meter.CreateObservableGauge("aeros.llo.elements_unreachable", () => Volatile.Read(ref _unreachable), description: "Elements of the domain marked unreachable now.");
    }

    /// <summary>Reconciles done so far (for the status endpoint).</summary>
    public long ReconcileCount => Interlocked.Read(ref _reconcileCount);

    /// <summary>Elements lost so far (for the status endpoint).</summary>
    public long LostCount => Interlocked.Read(ref _lostCount);

    private long _reconcileCount;
    private long _lostCount;

    public void Reconciled(string result)
    {
        Interlocked.Increment(ref _reconcileCount);
        _reconciles.Add(1, new KeyValuePair<string, object?>("result", result));
    }

    public void Failed() => _failures.Add(1);

    public void ElementLost()
    {
        Interlocked.Increment(ref _lostCount);
        _lost.Add(1);
    }

    public void Unreachable(int count) => Volatile.Write(ref _unreachable, count);

    public void ObserveDepth(Func<int> depth) => _depth = depth;
}
