using Microsoft.Extensions.Options;
using Npgsql;

namespace Aeros.Broker.Postgres;

/// <summary>
/// Tuning of the PostgreSQL store (configuration section <c>Broker:Postgres</c>, e.g.
/// <c>Broker__Postgres__ConnectTimeoutSeconds</c>). The database itself is named by
/// <see cref="BrokerOptions.PostgresConnectionString"/> and selected by <see cref="BrokerOptions.Store"/> = <c>postgres</c>.
/// </summary>
public sealed class PostgresStoreOptions
{
    /// <summary>Default seconds to wait for a connection before a request fails with 503.</summary>
    public const int DefaultConnectTimeoutSeconds = 3;

    /// <summary>Default seconds one SQL command may run.</summary>
    public const int DefaultCommandTimeoutSeconds = 30;

    /// <summary>Default most write requests one transaction carries (group commit).</summary>
    public const int DefaultMaxWriteBatch = 64;

    /// <summary>Default most pooled read connections.</summary>
    public const int DefaultMaxPoolSize = 32;

    /// <summary>Default time after a connection failure during which writes fail at once instead of reconnecting.</summary>
    public static readonly TimeSpan DefaultReconnectDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Seconds to wait for a connection (unless the connection string sets <c>Timeout</c>); while the database is
    /// away a request fails with 503 after at most this long.
    /// </summary>
    public int ConnectTimeoutSeconds { get; set; } = DefaultConnectTimeoutSeconds;

    /// <summary>Seconds one SQL command may run (unless the connection string sets <c>Command Timeout</c>).</summary>
    public int CommandTimeoutSeconds { get; set; } = DefaultCommandTimeoutSeconds;

    /// <summary>
    /// The most write requests one transaction carries. Each runs in its own savepoint (a subtransaction); PostgreSQL
    /// caches 64 subtransactions per transaction, so larger batches slow other sessions down.
    /// </summary>
    public int MaxWriteBatch { get; set; } = DefaultMaxWriteBatch;

    /// <summary>The most pooled read connections (unless the connection string sets <c>Maximum Pool Size</c>).</summary>
    public int MaxPoolSize { get; set; } = DefaultMaxPoolSize;

    /// <summary>After a lost connection, writes fail at once (503) for this long before the writer reconnects.</summary>
    public TimeSpan ReconnectDelay { get; set; } = DefaultReconnectDelay;

    /// <summary>
    /// Whether geo-queries use PostGIS (default true): at start the store runs <c>CREATE EXTENSION IF NOT EXISTS
    /// postgis</c> and, the first time, creates and fills the geo layer (table <c>entity_geo</c>, GiST indexes); geo
    /// terms then narrow the candidates in SQL. When PostGIS is not installed or the role may not create it, the store
    /// logs a warning once and evaluates geo-queries in process (the same results, without index). False skips PostGIS
    /// altogether (<c>Broker__Postgres__UsePostGis=false</c>); a geo layer another broker created is still kept current.
    /// </summary>
    public bool UsePostGis { get; set; } = true;

    /// <summary>
    /// While the database has no geo layer, how often the writer looks whether another broker created it (default 5 s;
    /// one catalog lookup inside a write transaction). When it appears, the writer re-derives the geo rows of the
    /// entities it wrote since its previous look and keeps the layer current from then on, without a restart.
    /// </summary>
    public TimeSpan GeoLayerCheckInterval { get; set; } = DefaultGeoLayerCheckInterval;

    /// <summary>The default of <see cref="GeoLayerCheckInterval"/>.</summary>
    public static readonly TimeSpan DefaultGeoLayerCheckInterval = TimeSpan.FromSeconds(5);
}

/// <summary>Validates <see cref="PostgresStoreOptions"/> and, when the store is postgres, the connection string; lists every error.</summary>
internal sealed class PostgresStoreOptionsValidator(IOptions<BrokerOptions> broker) : IValidateOptions<PostgresStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgresStoreOptions options)
    {
        var errors = new List<string>();
        if (options.ConnectTimeoutSeconds is < 1 or > 300)
        {
            errors.Add("Broker PostgreSQL connect timeout must be between 1 and 300 seconds.");
        }
        if (options.CommandTimeoutSeconds is < 1 or > 3600)
        {
            errors.Add("Broker PostgreSQL command timeout must be between 1 and 3600 seconds.");
        }
        if (options.MaxWriteBatch is < 1 or > 1000)
        {
            errors.Add("Broker PostgreSQL write batch must be between 1 and 1000.");
        }
        if (options.MaxPoolSize is < 2 or > 1000)
        {
            errors.Add("Broker PostgreSQL pool size must be between 2 and 1000.");
        }
        if (options.ReconnectDelay < TimeSpan.Zero || options.ReconnectDelay > TimeSpan.FromMinutes(1))
        {
            errors.Add("Broker PostgreSQL reconnect delay must be between 0 and 1 minute.");
        }
        if (options.GeoLayerCheckInterval < TimeSpan.FromMilliseconds(100) || options.GeoLayerCheckInterval > TimeSpan.FromHours(1))
        {
            errors.Add("Broker PostgreSQL geo layer check interval must be between 100 ms and 1 hour.");
        }
        var value = broker.Value;
        if (value.Store == BrokerOptions.PostgresStore && !string.IsNullOrWhiteSpace(value.PostgresConnectionString))
        {
            try
            {
                var builder = new NpgsqlConnectionStringBuilder(value.PostgresConnectionString);
                if (string.IsNullOrWhiteSpace(builder.Host))
                {
                    errors.Add("Broker PostgreSQL connection string must name a Host.");
                }
            }
            catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException or InvalidCastException)
            {
                errors.Add($"Broker PostgreSQL connection string is invalid: {e.Message}");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
