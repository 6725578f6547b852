using System.Diagnostics;
using System.Globalization;
using Aeros.Testing;

namespace Aeros.Broker.Postgres.Tests;

/// <summary>The test clusters clean up after a test host that died without running its clean-up (SIGKILL).</summary>
[Trait("Category", "Slow")]
public sealed class PostgresClusterTests
{
    [Fact]
    public async Task StartAsync_ServerOfAGoneTestHost_IsStopped()
    {
        var orphan = await PostgresCluster.StartAsync().WaitAsync(PostgresCluster.CommandDeadline);
        try
        {
            var postmaster = ServerPid(orphan);
            Assert.True(Directory.Exists($"/proc/{postmaster}"));
            // A host that is gone: a process that has exited (its pid is free).
            using (var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
            {
                await gone.WaitForExitAsync().WaitAsync(PostgresCluster.CommandDeadline);
                await File.WriteAllTextAsync(Path.Combine(orphan.DirectoryPath, "owner.pid"), gone.Id.ToString(CultureInfo.InvariantCulture));
            }

            await using (var next = await PostgresCluster.StartAsync().WaitAsync(PostgresCluster.CommandDeadline))
            {
                Assert.True(next.IsRunning);
            }

            await TestDeadline.Until(() => !Directory.Exists($"/proc/{postmaster}"), "the orphaned server exiting");
        }
        finally
        {
            try
            {
                await orphan.DisposeAsync();
            }
            catch (InvalidOperationException)
            {
                // Its server was stopped under it (the point of the test); the directory is deleted all the same.
            }
        }
    }

    [Fact]
    public async Task StartAsync_ServerOfALiveTestHost_IsLeftRunning()
    {
        await using var mine = await PostgresCluster.StartAsync().WaitAsync(PostgresCluster.CommandDeadline);
        var postmaster = ServerPid(mine);
        await using (var next = await PostgresCluster.StartAsync().WaitAsync(PostgresCluster.CommandDeadline))
        {
            Assert.True(next.IsRunning);
        }
        Assert.True(Directory.Exists($"/proc/{postmaster}"));
    }

    private static int ServerPid(PostgresCluster cluster) =>
        int.Parse(File.ReadLines(Path.Combine(cluster.DirectoryPath, "data", "postmaster.pid")).First(), CultureInfo.InvariantCulture);
}
