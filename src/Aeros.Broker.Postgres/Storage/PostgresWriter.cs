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
    private readonly bool _geo;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private NpgsqlConnection? _connection;
    private PostgresWriteSession? _session;
    private long _downUntil;

    public PostgresWriter(NpgsqlDataSource dataSource, ConcurrentDictionary<string, byte> tenants, EntityChangeFeed changes,
        TimeProvider time, ILogger logger, int maxBatch, TimeSpan reconnectDelay, string origin, bool geo)
    {
        _geo = geo;
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
        catch (Exception ex) when (ex is NpgsqlException or StoreUnavailableException or InvalidOperationException or TimeoutException)
        {
            var error = ex as StoreUnavailableException ?? PostgresErrors.Unavailable(ex);
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
        _session = new PostgresWriteSession(connection, _origin, _geo);
        Log.WriterConnected(_logger);
        return connection;
    }

    private void LostConnection(Exception ex)
    {
        if (ex is not StoreUnavailableException)
        {
            Log.ConnectionLost(_logger, ex.Message);
        }
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
