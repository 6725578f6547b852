using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.Awareness;

/// <summary>
/// Samples the node every <see cref="AgentConfig.SamplingPeriod"/> (read again before every wait, so a new period
/// applies at once) into the latest snapshot and the history ring.
/// </summary>
internal sealed partial class NodeSampler : BackgroundService, INodeAwareness
{
    /// <summary>Delay of the first sample after the collector's first reading.</summary>
    internal static readonly TimeSpan FirstSampleDelay = TimeSpan.FromMilliseconds(250);

    private readonly AgentConfigStore _config;
    private readonly TimeProvider _time;
    private readonly ILogger<NodeSampler> _logger;
    private readonly SnapshotHistory _history;
    private readonly Lazy<NodeCollector> _collector;
    private NodeSnapshot? _latest;
    private TaskCompletionSource<NodeSnapshot> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource _wake = new();

    public NodeSampler(IOptions<AgentOptions> options, AgentConfigStore config, TimeProvider time, ILogger<NodeSampler> logger)
        : this(options, config, time, logger, HostFiles.Real)
    {
    }

    internal NodeSampler(IOptions<AgentOptions> options, AgentConfigStore config, TimeProvider time, ILogger<NodeSampler> logger, HostFiles files)
    {
        var o = options.Value;
        _config = config;
        _time = time;
        _logger = logger;
        _history = new SnapshotHistory(o.HistoryCapacity);
        _collector = new Lazy<NodeCollector>(() => new NodeCollector(files, o.StateDirectory, o.IdleWatts, o.MaxWatts, o.PowerAverageWindow, time.GetUtcNow()));
        _config.Changed += _ => Interlocked.Exchange(ref _wake, new CancellationTokenSource()).Cancel();
    }

    public NodeSnapshot? Latest => Volatile.Read(ref _latest);

    /// <summary>The collector (static facts such as the architecture are read when it is first used).</summary>
    internal NodeCollector Collector => _collector.Value;

    public IReadOnlyList<NodeSnapshot> History(TimeSpan window) => _history.Since(_time.GetUtcNow() - window);

    public Task<NodeSnapshot> NextSampleAsync(CancellationToken cancellationToken) => Volatile.Read(ref _next).Task.WaitAsync(cancellationToken);

    /// <summary>Takes one sample now (the loop calls it; tests call it directly).</summary>
    internal NodeSnapshot SampleOnce()
    {
        var snapshot = Collector.Sample(_time.GetUtcNow(), _config.Current);
        _history.Add(snapshot);
        Volatile.Write(ref _latest, snapshot);
        Interlocked.Exchange(ref _next, new TaskCompletionSource<NodeSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(snapshot);
        return snapshot;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(_logger, Collector.CpuArchitecture, Collector.CpuCores, Collector.PowerSource, _config.Current.SamplingPeriod.TotalMilliseconds);
        // The collector's first reading was just taken: wait a little so the first CPU and network rates span a real interval.
        try
        {
            await Task.Delay(TimeSpan.FromTicks(Math.Min(FirstSampleDelay.Ticks, _config.Current.SamplingPeriod.Ticks)), _time, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                SampleOnce();
                failures = 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
            {
                // One bad read (e.g. a file vanishing under us) must not stop self-awareness; log the first of a series only.
                if (failures++ == 0)
                {
                    LogSampleFailed(_logger, e.Message);
                }
            }
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, Volatile.Read(ref _wake).Token);
            try
            {
                await Task.Delay(_config.Current.SamplingPeriod, _time, linked.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // The configuration changed: sample now and continue with the new period.
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
