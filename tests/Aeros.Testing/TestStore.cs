using System.Security.Cryptography;
using System.Text;
using Aeros.Broker;

namespace Aeros.Testing;

/// <summary>
/// Which store the brokers of a test run use, so that one test suite runs against each engine. SQLite unless
/// <see cref="Engine"/> is set to <c>postgres</c> (the test project <c>Aeros.Broker.Postgres.Tests</c> does so in a
/// module initializer; environment variable <c>AEROS_TEST_STORE=postgres</c> does it for any test project). With
/// PostgreSQL, one throwaway cluster serves the whole run (started on first use, stopped and deleted at process
/// exit) and every broker data directory maps to its own database, so a broker restarted on the same data
/// directory finds its data again.
/// </summary>
public static class TestStore
{
    private static readonly Lock Gate = new();
    private static PostgresCluster? s_cluster;

    /// <summary>The engine: <c>sqlite</c> or <c>postgres</c>.</summary>
    public static string Engine { get; set; } = Environment.GetEnvironmentVariable("AEROS_TEST_STORE") ?? BrokerOptions.SqliteStore;

    /// <summary>True when the brokers of this run use PostgreSQL.</summary>
    public static bool IsPostgres => Engine == BrokerOptions.PostgresStore;

    /// <summary>Sets the store of a broker whose data lives in <see cref="BrokerOptions.DataDirectory"/>.</summary>
    public static void Apply(BrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!IsPostgres || options.Store == BrokerOptions.PostgresStore)
        {
            return;
        }
        options.Store = BrokerOptions.PostgresStore;
        options.PostgresConnectionString = ConnectionStringFor(options.DataDirectory);
    }

    /// <summary>The extra <c>aeros broker</c> arguments that select the store for a broker on <paramref name="dataDirectory"/>.</summary>
    public static string[] BrokerArguments(string dataDirectory) =>
        IsPostgres ? ["--store", BrokerOptions.PostgresStore, "--postgres", ConnectionStringFor(dataDirectory)] : [];

    /// <summary>The connection string of the database that belongs to a data directory (created if missing).</summary>
    public static string ConnectionStringFor(string dataDirectory)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDirectory)));
        return Cluster.EnsureDatabase("aeros_" + Convert.ToHexStringLower(hash)[..20]);
    }

    /// <summary>The run's cluster, started on first use.</summary>
    public static PostgresCluster Cluster
    {
        get
        {
            lock (Gate)
            {
                if (s_cluster is null)
                {
                    var cluster = PostgresCluster.StartAsync().WaitAsync(PostgresCluster.CommandDeadline).GetAwaiter().GetResult();
                    AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.DisposeNow();
                    s_cluster = cluster;
                }
                return s_cluster;
            }
        }
    }
}
