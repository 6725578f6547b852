using System.Collections.Concurrent;
using Aeros.Broker.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Aeros.Broker.Postgres.Storage;

/// <summary>
/// The writer of one broker process: one connection, one thread, group commit (as the SQLite writer): the loop takes
/// what is queued (up to the batch size), runs each work item in its own SAVEPOINT inside one transaction, commits
/// once, then completes the callers' tasks and publishes the committed entity changes. Other broker processes write
/// the same database concurrently; row locks (<see cref="PostgresWriteSession"/>) order their writes. An item that
/// loses a deadlock to another process is undone to its savepoint and runs again in the next transaction.
/// While the database is away every write fails fast with <see cref="StoreUnavailableException"/>; the writer
/// reconnects on the first write after <see cref="PostgresStoreOptions.ReconnectDelay"/>.
/// </summary>
internal sealed partial class PostgresWriter
{
    /// <summary>How many times an item that lost a deadlock runs again before its caller sees the error.</summary>
    private const int MaxRetries = 5;

    /// <summary>Entities remembered between two looks for the geo layer before the writer would re-derive all instead.</summary>
    private const int MaxTouched = 100_000;

    private static readonly TimeSpan SlowCommit = TimeSpan.FromSeconds(1);

    private readonly NpgsqlDataSource _dataSource;
    private readonly WriteQueue _queue = new(nameof(PostgresEntityStore));
    private readonly ConcurrentDictionary<string, byte> _tenants;
    private readonly EntityChangeFeed _changes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _maxBatch;
    private readonly TimeSpan _reconnectDelay;
    private readonly string _origin;
    private readonly TimeSpan _geoCheckInterval;
    private readonly Action? _geoLayerAppeared;
    private bool _geo;
    private long _nextGeoCheck;
    private HashSet<(string Tenant, string Id)>? _touched;
    private bool _touchedOverflow;
    private bool _geoEnabledInBatch;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private NpgsqlConnection? _connection;
    private PostgresWriteSession? _session;
    private long _downUntil;

    public PostgresWriter(NpgsqlDataSource dataSource, ConcurrentDictionary<string, byte> tenants, EntityChangeFeed changes,
        TimeProvider time, ILogger logger, int maxBatch, TimeSpan reconnectDelay, string origin, bool geo,
        TimeSpan geoCheckInterval, Action? geoLayerAppeared)
    {
        _geo = geo;
        _geoCheckInterval = geoCheckInterval;
        _geoLayerAppeared = geoLayerAppeared;
        if (!geo)
        {
            _touched = new HashSet<(string, string)>();
            _nextGeoCheck = time.GetTimestamp() + Ticks(geoCheckInterval, time);
        }
        _dataSource = dataSource;
        _tenants = tenants;
        _changes = changes;
        _time = time;
        _logger = logger;
        _maxBatch = maxBatch;
        _reconnectDelay = reconnectDelay;
        _origin = origin;
        _thread = new Thread(Run) { IsBackground = true, Name = "Aeros PostgreSQL writer" };
    }

    /// <summary>Transactions committed so far.</summary>
    public long Commits => _queue.Commits;

    /// <summary>Work items those transactions carried.</summary>
    public long CommittedItems => _queue.CommittedItems;

    /// <summary>Completes once the loop has stopped.</summary>
    public Task Stopped => _stopped.Task;

    public void Start() => _thread.Start();

    /// <summary>Queues work; the task completes once it is committed (or faults).</summary>
    public Task<T> Enqueue<T>(string tenant, bool createTenant, Func<IEntityWriteSession, T> work, CancellationToken cancellationToken)
        => _queue.Enqueue(tenant, createTenant, work, cancellationToken);

    /// <summary>Stops accepting work; the loop finishes what is queued, then stops.</summary>
    public void Complete() => _queue.Complete();

    private void Run()
    {
        var reader = _queue.Reader;
        var batch = new List<QueuedWrite>(_maxBatch);
        var retry = new List<QueuedWrite>();
        try
        {
            while (true)
            {
                batch.AddRange(retry);
                retry.Clear();
                if (batch.Count == 0)
                {
                    if (!reader.TryRead(out var first))
                    {
                        var wait = reader.WaitToReadAsync();
                        if (!(wait.IsCompleted ? wait.Result : wait.AsTask().GetAwaiter().GetResult()))
                        {
                            break;
                        }
                        continue;
                    }
                    batch.Add(first);
                }
                while (batch.Count < _maxBatch && reader.TryRead(out var next))
                {
                    batch.Add(next);
                }
                RunBatch(batch, retry);
                batch.Clear();
            }
            Log.WriterStopped(_logger);
            _stopped.TrySetResult();
        }
        catch (Exception ex)
        {
            Log.WriterCrashed(_logger, ex);
            foreach (var item in batch.Concat(retry))
            {
                item.Fail(ex);
            }
            _queue.Fail(ex);
            while (reader.TryRead(out var left))
            {
                left.Fail(ex);
            }
            _stopped.TrySetException(ex);
        }
        finally
        {
            CloseConnection();
        }
    }

