using System.Text;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;
using Aeros.Agent.Awareness;
using Aeros.Agent.Diagnose;
using Aeros.Agent.Runtime;
using Aeros.Continuum;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.Reporting;

/// <summary>
/// Keeps the node's <c>InfrastructureElement</c> current in the domain broker. It registers the entity (full upsert)
/// as soon as the first sample exists, then follows every sample: a merge of the changing attributes when one changed
/// significantly (<see cref="IeEntity.Reported.SignificantChange"/>) or <see cref="ReportingOptions.MaxInterval"/>
/// passed, and a merge of <c>heartbeat</c> alone when nothing was sent for <see cref="ReportingOptions.HeartbeatPeriod"/>.
/// When the broker does not answer it logs the outage once, probes with exponential backoff and registers the entity
/// again when the broker is back; nothing else in the agent waits for it.
/// </summary>
internal sealed partial class BrokerReporter : BackgroundService
{
    /// <summary>How long the first registration waits for the runtime detection (podman info) before going without it.</summary>
    internal static readonly TimeSpan DetectionWait = TimeSpan.FromSeconds(1);

    private readonly ContinuumClient _client;
    private readonly INodeAwareness _awareness;
    private readonly ISelfDiagnosis _diagnosis;
    private readonly AgentIdentity _identity;
    private readonly RuntimeDetection? _detection;
    private readonly ReportingOptions _options;
    private readonly ReportingStats _stats;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SelfApiAddress? _selfApi;
    private string? _sentSelfApiUrl;
    private IeEntity.Reported? _last;
    private DateTimeOffset _lastReport;
    private DateTimeOffset _lastSent;

    public BrokerReporter(ReportingClient client, INodeAwareness awareness, ISelfDiagnosis diagnosis, AgentIdentity identity, RuntimeDetection? detection,
        IOptions<ReportingOptions> options, ReportingStats stats, TimeProvider time, ILogger<BrokerReporter> logger, SelfApiAddress? selfApi = null)
    {
        _selfApi = selfApi;
        _client = client.Client;
        _awareness = awareness;
        _diagnosis = diagnosis;
        _identity = identity;
        _detection = detection;
        _options = options.Value;
        _stats = stats;
        _time = time;
        _logger = logger;
    }

    private enum Failure
    {
        /// <summary>No answer, a timeout or a 5xx/429: an outage.</summary>
        Unreachable,

        /// <summary>The broker answered with an error other than 404: treated like an outage (backoff, one log line).</summary>
        Rejected,

        /// <summary>The entity is gone (404 on a merge): register it again at once.</summary>
        Missing,
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        await WaitForDetectionAsync(ct);
        var delay = _options.RetryInitialDelay;
        var attempts = 0;
        DateTimeOffset? outageSince = null;
        while (true)
        {
            var (failure, reason) = await RegisterAsync(ct);
            if (failure is not null)
            {
                attempts++;
                if (outageSince is null)
                {
                    outageSince = _time.GetUtcNow();
                    _stats.OutageStarted();
                    // One line per outage, not per attempt: a long outage must not fill the node's log.
                    LogUnreachable(_logger, _client.BrokerUrl, reason!);
                }
                await Task.Delay(delay, _time, ct);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RetryMaxDelay.Ticks));
                continue;
            }
            if (outageSince is { } since)
            {
                LogBack(_logger, _client.BrokerUrl, (_time.GetUtcNow() - since).TotalSeconds, attempts, _identity.IeId);
            }
            else
            {
                LogRegistered(_logger, _identity.IeId, _client.BrokerUrl);
            }
            outageSince = null;
            attempts = 0;
            delay = _options.RetryInitialDelay;

