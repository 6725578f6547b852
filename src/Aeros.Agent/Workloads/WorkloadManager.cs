using Aeros.Agent.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Agent.Workloads;

/// <summary>
/// Supervises the workloads: one loop per workload starts it, waits for it to end and decides on a restart by
/// its policy, with a delay of <see cref="WorkloadOptions.InitialBackoff"/> doubled per quick failure in a row (a
/// run shorter than <see cref="WorkloadOptions.StablePeriod"/>) up to <see cref="WorkloadOptions.MaxBackoff"/>.
/// The desired set lives in the state file; on start the manager adopts what still runs and restarts the rest.
/// </summary>
internal sealed partial class WorkloadManager : IWorkloadManager, IHostedService, IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _mutate = new(1, 1);
    private readonly SemaphoreSlim _persistGate = new(1, 1);
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<IWorkloadRuntime> _runtimes;
    private readonly WorkloadOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WorkloadManager> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private bool _stopped;

    public WorkloadManager(IEnumerable<IWorkloadRuntime> runtimes, IOptions<WorkloadOptions> options, TimeProvider time, ILogger<WorkloadManager> logger)
    {
        _runtimes = runtimes.ToArray();
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public event EventHandler<WorkloadStatusChange>? StatusChanged;

    public WorkloadSummary Summary
    {
        get
        {
            var all = List();
            return new WorkloadSummary(all.Count, all.Count(s => s.State == WorkloadState.Running),
                all.Count(s => s.State == WorkloadState.Failed), all.Count(s => s.State == WorkloadState.CrashLoop), all.Sum(s => (long)s.Restarts));
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_options.StateDirectory);
        List<WorkloadStateFile.Item> items;
        try
        {
            items = WorkloadStateFile.Read(_options.StateFile, out var skipped);
            foreach (var reason in skipped)
            {
                LogStateSkipped(_logger, reason);
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // Keep the bad file for a human; start with no workloads rather than not at all.
            var aside = _options.StateFile + ".bad";
            LogStateUnreadable(_logger, _options.StateFile, aside, e.Message);
            try
            {
                File.Move(_options.StateFile, aside, overwrite: true);
            }
            catch (IOException)
            {
            }
            items = [];
        }
        await _mutate.WaitAsync(cancellationToken);
        try
        {
            foreach (var item in items)
            {
                lock (_lock)
                {
                    if (_entries.ContainsKey(item.Spec.Name))
                    {
                        continue;
                    }
                }
                LogRecovered(_logger, item.Spec.Name, item.InstanceId ?? "none");
                StartSupervisor(new Entry(item.Spec, Initial(item.Spec, item.Restarts)) { InstanceId = item.InstanceId });
            }
        }
        finally
        {
            _mutate.Release();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _mutate.WaitAsync(cancellationToken);
        try
        {
            if (_stopped)
            {
                return;
            }
            _stopped = true;
            Entry[] entries;
            lock (_lock)
            {
                entries = [.. _entries.Values];
            }
            await Task.WhenAll(entries.Select(e => HaltAsync(e, stopRun: e.Spec.Kind == WorkloadKind.Process || _options.StopContainersOnShutdown, cancellationToken)));
            await PersistAsync();
        }
        finally
        {
            _mutate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(_options.StopTimeout + TimeSpan.FromSeconds(30));
        await StopAsync(timeout.Token);
        _stopping.Dispose();
    }

    /// <summary>Simulates a crash of the agent (tests): supervision ends, runs are left as they are, nothing is written.</summary>
    internal async Task AbandonAsync()
    {
        _stopped = true;
        await _stopping.CancelAsync();
        Entry[] entries;
        lock (_lock)
        {
            entries = [.. _entries.Values];
        }
        foreach (var entry in entries)
        {
            await entry.Loop.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    public async Task<WorkloadStatus> ApplyAsync(WorkloadSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var errors = spec.Validate();
        if (errors.Count > 0)
        {
            throw new WorkloadSpecException(errors);
        }
        await _mutate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            Entry? old;
            lock (_lock)
            {
                _entries.TryGetValue(spec.Name, out old);
            }
            if (old is not null && old.Spec.SameAs(spec) && !old.Loop.IsCompleted)
            {
                return old.Status;
            }
            if (old is not null)
            {
                await HaltAsync(old, stopRun: true, cancellationToken);
                LogUpdated(_logger, spec.Name);
            }
            else
            {
                LogCreated(_logger, spec.Name, spec.Kind);
            }
            var entry = new Entry(spec, Initial(spec, 0));
            StartSupervisor(entry);
            await PersistAsync();
            return entry.Status;
        }
        finally
        {
            _mutate.Release();
        }
    }

    public async Task<bool> RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        await _mutate.WaitAsync(cancellationToken);
        try
        {
            Entry? entry;
            lock (_lock)
            {
                if (!_entries.Remove(name, out entry))
                {
                    return false;
                }
            }
            await HaltAsync(entry, stopRun: true, cancellationToken);
            await PersistAsync();
            LogRemoved(_logger, name);
            Raise(new WorkloadStatusChange(entry.Status, Removed: true));
            return true;
        }
        finally
        {
            _mutate.Release();
        }
    }

    public IReadOnlyList<WorkloadStatus> List()
    {
        lock (_lock)
        {
            return _entries.Values.OrderBy(e => e.Spec.Name, StringComparer.Ordinal).Select(Snapshot).ToArray();
        }
    }

    public WorkloadStatus? Get(string name)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(name, out var entry) ? Snapshot(entry) : null;
        }
    }

    public WorkloadSpec? GetSpec(string name)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(name, out var entry) ? entry.Spec : null;
        }
    }

    public async Task<IReadOnlyList<string>?> ReadLogsAsync(string name, int tail, CancellationToken cancellationToken = default)
    {
        Entry? entry;
        lock (_lock)
        {
            _entries.TryGetValue(name, out entry);
        }
        if (entry is null)
        {
            return null;
        }
        return await Runtime(entry.Spec.Kind).ReadLogsAsync(entry.Spec, entry.Instance, tail, cancellationToken);
    }

    /// <summary>The delay before the restart after <paramref name="quickFailures"/> quick failures in a row (1 or more).</summary>
    internal static TimeSpan Backoff(WorkloadOptions options, int quickFailures)
    {
        var exponent = Math.Clamp(quickFailures - 1, 0, 30);
        var delay = options.InitialBackoff.TotalMilliseconds * Math.Pow(2, exponent);
        return TimeSpan.FromMilliseconds(Math.Min(delay, options.MaxBackoff.TotalMilliseconds));
    }

    private static WorkloadStatus Initial(WorkloadSpec spec, int restarts) =>
        new() { Name = spec.Name, Kind = spec.Kind, State = WorkloadState.Pending, Restarts = restarts };

    private WorkloadStatus Snapshot(Entry entry) =>
        entry.Instance is { LogsDegraded: true } ? entry.Status with { LogsDegraded = true } : entry.Status;

    private IWorkloadRuntime Runtime(WorkloadKind kind) =>
        _runtimes.FirstOrDefault(r => r.Kind == kind) ?? throw new InvalidOperationException($"No runtime for {kind} workloads is registered.");

    private void StartSupervisor(Entry entry)
    {
        lock (_lock)
        {
            _entries[entry.Spec.Name] = entry;
        }
        entry.Cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var token = entry.Cancel.Token;
        entry.Loop = Task.Run(() => SuperviseAsync(entry, token), CancellationToken.None);
    }

    /// <summary>Ends an entry's supervision and, if asked, its run.</summary>
    private async Task HaltAsync(Entry entry, bool stopRun, CancellationToken cancellationToken)
    {
        if (!entry.Halted)
        {
            entry.Halted = true;
            await entry.Cancel!.CancelAsync();
            await entry.Loop.WaitAsync(cancellationToken);
            entry.Cancel.Dispose();
        }
        if (entry.Instance is { } instance)
        {
            if (stopRun)
            {
                try
                {
                    await Runtime(entry.Spec.Kind).StopAsync(instance, _options.StopTimeout, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogStopFailed(_logger, entry.Spec.Name, e.Message);
                }
                (instance as IDisposable)?.Dispose();
                entry.Instance = null;
                entry.InstanceId = null;
            }
        }
        Update(entry, s => s with { State = WorkloadState.Stopped, Pid = null, ContainerId = entry.Instance?.ContainerId, NextRestartAt = null });
    }

    private async Task SuperviseAsync(Entry entry, CancellationToken cancellationToken)
    {
        var spec = entry.Spec;
        var runtime = Runtime(spec.Kind);
        var quickFailures = 0;
        try
        {
            if (entry.InstanceId is { } previous)
            {
                try
                {
                    entry.Instance = await runtime.AdoptAsync(spec, previous, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogAdoptFailed(_logger, spec.Name, e.Message);
                }
                entry.InstanceId = entry.Instance?.Id;
            }
            while (!cancellationToken.IsCancellationRequested)
            {
                string? failure = null;
                int? exitCode = null;
                var permanent = false;
                var ran = TimeSpan.Zero;
                if (entry.Instance is null)
                {
                    Update(entry, s => s with { State = WorkloadState.Starting, NextRestartAt = null });
                    try
                    {
                        entry.Instance = await runtime.StartAsync(spec, cancellationToken);
                        entry.InstanceId = entry.Instance.Id;
                    }
                    catch (WorkloadStartException e)
                    {
                        failure = e.Message;
                        permanent = e.Permanent;
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        failure = $"{spec.Kind} runtime failed: {e.Message}";
                    }
                }
                if (permanent)
                {
                    LogFailed(_logger, spec.Name, failure!);
                    Update(entry, s => s with { State = WorkloadState.Failed, LastError = failure, Pid = null, ContainerId = null, FinishedAt = _time.GetUtcNow() });
                    await PersistAsync();
                    return;
                }
                if (entry.Instance is { } instance)
                {
                    Update(entry, s => s with
                    {
                        State = WorkloadState.Running, Pid = instance.Pid, ContainerId = instance.ContainerId, StartedAt = instance.StartedAt,
                        NextRestartAt = null,
                    });
                    await PersistAsync();
                    var exit = await runtime.WaitForExitAsync(instance, cancellationToken);
                    ran = _time.GetUtcNow() - instance.StartedAt;
                    (instance as IDisposable)?.Dispose();
                    entry.Instance = null;
                    entry.InstanceId = null;
                    exitCode = exit.ExitCode;
                    failure = exit.ExitCode == 0 ? null : exit.Reason ?? (exit.ExitCode is { } c ? $"exited with code {c}" : "ended");
                    LogExited(_logger, spec.Name, exit.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown", ran.TotalSeconds);
                }
                var now = _time.GetUtcNow();
                var success = failure is null && exitCode == 0;
                if ((spec.IsJob && success) || spec.RestartPolicy == RestartPolicy.Never || (spec.RestartPolicy == RestartPolicy.OnFailure && success))
                {
                    Update(entry, s => s with { State = WorkloadState.Exited, LastExitCode = exitCode, LastError = failure, Pid = null, ContainerId = null, FinishedAt = now });
                    await PersistAsync();
                    return;
                }
                // A run that lasted the stable period starts the backoff over.
                quickFailures = ran < _options.StablePeriod ? quickFailures + 1 : 1;
                var delay = Backoff(_options, quickFailures);
                var crashLoop = quickFailures >= _options.CrashLoopThreshold;
                if (crashLoop && quickFailures == _options.CrashLoopThreshold)
                {
                    LogCrashLoop(_logger, spec.Name, quickFailures);
                }
                Update(entry, s => s with
                {
                    State = crashLoop ? WorkloadState.CrashLoop : WorkloadState.Exited, LastExitCode = exitCode, LastError = failure,
                    Pid = null, ContainerId = null, FinishedAt = now, NextRestartAt = now + delay,
                });
                LogRestarting(_logger, spec.Name, delay.TotalSeconds, failure ?? "exited with code 0");
                await Task.Delay(delay, _time, cancellationToken);
                Update(entry, s => s with { Restarts = s.Restarts + 1 });
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Halted: whoever cancelled decides what happens to the run.
        }
        catch (Exception e)
        {
            // A bug here must not take the other workloads or the agent down.
            LogSupervisorCrashed(_logger, e, spec.Name);
            Update(entry, s => s with { State = WorkloadState.Failed, LastError = "supervisor failed: " + e.Message });
        }
    }

    private void Update(Entry entry, Func<WorkloadStatus, WorkloadStatus> change)
    {
        WorkloadStatus next;
        bool current;
        lock (_lock)
        {
            var before = entry.Status;
            next = change(before);
            if (next == before)
            {
                return;
            }
            entry.Status = next;
            current = _entries.TryGetValue(entry.Spec.Name, out var e) && ReferenceEquals(e, entry);
        }
        if (current)
        {
            Raise(new WorkloadStatusChange(next, Removed: false));
        }
    }

    private void Raise(WorkloadStatusChange change)
    {
        try
        {
            StatusChanged?.Invoke(this, change);
        }
        catch (Exception e)
        {
            LogListenerFailed(_logger, e, change.Status.Name);
        }
    }

    private async Task PersistAsync()
    {
        await _persistGate.WaitAsync(CancellationToken.None);
        try
        {
            List<WorkloadStateFile.Item> items;
            lock (_lock)
            {
                items = _entries.Values.OrderBy(e => e.Spec.Name, StringComparer.Ordinal)
                    .Select(e => new WorkloadStateFile.Item(e.Spec, e.InstanceId, e.Status.Restarts)).ToList();
            }
            WorkloadStateFile.Write(_options.StateFile, items);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The workloads keep running; the file catches up at the next change.
            LogPersistFailed(_logger, _options.StateFile, e.Message);
        }
        finally
        {
            _persistGate.Release();
        }
    }

    private sealed class Entry(WorkloadSpec spec, WorkloadStatus status)
    {
        public WorkloadSpec Spec { get; } = spec;

        public WorkloadStatus Status { get; set; } = status;

        public WorkloadInstance? Instance { get; set; }

        /// <summary>The run to adopt or the current run, as written to the state file.</summary>
        public string? InstanceId { get; set; }

        public CancellationTokenSource? Cancel { get; set; }

        public bool Halted { get; set; }

        public Task Loop { get; set; } = Task.CompletedTask;
    }
}
