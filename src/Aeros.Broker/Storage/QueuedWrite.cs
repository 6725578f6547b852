namespace Aeros.Broker.Storage;

/// <summary>Where a queued write stands in a store writer's batch.</summary>
internal enum QueuedWriteState
{
    Pending,
    Canceled,
    Failed,
    /// <summary>Run again in the next batch (PostgreSQL: the batch lost a deadlock or serialization conflict).</summary>
    Retry,
    Ran,
}

/// <summary>
/// One caller's <see cref="IEntityStore.WriteAsync{T}"/> work waiting in a group-committing writer's queue (the SQLite
/// and the PostgreSQL writers share it): the work, its outcome, and the caller's task, completed only after the
/// commit.
/// </summary>
internal abstract class QueuedWrite(string tenant, bool createTenant, CancellationToken cancellationToken)
{
    public string Tenant { get; } = tenant;
    public bool CreateTenant { get; } = createTenant;
    public CancellationToken CancellationToken { get; } = cancellationToken;
    public QueuedWriteState State { get; set; }
    public Exception? Error { get; set; }

    /// <summary>How many times the work ran (a retried batch runs it again).</summary>
    public int Attempts { get; set; }

    /// <summary>The entity changes the work made (when observed), published once committed.</summary>
    public List<EntityChange>? Changes { get; set; }

    /// <summary>Forgets the outcome of a run whose batch was rolled back, before it runs again.</summary>
    public void Reset()
    {
        State = QueuedWriteState.Pending;
        Error = null;
        Changes = null;
    }

    public abstract void Run(IEntityWriteSession session);

    /// <summary>Completes the caller's task according to <see cref="State"/> (after the commit).</summary>
    public abstract void Finish();

    public abstract void Fail(Exception ex);
}

/// <summary>A <see cref="QueuedWrite"/> whose work returns a <typeparamref name="T"/>.</summary>
internal sealed class QueuedWrite<T>(string tenant, bool createTenant, Func<IEntityWriteSession, T> work, CancellationToken cancellationToken)
    : QueuedWrite(tenant, createTenant, cancellationToken)
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? _result;

    public Task<T> Task => _completion.Task;

    public override void Run(IEntityWriteSession session) => _result = work(session);

    public override void Finish()
    {
        switch (State)
        {
            case QueuedWriteState.Ran:
                _completion.TrySetResult(_result!);
                break;
            case QueuedWriteState.Failed:
                _completion.TrySetException(Error!);
                break;
            case QueuedWriteState.Canceled:
                _completion.TrySetCanceled(CancellationToken);
                break;
            default:
                _completion.TrySetException(new InvalidOperationException("The write was not run."));
                break;
        }
    }

    public override void Fail(Exception ex) => _completion.TrySetException(ex);
}
