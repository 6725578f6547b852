using System.Net.Sockets;
using Aeros.Broker.Storage;
using Npgsql;

namespace Aeros.Broker.Postgres.Storage;

/// <summary>Classifies database failures: which mean "the database is away" (503) and which are worth a retry.</summary>
internal static class PostgresErrors
{
    /// <summary>
    /// True when the failure says the database cannot be reached or is going away: connection errors (class 08),
    /// shutdown and start-up states (57P01-57P03), timeouts and socket/IO errors underneath Npgsql.
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState is "57P01" or "57P02" or "57P03" or "53300",
        NpgsqlException npg => npg.IsTransient || npg.InnerException is SocketException or IOException or TimeoutException,
        SocketException or TimeoutException => true,
        InvalidOperationException when exception.Message.Contains("connection", StringComparison.OrdinalIgnoreCase)
            && exception.Source == "Npgsql" => true,
        _ => false,
    };

    /// <summary>A deadlock or serialization failure: the transaction lost a race and may run again.</summary>
    public static bool IsRetryable(Exception exception) =>
        exception is PostgresException { SqlState: "40P01" or "40001" };

    /// <summary>The exception the API turns into 503.</summary>
    public static StoreUnavailableException Unavailable(Exception cause) =>
        new("The broker's PostgreSQL database is unavailable; retry later.", cause);
}
