using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Aeros.Broker.Storage.Sqlite;

/// <summary>
/// The single writer of the database: one connection, one thread, group commit. The loop takes the first
/// queued work item and whatever else is already queued (up to <see cref="MaxBatch"/>), runs each in its own
/// SAVEPOINT inside one <c>BEGIN IMMEDIATE</c> transaction, commits once, and only then completes the callers'
/// tasks. A work item that throws is rolled back to its savepoint and only its caller sees the exception.
/// </summary>
internal sealed partial class SqliteWriter : IDisposable
{
    /// <summary>The most work items one transaction carries.</summary>
    public const int MaxBatch = 257;

    /// <summary>A commit slower than this is logged as a warning.</summary>
    private static readonly TimeSpan SlowCommit = TimeSpan.FromSeconds(1);

    private readonly SqliteConnection _connection;
    private readonly SqliteWriteSession _session;
    private readonly SqliteCommand _begin, _commit, _rollback, _savepoint, _release, _rollbackTo, _insertTenant;
    // Synchronous continuations: the only waiter is the writer thread blocked in Run, so a producer merely
    // signals it (no thread-pool hop, which would delay commits when the pool is busy).
    private readonly WriteQueue _queue = new(nameof(SqliteEntityStore));
    private readonly ConcurrentDictionary<string, byte> _tenants;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EntityChangeFeed _changes;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="connection">An open read-write connection, configured and migrated; the writer owns it.</param>
    /// <param name="tenants">The known tenants; the writer adds the tenants it creates once committed.</param>
    /// <param name="time">Measures commit durations.</param>
    /// <param name="logger">Where commits and failures are logged.</param>
    /// <param name="policy">Which attributes the value index covers.</param>
    /// <param name="changes">Where committed changes are published, in commit order.</param>
    public SqliteWriter(SqliteConnection connection, ConcurrentDictionary<string, byte> tenants, TimeProvider time, ILogger logger, AttributeIndexPolicy policy, EntityChangeFeed changes)
    {
        _changes = changes;
        _connection = connection;
        _tenants = tenants;
        _time = time;
        _logger = logger;
        _begin = Prepare("BEGIN IMMEDIATE");
        _commit = Prepare("COMMIT");
        _rollback = Prepare("ROLLBACK");
        _savepoint = Prepare("SAVEPOINT work");
        _release = Prepare("RELEASE work");
        _rollbackTo = Prepare("ROLLBACK TO work");
        _insertTenant = Prepare("INSERT OR IGNORE INTO tenants (name) VALUES ($tenant)", "$tenant");
        _session = new SqliteWriteSession(connection, policy);
        _thread = new Thread(Run) { IsBackground = true, Name = "Aeros store writer" };
    }


    /// <summary>Transactions committed so far.</summary>
    public long Commits => _queue.Commits;

    /// <summary>Work items those transactions carried (divided by <see cref="Commits"/>: the mean group size).</summary>
    public long CommittedItems => _queue.CommittedItems;

    /// <summary>Completes once the loop has stopped (after <see cref="Complete"/> and draining the queue).</summary>
    public Task Stopped => _stopped.Task;

    public void Start() => _thread.Start();

    /// <summary>Queues work; the task completes once it is committed (or faults with the work's exception).</summary>
    public Task<T> Enqueue<T>(string tenant, bool createTenant, Func<IEntityWriteSession, T> work, CancellationToken cancellationToken)
        => _queue.Enqueue(tenant, createTenant, work, cancellationToken);

    /// <summary>Stops accepting work; the loop finishes what is queued, then stops.</summary>
    public void Complete() => _queue.Complete();