    private void RunBatch(List<QueuedWrite> batch, List<QueuedWrite> retry)
    {
        var started = _time.GetTimestamp();
        foreach (var item in batch)
        {
            item.Reset();
        }
        NpgsqlTransaction transaction;
        try
        {
            transaction = Connect().BeginTransaction();
        }
        catch (StoreUnavailableException fastFail)
        {
            // Inside the reconnect delay: fail without touching the delay. Extending it on every refused write kept a
            // broker under steady write load from ever reconnecting.
            foreach (var item in batch)
            {
                item.Fail(fastFail);
            }
            return;
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            var error = PostgresErrors.Unavailable(ex);
            LostConnection(ex);
            foreach (var item in batch)
            {
                item.Fail(error);
            }
            return;
        }

        try
        {
            using (transaction)
            {
                if (!_geo && _time.GetTimestamp() >= _nextGeoCheck)
                {
                    CheckGeoLayer(transaction);
                }
                foreach (var item in batch)
                {
                    RunItem(transaction, item);
                }
                transaction.Commit();
            }
        }
        catch (Exception ex)
        {
            // The transaction as a whole failed (commit, lost connection): nothing of this batch is durable.
            var unavailable = PostgresErrors.IsUnavailable(ex) || _connection?.State != System.Data.ConnectionState.Open;
            Log.BatchFailed(_logger, batch.Count, ex);
            if (_geoEnabledInBatch)
            {
                // The repair was rolled back with the batch: look again (and repair again) in the next one.
                _geoEnabledInBatch = false;
                _geo = false;
                _nextGeoCheck = 0;
                _session = _connection is null ? null : new PostgresWriteSession(_connection, _origin, false) { Touched = _touched };
            }
            if (unavailable)
            {
                LostConnection(ex);
            }
            var error = unavailable ? PostgresErrors.Unavailable(ex) : ex;
            foreach (var item in batch)
            {
                if (item.State is QueuedWriteState.Ran or QueuedWriteState.Pending or QueuedWriteState.Retry)
                {
                    item.Fail(error);
                }
                else
                {
                    item.Finish();
                }
            }
            return;
        }

        if (_geoEnabledInBatch)
        {
            _geoEnabledInBatch = false;
            _touched = null;
            _geoLayerAppeared?.Invoke();
        }
        else if (_touched is { Count: > MaxTouched } touched)
        {
            // Too many to re-derive one by one: should the layer appear, all of it is re-derived.
            touched.Clear();
            _touchedOverflow = true;
        }
        _queue.RecordCommit(batch.Count(i => i.State != QueuedWriteState.Retry));
        foreach (var item in batch)
        {
            if (item.State == QueuedWriteState.Ran && item.CreateTenant)
            {
                _tenants.TryAdd(item.Tenant, 0);
            }
        }
        PublishChanges(batch);
        foreach (var item in batch)
        {
            if (item.State == QueuedWriteState.Retry)
            {
                retry.Add(item);
            }
            else
            {
                item.Finish();
            }
        }
        var elapsed = _time.GetElapsedTime(started);
        if (elapsed >= SlowCommit)
        {
            Log.SlowCommit(_logger, batch.Count, elapsed.TotalMilliseconds);
        }
    }

