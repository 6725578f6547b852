using Aeros.Broker.Query;
using Aeros.Broker.Storage;

namespace Aeros.Broker.Tests.Storage;

/// <summary>
/// Crash consistency without killing the test process: the database files are copied while writes are in
/// flight and one transaction is open, which captures what a SIGKILL would leave (what the process had handed
/// to the OS); a store opened on the copy must hold every write acknowledged before the copy and nothing of
/// the open transaction.
/// </summary>
public sealed class SqliteEntityStoreCrashTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AcknowledgedWrites_SurviveAnAbruptStop(bool durable)
    {
        await using var temp = await TempStore.CreateAsync(durable);
        var store = temp.Store;
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var next = -1;
        var writers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var id = TestEntities.Urn(Interlocked.Increment(ref next));
                if (await store.WriteAsync(Tenants.Default, false, s => s.Insert(TestEntities.Make(id)), CancellationToken.None))
                {
                    acknowledged.Add(id);
                }
            }
        })).ToArray();

        // Let writes run, then freeze the files: hold the writer inside a work item (its transaction is open, so
        // nothing commits or checkpoints meanwhile) and copy them, as a SIGKILL at that instant would leave them.
        await WaitUntil(() => acknowledged.Count >= 500, "writers never acknowledged 500 writes");
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var blocker = store.WriteAsync(Tenants.Default, false, s =>
        {
            s.Insert(TestEntities.Make("urn:uncommitted"));
            entered.Set();
            release.Wait(TempStore.Deadline);
            return 0;
        }, CancellationToken.None);
        Assert.True(entered.Wait(TempStore.Deadline), "the blocking work never ran");
        var before = acknowledged.ToArray();
        var copy = Path.Combine(temp.Directory, "crashed");
        Directory.CreateDirectory(copy);
        var source = Path.Combine(temp.DataDirectory, "entities.db");
        File.Copy(source, Path.Combine(copy, "entities.db"));
        File.Copy(source + "-wal", Path.Combine(copy, "entities.db-wal"));
        release.Set();
        await blocker.WaitAsync(TempStore.Deadline);
        await stop.CancelAsync();
        await Task.WhenAll(writers).WaitAsync(TempStore.Deadline);

        await using var reopened = await TempStore.OpenExistingAsync(copy);
        Assert.Null(await reopened.Store.GetAsync(Tenants.Default, "urn:uncommitted", CancellationToken.None));
        foreach (var id in before)
        {
            Assert.NotNull(await reopened.Store.GetAsync(Tenants.Default, id, CancellationToken.None));
        }
        var page = await reopened.Store.QueryAsync(Tenants.Default, new EntityQuery { Limit = 0, Count = true }, CancellationToken.None);
        Assert.True(page.TotalCount >= before.Length, $"{page.TotalCount} entities after the crash, {before.Length} acknowledged before it");
    }

    private static async Task WaitUntil(Func<bool> condition, string failure)
    {
        using var timeout = new CancellationTokenSource(TempStore.Deadline);
        while (!condition())
        {
            Assert.False(timeout.IsCancellationRequested, failure);
            await Task.Delay(10, CancellationToken.None);
        }
    }
}
