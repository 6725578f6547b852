using System.Collections.Concurrent;
using System.Text.Json;
using Aeros.Iam.Storage;
using Microsoft.EntityFrameworkCore;
using OpenIddict.EntityFrameworkCore.Models;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Aeros.Iam.Clients;

/// <summary>
/// What the client-credential fast path needs to know about a client: whether it may get a token by client credentials
/// with a secret (a confidential client with the token endpoint and grant permissions and no per-client settings that
/// would change the token), and the stored secret hash.
/// </summary>
internal sealed record ClientFacts(string ClientId, string? SecretHash, bool MayUseFastPath);

/// <summary>
/// <see cref="ClientFacts"/> read straight from the database (not through OpenIddict's entity cache) and kept for
/// <see cref="Lifetime"/>; every admin change in this process (<see cref="ClientRegistry"/>) forgets them at once, a
/// change made by another IAM process on the same database is seen within <see cref="Lifetime"/>.
/// </summary>
internal sealed class ClientSnapshots(IDbContextFactory<IamDbContext> databases, TimeProvider time)
{
    /// <summary>How long facts are kept: the bound for changes made by another process sharing the database.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private const int Capacity = 10_000;

    private readonly ConcurrentDictionary<string, (DateTimeOffset Until, ClientFacts? Facts)> _entries = new(StringComparer.Ordinal);
    private long _generation;

    /// <summary>Forgets everything (a client was created, deleted or got a new secret).</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    /// <summary>The facts about <paramref name="clientId"/>; null when there is no such client.</summary>
    public async ValueTask<ClientFacts?> GetAsync(string clientId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(clientId, out var hit) && hit.Until > now)
        {
            return hit.Facts;
        }
        // A read that overlaps an invalidation must not store what it read before the change.
        var generation = Interlocked.Read(ref _generation);
        var facts = await ReadAsync(clientId, cancellationToken);
        if (Interlocked.Read(ref _generation) == generation)
        {
            if (_entries.Count >= Capacity)
            {
                _entries.Clear();
            }
            _entries[clientId] = (now + Lifetime, facts);
        }
        return facts;
    }

    private async Task<ClientFacts?> ReadAsync(string clientId, CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var row = await db.Set<OpenIddictEntityFrameworkCoreApplication>().AsNoTracking()
            .Where(a => a.ClientId == clientId)
            .Select(a => new { a.ClientType, a.ClientSecret, a.Permissions, a.Settings, a.JsonWebKeySet })
            .FirstOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            return null;
        }
        var permissions = Strings(row.Permissions);
        var eligible = row.ClientType == ClientTypes.Confidential
            && !string.IsNullOrEmpty(row.ClientSecret)
            && permissions.Contains(Permissions.Endpoints.Token)
            && permissions.Contains(Permissions.GrantTypes.ClientCredentials)
            // Per-client settings (e.g. token lifetimes) and key sets change what OpenIddict does: leave those to it.
            && IsEmpty(row.Settings)
            && string.IsNullOrEmpty(row.JsonWebKeySet);
        return new ClientFacts(clientId, row.ClientSecret, eligible);
    }

    private static HashSet<string> Strings(string? json)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(json))
        {
            return set;
        }
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in document.RootElement.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String)
                {
                    set.Add(item.GetString()!);
                }
            }
        }
        return set;
    }

    private static bool IsEmpty(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return true;
        }
        using var document = JsonDocument.Parse(json);
        return document.RootElement.ValueKind == JsonValueKind.Object && !document.RootElement.EnumerateObject().Any();
    }
}
