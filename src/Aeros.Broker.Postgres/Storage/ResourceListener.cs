using Aeros.Broker.Postgres.Schema;
using Aeros.Broker.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Aeros.Broker.Postgres.Storage;

/// <summary>
/// Keeps this broker's registries in step with resources other broker processes write to the shared database:
/// LISTENs on <see cref="PostgresSchema.ResourceChannel"/>, re-reads each resource another process changed and
/// publishes it on the <see cref="ResourceChangeFeed"/>. After a lost connection it reconnects and re-reads every
/// observed kind (changes made meanwhile were not heard; deletions made meanwhile are caught at the next restart).
/// </summary>
internal sealed partial class ResourceListener(NpgsqlDataSource dataSource, ResourceChangeFeed feed, string origin, TimeProvider time, ILogger logger)
    : IAsyncDisposable
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly string[] Kinds = [ResourceKinds.Subscription, ResourceKinds.Registration, ResourceKinds.RegistrationSubscription];
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public void Start() => _loop = Task.Run(() => RunAsync(_stopping.Token));

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var first = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                var pending = new Queue<string>();
                connection.Notification += (_, e) => pending.Enqueue(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgresSchema.ResourceChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }
                if (!first)
                {
                    await ResyncAsync(connection, cancellationToken);
                }
                first = false;
                while (!cancellationToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(cancellationToken);
                    while (pending.TryDequeue(out var payload))
                    {
                        await HandleAsync(connection, payload, cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                Log.ListenerDisconnected(logger, e.Message);
                try
                {
                    await Task.Delay(RetryDelay, time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task HandleAsync(NpgsqlConnection connection, string payload, CancellationToken cancellationToken)
    {
        if (!ResourceNotification.TryParse(payload, out var from, out var kind, out var tenant, out var id) || from == origin || !feed.IsObserved(kind))
        {
            return;
        }
        string? json;
        await using (var read = new NpgsqlCommand("SELECT body FROM resources WHERE kind = $1 AND tenant = $2 AND id = $3", connection))
        {
            read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = kind });
            read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
            read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            json = await read.ExecuteScalarAsync(cancellationToken) as string;
        }
        await PublishAsync(new StoredResourceChange(kind, tenant, id, json), cancellationToken);
    }

    private async Task ResyncAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        foreach (var kind in Kinds)
        {
            if (!feed.IsObserved(kind))
            {
                continue;
            }
            var changes = new List<StoredResourceChange>();
            await using (var read = new NpgsqlCommand("SELECT tenant, id, body FROM resources WHERE kind = $1", connection))
            {
                read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = kind });
                await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    changes.Add(new StoredResourceChange(kind, reader.GetString(0), reader.GetString(1), reader.GetString(2)));
                }
            }
            foreach (var change in changes)
            {
                await PublishAsync(change, cancellationToken);
            }
        }
    }

    private async Task PublishAsync(StoredResourceChange change, CancellationToken cancellationToken)
    {
        try
        {
            await feed.PublishAsync(change, cancellationToken);
            Log.ResourceChanged(logger, change.Kind, change.Id, change.Json is null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // One resource that cannot be applied must not stop the listener.
            Log.ResourceChangeFailed(logger, change.Kind, change.Id, e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_loop is { } loop)
        {
            try
            {
                await loop.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
            }
        }
        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3440, EventName = "ListenerDisconnected", Level = LogLevel.Warning,
            Message = "The PostgreSQL resource listener lost its connection ({Reason}); it reconnects.")]
        public static partial void ListenerDisconnected(ILogger logger, string reason);

        [LoggerMessage(EventId = 3441, EventName = "ResourceChanged", Level = LogLevel.Debug,
            Message = "Resource {Kind} {Id} changed in another broker process (deleted: {Deleted}).")]
        public static partial void ResourceChanged(ILogger logger, string kind, string id, bool deleted);

        [LoggerMessage(EventId = 3442, EventName = "ResourceChangeFailed", Level = LogLevel.Error,
            Message = "Resource {Kind} {Id} changed in another broker process could not be applied.")]
        public static partial void ResourceChangeFailed(ILogger logger, string kind, string id, Exception exception);
    }
}