            (failure, reason) = await ReportUntilFailureAsync(ct);
            if (failure == Failure.Missing)
            {
                LogMissing(_logger, _identity.IeId, reason!);
                continue;
            }
            attempts = 1;
            outageSince = _time.GetUtcNow();
            _stats.OutageStarted();
            LogUnreachable(_logger, _client.BrokerUrl, reason!);
            await Task.Delay(delay, _time, ct);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RetryMaxDelay.Ticks));
        }
    }

    /// <summary>Registers the entity with a full upsert; on failure returns why.</summary>
    private async Task<(Failure? Failure, string? Reason)> RegisterAsync(CancellationToken ct)
    {
        var snapshot = _awareness.Latest ?? await _awareness.NextSampleAsync(ct);
        _stats.Attempted();
        // A cheap probe first: during an outage the full entity is not sent again and again to nobody.
        if (!await _client.PingAsync(ct))
        {
            _stats.Reachability = BrokerReachability.Unreachable;
            return (Failure.Unreachable, $"no answer within {_options.RequestTimeout.TotalSeconds} s");
        }
        // The broker answers: the health in the registration counts it as reachable.
        _stats.Reachability = BrokerReachability.Reachable;
        var health = _diagnosis.Evaluate(snapshot);
        var technology = _detection?.Current?.ContainerTechnology;
        var now = _time.GetUtcNow();
        // Not waited for: the registration must not be late because Kestrel binds after the hosted services start.
        var selfApiUrl = _selfApi?.Current;
        var entity = IeEntity.Full(_identity, snapshot, health, technology, now, selfApiUrl);
        var body = ContinuumMapper.ToNgsiLd(entity);
        try
        {
            // Update, not replace: attributes other components write on the IE (e.g. trustScore) survive a re-registration.
            await _client.UpsertAsync(entity, UpsertMode.Update, ct);
        }
        catch (ContinuumClientException e)
        {
            _stats.Failed();
            _stats.Reachability = e.IsTransient ? BrokerReachability.Unreachable : BrokerReachability.Reachable;
            return (e.IsTransient ? Failure.Unreachable : Failure.Rejected, e.Message);
        }
        // The batch upsert body is the entity in a JSON array: "[" + entity + "]".
        _stats.Sent(ReportKind.Registration, Attributes(body), Encoding.UTF8.GetByteCount(body.ToJsonString()) + 2);
        _last = IeEntity.Reported.From(snapshot, health, technology);
        _lastReport = now;
        _lastSent = now;
        _sentSelfApiUrl = selfApiUrl;
        return (null, null);
    }

    /// <summary>Follows the samples and the heartbeat period until a request fails; returns why.</summary>
    private async Task<(Failure Failure, string Reason)> ReportUntilFailureAsync(CancellationToken ct)
    {
        while (true)
        {
            var sample = await NextEventAsync(_lastSent + _options.HeartbeatPeriod, ct);
            var now = _time.GetUtcNow();
            ReportKind kind;
            InfrastructureElement partial;
            IeEntity.Reported? reported = null;
            string? why = null;
            if (sample is null)
            {
                kind = ReportKind.Heartbeat;
                partial = new InfrastructureElement { Id = _identity.IeId, Heartbeat = now };
            }
            else
            {
                var health = _diagnosis.Evaluate(sample);
                var technology = _detection?.Current?.ContainerTechnology;
                reported = IeEntity.Reported.From(sample, health, technology);
                why = _last?.SignificantChange(reported, _options);
                if (why is not null)
                {
                    kind = ReportKind.Change;
                }
                else if (now - _lastReport >= _options.MaxInterval)
                {
                    kind = ReportKind.Interval;
                    why = "maximum interval";
                }
                else
                {
                    continue;
                }
                partial = IeEntity.Changing(_identity, sample, health, technology, now);
            }
            // The self-API URL goes with the first report after the server listens, if the registration came before.
            var selfApiUrl = _selfApi?.Current;
            if (selfApiUrl is not null && selfApiUrl != _sentSelfApiUrl)
            {
                partial = partial with { SelfApiUrl = selfApiUrl };
            }
            var body = ContinuumMapper.ToNgsiLd(partial);
            body.Remove("id");
            body.Remove("type");
            try
            {
                await _client.MergeAsync(partial, ct);
            }
            catch (ContinuumClientException e)
            {
                _stats.Failed();
                if (e.Status == System.Net.HttpStatusCode.NotFound)
                {
                    _stats.Reachability = BrokerReachability.Reachable;
                    return (Failure.Missing, e.Message);
                }
                _stats.Reachability = e.IsTransient ? BrokerReachability.Unreachable : BrokerReachability.Reachable;
                return (e.IsTransient ? Failure.Unreachable : Failure.Rejected, e.Message);
            }
            _stats.Reachability = BrokerReachability.Reachable;
            _stats.Sent(kind, Attributes(body), Encoding.UTF8.GetByteCount(body.ToJsonString()));
            _lastSent = now;
            _sentSelfApiUrl = partial.SelfApiUrl ?? _sentSelfApiUrl;
            if (reported is not null)
            {
                _last = reported;
                _lastReport = now;
                LogReported(_logger, kind, why!);
            }
        }
    }

    /// <summary>The next sample, or null when <paramref name="heartbeatDue"/> comes first.</summary>
    private async Task<NodeSnapshot?> NextEventAsync(DateTimeOffset heartbeatDue, CancellationToken ct)
    {
        var wait = heartbeatDue - _time.GetUtcNow();
        if (wait <= TimeSpan.Zero)
        {
            return null;
        }
        using var race = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sample = _awareness.NextSampleAsync(race.Token);
        var timer = Task.Delay(wait, _time, race.Token);
        var first = await Task.WhenAny(sample, timer);
        await race.CancelAsync();
        ct.ThrowIfCancellationRequested();
        return first == sample && sample.IsCompletedSuccessfully ? sample.Result : null;
    }

    /// <summary>Gives the runtime detection (podman info) a moment so that the first registration names the runtime.</summary>
    private async Task WaitForDetectionAsync(CancellationToken ct)
    {
        if (_detection is null)
        {
            return;
        }
        try
        {
            await _detection.DetectAsync(ct).WaitAsync(DetectionWait, _time, ct);
        }
        catch (TimeoutException)
        {
            // Registration goes ahead without it; the detection result is reported as a change when it comes.
        }
    }

    private static int Attributes(JsonObject body) => body.Count(p => p.Key is not ("id" or "type" or "@context"));

}