    private void Run()
    {
        var reader = _queue.Reader;
        var batch = new List<QueuedWrite>(MaxBatch);
        try
        {
            while (true)
            {
                if (!reader.TryRead(out var first))
                {
                    var wait = reader.WaitToReadAsync();
                    var more = wait.IsCompleted ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
                    if (!more)
                    {
                        break;
                    }
                    continue;
                }
                batch.Add(first);
                while (batch.Count < MaxBatch && reader.TryRead(out var next))
                {
                    batch.Add(next);
                }
                RunBatch(batch);
                batch.Clear();
            }
            Log.WriterStopped(_logger);
            _stopped.TrySetResult();
        }
        catch (Exception ex)
        {
            // Only a bug gets here (RunBatch catches what the database and the work throw).
            Log.WriterCrashed(_logger, ex);
            foreach (var item in batch)
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
    }

    private void RunBatch(List<QueuedWrite> batch)
    {
        var started = _time.GetTimestamp();
        try
        {
            _begin.ExecuteNonQuery();
        }
        catch (Exception ex)
        {
            Log.BatchFailed(_logger, batch.Count, ex);
            foreach (var item in batch)
            {
                item.Fail(ex);
            }
            return;
        }

        try
        {
            foreach (var item in batch)
            {
                RunItem(item);
            }
            _commit.ExecuteNonQuery();
        }
        catch (Exception ex)
        {
            // The transaction as a whole failed (commit, or a savepoint could not be rolled back): nothing of
            // this batch is durable, so every item that was to commit fails.
            Log.BatchFailed(_logger, batch.Count, ex);
            TryRollback();
            foreach (var item in batch)
            {
                if (item.State is QueuedWriteState.Ran or QueuedWriteState.Pending)
                {
                    item.Fail(ex);
                }
                else
                {
                    item.Finish();
                }
            }
            return;
        }

        _queue.RecordCommit(batch.Count);
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
            item.Finish();
        }
        var elapsed = _time.GetElapsedTime(started);
        if (elapsed >= SlowCommit)
        {
            Log.SlowCommit(_logger, batch.Count, elapsed.TotalMilliseconds);
        }
        else
        {
            Log.BatchCommitted(_logger, batch.Count, elapsed.TotalMilliseconds);
        }
    }

    /// <summary>
    /// Hands the committed changes to the feed in commit order, one list per run of units of work of the same tenant
    /// (usually one per commit): observers wake once per group commit, not once per write.
    /// </summary>
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
                run = changes; // the item's own list: no copy for a group of one
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

    private void RunItem(QueuedWrite item)
    {
        if (item.CancellationToken.IsCancellationRequested)
        {
            item.State = QueuedWriteState.Canceled;
            return;
        }
        _savepoint.ExecuteNonQuery();
        try
        {
            if (item.CreateTenant && !_tenants.ContainsKey(item.Tenant))
            {
                _insertTenant.Parameters[0].Value = item.Tenant;
                _insertTenant.ExecuteNonQuery();
            }
            _session.Begin(item.Tenant, _changes.IsObserved(item.Tenant) ? _time.GetUtcNow() : null);
            item.Run(_session);
            item.Changes = _session.TakeChanges();
        }
        catch (Exception ex)
        {
            _session.End();
            item.Error = ex;
            item.State = QueuedWriteState.Failed;
            // Undo this item only; if that is impossible the batch fails (caught by RunBatch).
            _rollbackTo.ExecuteNonQuery();
            _release.ExecuteNonQuery();
            return;
        }
        _session.End();
        _release.ExecuteNonQuery();
        item.State = QueuedWriteState.Ran;
    }

    private void TryRollback()
    {
        try
        {
            if (SQLitePCL.raw.sqlite3_get_autocommit(_connection.Handle) == 0)
            {
                _rollback.ExecuteNonQuery();
            }
        }
        catch (SqliteException ex)
        {
            Log.RollbackFailed(_logger, ex);
        }
    }

    private SqliteCommand Prepare(string sql, params string[] parameters) => SqliteConnectionSetup.Prepare(_connection, sql, parameters);

    /// <summary>Closes the connection; call after <see cref="Stopped"/> completed.</summary>
    public void Dispose()
    {
        _session.Dispose();
        foreach (var command in (SqliteCommand[])[_begin, _commit, _rollback, _savepoint, _release, _rollbackTo, _insertTenant])
        {
            command.Dispose();
        }
        _connection.Dispose();
    }
}
