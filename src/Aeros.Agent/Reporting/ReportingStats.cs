using Aeros.Agent.Diagnose;

namespace Aeros.Agent.Reporting;

/// <summary>Why a report was sent; the label of the <c>aeros_report*</c> metrics.</summary>
public enum ReportKind
{
    /// <summary>A full upsert of the IE entity: at start and after every outage (re-registration).</summary>
    Registration,

    /// <summary>A merge of the changing attributes because one of them changed significantly.</summary>
    Change,

    /// <summary>A merge of the changing attributes because <see cref="ReportingOptions.MaxInterval"/> passed.</summary>
    Interval,

    /// <summary>A merge of the <c>heartbeat</c> attribute alone.</summary>
    Heartbeat,
}

/// <summary>
/// What the broker reporter sent and whether the broker answers: counters since the agent started (read by
/// <c>/metrics</c>, the health score's broker factor and the tests). Thread-safe.
/// </summary>
public sealed class ReportingStats
{
    private static readonly int KindCount = Enum.GetValues<ReportKind>().Length;
    private readonly long[] _reports = new long[KindCount];
    private readonly long[] _attributes = new long[KindCount];
    private readonly long[] _bytes = new long[KindCount];
    private long _failures;
    private long _outages;
    private long _attempts;
    private long _fullBytes;
    private int _reachability;

    /// <summary>Whether the broker answered the last request.</summary>
    public BrokerReachability Reachability
    {
        get => (BrokerReachability)Volatile.Read(ref _reachability);
        internal set => Volatile.Write(ref _reachability, (int)value);
    }

    /// <summary>Reports of <paramref name="kind"/> the broker accepted.</summary>
    public long Reports(ReportKind kind) => Interlocked.Read(ref _reports[(int)kind]);

    /// <summary>Attributes sent in accepted reports of <paramref name="kind"/>.</summary>
    public long Attributes(ReportKind kind) => Interlocked.Read(ref _attributes[(int)kind]);

    /// <summary>Request body bytes (UTF-8 JSON) of accepted reports of <paramref name="kind"/>.</summary>
    public long Bytes(ReportKind kind) => Interlocked.Read(ref _bytes[(int)kind]);

    /// <summary>Reports the broker did not accept (no answer, or an error answer).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Outages: times the broker went from reachable (or never reached) to unreachable.</summary>
    public long Outages => Interlocked.Read(ref _outages);

    /// <summary>Attempts to register the entity (the first, and every retry during an outage).</summary>
    public long RegistrationAttempts => Interlocked.Read(ref _attempts);

    /// <summary>Body bytes of the last full upsert: what one report of a fixed-period full-report scheme costs.</summary>
    public long FullReportBytes => Interlocked.Read(ref _fullBytes);

    internal void Sent(ReportKind kind, int attributes, int bytes)
    {
        Interlocked.Increment(ref _reports[(int)kind]);
        Interlocked.Add(ref _attributes[(int)kind], attributes);
        Interlocked.Add(ref _bytes[(int)kind], bytes);
        if (kind == ReportKind.Registration)
        {
            Interlocked.Exchange(ref _fullBytes, bytes);
        }
    }

    internal void Attempted() => Interlocked.Increment(ref _attempts);

    internal void Failed() => Interlocked.Increment(ref _failures);

    internal void OutageStarted() => Interlocked.Increment(ref _outages);
}
