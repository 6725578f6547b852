using System.Threading.Channels;

namespace Aeros.Broker.Storage;

/// <summary>
/// The queue in front of a group-committing store writer (the SQLite and the PostgreSQL writers share it): callers
/// enqueue work and get a task that completes after the commit; the writer's one thread reads the queue and records
/// each commit here.
/// </summary>
internal sealed class WriteQueue(string storeName)
{
    private readonly Channel<QueuedWrite> _channel = Channel.CreateUnbounded<QueuedWrite>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = true });
    private long _commits;
    private long _committedItems;

    /// <summary>What the writer's thread reads.</summary>
    public ChannelReader<QueuedWrite> Reader => _channel.Reader;

    /// <summary>Transactions committed so far.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Work items those transactions carried (divided by <see cref="Commits"/>: the mean group size).</summary>
    public long CommittedItems => Interlocked.Read(ref _committedItems);

    /// <summary>Queues work; the task completes once it is committed (or faults with the work's exception).</summary>
    public Task<T> Enqueue<T>(string tenant, bool createTenant, Func<IEntityWriteSession, T> work, CancellationToken cancellationToken)
    {
        var item = new QueuedWrite<T>(tenant, createTenant, work, cancellationToken);
        if (!_channel.Writer.TryWrite(item))
        {
            throw new ObjectDisposedException(storeName, "The entity store is shutting down.");
        }
        return item.Task;
    }

    /// <summary>Stops accepting work; the writer finishes what is queued, then stops.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>Stops accepting work because the writer failed; later callers see <paramref name="error"/>.</summary>
    public void Fail(Exception error) => _channel.Writer.TryComplete(error);

    /// <summary>Counts one committed transaction carrying <paramref name="items"/> work items.</summary>
    public void RecordCommit(int items)
    {
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _committedItems, items);
    }
}
