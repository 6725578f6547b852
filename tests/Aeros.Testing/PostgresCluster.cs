using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Aeros.Testing;

/// <summary>
/// A throwaway PostgreSQL 15 cluster for tests: <c>initdb</c> in a temporary directory, <c>postgres</c> on a free
/// loopback port (trust authentication, user <c>aeros</c>). As root it runs as the <c>postgres</c> user (PostgreSQL
/// refuses root). It can be stopped and started again on the same port and data ("database away, database back");
/// disposing stops it and deletes the directory, also after a failed test.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    /// <summary>Where the PostgreSQL 15 programs are (Debian's <c>postgresql-15</c>); <c>AEROS_PG_BIN</c> overrides it.</summary>
    public static string BinDirectory { get; } = Environment.GetEnvironmentVariable("AEROS_PG_BIN") ?? "/usr/lib/postgresql/15/bin";

    /// <summary>The longest initdb, a start or a stop may take.</summary>
    public static readonly TimeSpan CommandDeadline = TimeSpan.FromSeconds(90);

    private readonly string _directory;
    private readonly bool _durable;
    private int _disposed;

    private PostgresCluster(string directory, int port, bool durable)
    {
        _directory = directory;
        Port = port;
        _durable = durable;
    }

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The cluster's temporary directory (data, socket, server log, owner file).</summary>
    public string DirectoryPath => _directory;

    /// <summary>Whether the server runs now.</summary>
    public bool IsRunning { get; private set; }

    private string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>
    /// True when PostGIS for PostgreSQL 15 is installed (Debian's <c>postgresql-15-postgis-3</c>); the cluster then has
    /// it in <c>template1</c>, so every database created for a test starts with the extension (creating it per
    /// database would cost seconds each).
    /// </summary>
    public static bool HasPostGis => File.Exists("/usr/share/postgresql/15/extension/postgis.control");

    /// <summary>True when the PostgreSQL programs are installed.</summary>
    public static bool IsAvailable => File.Exists(Path.Combine(BinDirectory, "initdb")) && File.Exists(Path.Combine(BinDirectory, "pg_ctl"));

    /// <summary>
    /// Creates and starts a cluster. <paramref name="durable"/> false turns fsync off (tests: faster, and a crash of
    /// the test machine loses nothing that matters); benchmarks keep PostgreSQL's durable defaults.
    /// </summary>
    public static async Task<PostgresCluster> StartAsync(bool durable = false, CancellationToken cancellationToken = default)
    {
        if (!IsAvailable)
        {
            throw new InvalidOperationException($"PostgreSQL 15 is not installed (no initdb/pg_ctl in {BinDirectory}); apt-get install postgresql-15.");
        }
        await DeleteStaleClustersAsync(cancellationToken);
        var directory = Path.Combine(Path.GetTempPath(), "aeros-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, OwnerFile), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        var cluster = new PostgresCluster(directory, TestPorts.Free(), durable);
        try
        {
            if (RunsAsRoot)
            {
                await RunAsync("chown", ["-R", "postgres:postgres", directory], cancellationToken);
            }
            await cluster.PgAsync("initdb", ["-D", cluster.DataDirectory, "-U", "aeros", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"], cancellationToken);
            await cluster.StartAgainAsync(cancellationToken);
            if (HasPostGis)
            {
                // Unpooled: a pooled session left on template1 would make every CREATE DATABASE fail (55006).
                await using var connection = new NpgsqlConnection(cluster.ConnectionString("template1") + ";Pooling=false");
                await connection.OpenAsync(cancellationToken);
                await using var create = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS postgis", connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>A connection string to <paramref name="database"/> on this cluster.</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=aeros;Database={database};Timeout=5;Include Error Detail=true";

    /// <summary>Creates a database unless it exists; returns its connection string.</summary>
    public string EnsureDatabase(string database)
    {
        using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        connection.Open();
        using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection))
        {
            exists.Parameters.Add(new NpgsqlParameter<string> { TypedValue = database });
            if (exists.ExecuteScalar() is not null)
            {
                return ConnectionString(database);
            }
        }
        try
        {
            using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
            create.ExecuteNonQuery();
        }
        catch (PostgresException e) when (e.SqlState == "42P04")
        {
            // Created meanwhile by another test: fine.
        }
        return ConnectionString(database);
    }

    /// <summary>Starts the server (again) on the same port and data.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        var settings = $"-p {Port} -c listen_addresses=127.0.0.1 -k {_directory} -c max_connections=400 -c shared_buffers=128MB";
        if (!_durable)
        {
            settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        }
        await PgAsync("pg_ctl", ["-D", DataDirectory, "-l", Path.Combine(_directory, "server.log"), "-o", settings, "-w", "-t", "60", "start"], cancellationToken);
        IsRunning = true;
    }

    /// <summary>Stops the server at once (connections are cut, as when a database host fails).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!IsRunning)
        {
            return;
        }
        IsRunning = false;
        await PgAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "60", "stop"], cancellationToken);
    }

    /// <summary>The server log (for failure messages).</summary>
    public string Log()
    {
        try
        {
            return File.ReadAllText(Path.Combine(_directory, "server.log"));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Stops the server and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            if (IsRunning)
            {
                await StopAsync();
            }
        }
        finally
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: a leftover temporary directory must not fail the run.
            }
        }
    }

    /// <summary>Stops and deletes the cluster synchronously (at process exit).</summary>
    public void DisposeNow() => DisposeAsync().AsTask().Wait(CommandDeadline);

    private static bool RunsAsRoot => Environment.UserName == "root";

    /// <summary>
    /// Deletes the directories of earlier clusters whose server no longer runs (a test host may exit before its
    /// ProcessExit clean-up finished deleting a large data directory), and stops first the servers whose test host is
    /// gone (a host killed with SIGKILL cannot stop its cluster; the server would run on until the machine restarts).
    /// </summary>
    private static async Task DeleteStaleClustersAsync(CancellationToken cancellationToken)
    {
        foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), "aeros-pg-*"))
        {
            var pidFile = Path.Combine(directory, "data", "postmaster.pid");
            try
            {
                if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) && Directory.Exists($"/proc/{pid}"))
                {
                    if (!IsOrphan(directory))
                    {
                        continue; // its server runs for a live test host: another test run's cluster
                    }
                    var stop = Path.Combine(BinDirectory, "pg_ctl");
                    string[] args = ["-D", Path.Combine(directory, "data"), "-m", "immediate", "-w", "-t", "60", "stop"];
                    await (RunsAsRoot ? RunAsync("runuser", ["-u", "postgres", "--", stop, .. args], cancellationToken) : RunAsync(stop, args, cancellationToken));
                }
                if (Directory.GetLastWriteTimeUtc(directory) > TimeProvider.System.GetUtcNow().UtcDateTime.AddMinutes(-1))
                {
                    continue; // possibly being created right now
                }
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or TimeoutException)
            {
                // Best effort.
            }
        }
    }

    /// <summary>The file naming the test host that owns a cluster.</summary>
    private const string OwnerFile = "owner.pid";

    /// <summary>True when the cluster names its test host and that process is gone (a cluster without the file is left alone).</summary>
    private static bool IsOrphan(string directory)
    {
        var owner = Path.Combine(directory, OwnerFile);
        return File.Exists(owner) && int.TryParse(File.ReadAllText(owner).Trim(), out var pid) && !Directory.Exists($"/proc/{pid}");
    }

    private Task PgAsync(string program, string[] args, CancellationToken cancellationToken)
    {
        var path = Path.Combine(BinDirectory, program);
        return RunsAsRoot
            ? RunAsync("runuser", ["-u", "postgres", "--", path, .. args], cancellationToken)
            : RunAsync(path, args, cancellationToken);
    }

    private static async Task RunAsync(string program, string[] args, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Cannot start {program}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).WaitAsync(CommandDeadline, cancellationToken);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {CommandDeadline.TotalSeconds} s.");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {await output}{await error}");
        }
    }
}
