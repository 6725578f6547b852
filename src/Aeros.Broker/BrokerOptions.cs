using Microsoft.Extensions.Options;

namespace Aeros.Broker;

/// <summary>Options of the NGSI-LD broker module.</summary>
public sealed class BrokerOptions
{
    /// <summary>Default page size when a query gives no <c>limit</c>.</summary>
    public const int DefaultPageSize = 20;

    /// <summary>Default largest <c>limit</c> a query may ask for.</summary>
    public const int DefaultMaxPageSize = 1000;

    /// <summary>Default largest request body, in bytes.</summary>
    public const long DefaultMaxRequestBodyBytes = 8 * 1024 * 1024;

    /// <summary>Default deepest JSON nesting accepted in a request body.</summary>
    public const int DefaultMaxJsonDepth = 64;

    /// <summary>The store value that selects the embedded SQLite engine (the default).</summary>
    public const string SqliteStore = "sqlite";

    /// <summary>The store value that selects the PostgreSQL engine (module <c>Aeros.Broker.Postgres</c>).</summary>
    public const string PostgresStore = "postgres";

    /// <summary>The storage engine: <c>sqlite</c> (embedded, the default) or <c>postgres</c>.</summary>
    public string Store { get; set; } = SqliteStore;

    /// <summary>
    /// The Npgsql connection string of the PostgreSQL database when <see cref="Store"/> is <c>postgres</c>, e.g.
    /// <c>Host=127.0.0.1;Port=5432;Username=aeros;Password=...;Database=aeros</c>. Ignored by SQLite.
    /// </summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>The directory that holds the broker's data files; created if missing.</summary>
    public string DataDirectory { get; set; } = Path.Combine(".aeros", "broker");

    /// <summary>Page size when a query gives no <c>limit</c>.</summary>
    public int PageSize { get; set; } = DefaultPageSize;

    /// <summary>Largest <c>limit</c>; larger asks get 403 TooManyResults.</summary>
    public int MaxPageSize { get; set; } = DefaultMaxPageSize;

    /// <summary>Largest request body in bytes; larger bodies get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = DefaultMaxRequestBodyBytes;

    /// <summary>Deepest JSON nesting accepted in a request body.</summary>
    public int MaxJsonDepth { get; set; } = DefaultMaxJsonDepth;

    /// <summary>
    /// Whether a 201/204 waits for the write to be flushed to stable storage (fsync). When false, an
    /// acknowledged write survives a process crash but not a power loss.
    /// </summary>
    public bool DurableWrites { get; set; } = true;

    /// <summary>
    /// Attributes whose values the store indexes so that q terms on them (<c>==</c>, numeric ranges) are answered
    /// from the index: full IRIs or core-context terms (<c>hostname</c>), or <c>*</c> for all. Empty (the default)
    /// indexes nothing: writes stay cheapest and queries filter the entities of the selected types in process.
    /// </summary>
    public IList<string> IndexedAttributes { get; set; } = [];
}

/// <summary>Validates <see cref="BrokerOptions"/>, listing every error at once.</summary>
internal sealed class BrokerOptionsValidator : IValidateOptions<BrokerOptions>
{
    public ValidateOptionsResult Validate(string? name, BrokerOptions options)
    {
        var errors = new List<string>();
        if (options.Store is not (BrokerOptions.SqliteStore or BrokerOptions.PostgresStore))
        {
            errors.Add($"Broker store '{options.Store}' is not supported; use 'sqlite' or 'postgres'.");
        }
        if (options.Store == BrokerOptions.PostgresStore && string.IsNullOrWhiteSpace(options.PostgresConnectionString))
        {
            errors.Add("Broker store 'postgres' needs a connection string (--postgres, Broker__PostgresConnectionString).");
        }
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            errors.Add("Broker data directory must be set.");
        }
        if (options.PageSize < 1)
        {
            errors.Add("Broker page size must be at least 1.");
        }
        if (options.MaxPageSize < options.PageSize)
        {
            errors.Add("Broker maximum page size must not be below the page size.");
        }
        if (options.MaxRequestBodyBytes < 1024)
        {
            errors.Add("Broker maximum request body must be at least 1024 bytes.");
        }
        if (options.MaxJsonDepth is < 8 or > 1000)
        {
            errors.Add("Broker maximum JSON depth must be between 8 and 1000.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