    private void RunItem(NpgsqlTransaction transaction, QueuedWrite item)
    {
        if (item.CancellationToken.IsCancellationRequested)
        {
            item.State = QueuedWriteState.Canceled;
            return;
        }
        // Nested savepoints without RELEASE: each item can be undone alone, at one round trip per item.
        transaction.Save("w");
        var session = _session!;
        try
        {
            if (item.CreateTenant && !_tenants.ContainsKey(item.Tenant))
            {
                using var insertTenant = new NpgsqlCommand("INSERT INTO tenants (name) VALUES ($1) ON CONFLICT DO NOTHING", _connection);
                insertTenant.Parameters.Add(new NpgsqlParameter<string> { TypedValue = item.Tenant });
                insertTenant.ExecuteNonQuery();
            }
            session.Begin(item.Tenant, _changes.IsObserved(item.Tenant) ? _time.GetUtcNow() : null);
            item.Run(session);
            item.Changes = session.TakeChanges();
        }
        catch (Exception ex)
        {
            session.End();
            if (PostgresErrors.IsUnavailable(ex))
            {
                throw; // the whole batch fails
            }
            // Undo this item only; if that is impossible the batch fails (caught by RunBatch).
            transaction.Rollback("w");
            if (PostgresErrors.IsRetryable(ex) && item.Attempts < MaxRetries)
            {
                item.Attempts++;
                item.State = QueuedWriteState.Retry;
                Log.WriteRetried(_logger, item.Tenant, ex.Message);
                return;
            }
            item.Error = ex;
            item.State = QueuedWriteState.Failed;
            return;
        }
        session.End();
        item.State = QueuedWriteState.Ran;
    }

    private void PublishChanges(List<QueuedWrite> batch)
    {
        List<EntityChange>? run = null;
        foreach (var item in batch)
        {
            if (item.State != QueuedWriteState.Ran || item.Changes is not { Count: > 0 } changes)
            {
                continue;
            }
            if (run is not null && run[0].Tenant != changes[0].Tenant)
            {
                _changes.Publish(run);
                run = null;
            }
            if (run is null)
            {
                run = changes;
            }
            else
            {
                run.AddRange(changes);
            }
        }
        if (run is not null)
        {
            _changes.Publish(run);
        }
    }

    /// <summary>The open connection, opened on demand; fails fast while the database was just found away.</summary>
    private NpgsqlConnection Connect()
    {
        if (_connection is { State: System.Data.ConnectionState.Open } open)
        {
            return open;
        }
        CloseConnection();
        if (_time.GetTimestamp() < Interlocked.Read(ref _downUntil))
        {
            throw new StoreUnavailableException("The broker's PostgreSQL database is unavailable; retry later.");
        }
        var connection = _dataSource.OpenConnection();
        _connection = connection;
        _session = new PostgresWriteSession(connection, _origin, _geo) { Touched = _geo ? null : _touched };
        Log.WriterConnected(_logger);
        return connection;
    }

    /// <summary>
    /// Looks whether the geo layer exists, holding ROW EXCLUSIVE on <c>entities</c> (a broker creating the layer takes
    /// SHARE, so it is either committed now or will see everything this transaction writes). Absent: forget the
    /// entities written before (the creator's backfill will read them). Present: re-derive the geo rows of the
    /// entities written since the last look (they may have been written after the backfill read) and write the layer
    /// from this batch on; it counts once the batch commits.
    /// </summary>
    private void CheckGeoLayer(NpgsqlTransaction transaction)
    {
        var connection = _connection!;
        using (var lockEntities = new NpgsqlCommand("LOCK TABLE entities IN ROW EXCLUSIVE MODE", connection, transaction))
        {
            lockEntities.ExecuteNonQuery();
        }
        bool exists;
        using (var look = new NpgsqlCommand($"SELECT to_regclass('{Schema.PostgresGeoLayer.Table}') IS NOT NULL", connection, transaction))
        {
            exists = look.ExecuteScalar() is true;
        }
        _nextGeoCheck = _time.GetTimestamp() + Ticks(_geoCheckInterval, _time);
        var touched = _touched ??= [];
        if (!exists)
        {
            touched.Clear();
            _touchedOverflow = false;
            return;
        }
        Schema.PostgresGeoLayer.Repair(connection, _touchedOverflow ? null : touched);
        Log.GeoLayerFound(_logger, _touchedOverflow ? -1 : touched.Count);
        _geo = true;
        _geoEnabledInBatch = true;
        _session = new PostgresWriteSession(connection, _origin, true);
    }

    private static long Ticks(TimeSpan span, TimeProvider time) => (long)(span.TotalSeconds * time.TimestampFrequency);

    private void LostConnection(Exception ex)
    {
        Log.ConnectionLost(_logger, ex.Message);
        CloseConnection();
        // Idle pooled connections died with the server too; handing them out again would fail the next writes.
        _dataSource.Clear();
        Interlocked.Exchange(ref _downUntil, _time.GetTimestamp() + (long)(_reconnectDelay.TotalSeconds * _time.TimestampFrequency));
    }

    private void CloseConnection()
    {
        var connection = _connection;
        _connection = null;
        _session = null;
        if (connection is not null)
        {
            try
            {
                connection.Dispose();
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or InvalidOperationException)
            {
                Log.ConnectionLost(_logger, ex.Message);
            }
        }
    }
}
