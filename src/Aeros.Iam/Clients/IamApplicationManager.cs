using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;

namespace Aeros.Iam.Clients;

/// <summary>
/// OpenIddict's application manager with the IAM's client-secret hashing: PBKDF2-HMAC-SHA512 with 100,000 iterations
/// and a 128-bit salt (OpenIddict's own default is cheaper), and a <see cref="VerifiedSecretCache"/> so a client that
/// asks for many tokens pays the KDF once per cache period rather than once per token.
/// </summary>
internal sealed class IamApplicationManager(
    IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication> cache,
    ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store,
    VerifiedSecretCache verified)
    : OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>(cache, logger, options, store)
{
    public const string Prefix = "aeros-pbkdf2-sha512";
    public const int Iterations = 100_000;

    /// <summary>
    /// OpenIddict's exact comparison, plus RFC 8252 §7.3: a registered loopback IP redirect URI
    /// (<c>http://127.0.0.1/...</c> or <c>http://[::1]/...</c>) matches the same URI on any port, because a native app
    /// (the CLI) listens on a port the system chooses at each login. Everything else must match exactly.
    /// </summary>
    public override async ValueTask<bool> ValidateRedirectUriAsync(OpenIddictEntityFrameworkCoreApplication application, string uri, CancellationToken cancellationToken = default)
    {
        if (await base.ValidateRedirectUriAsync(application, uri, cancellationToken))
        {
            return true;
        }
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var requested) || !LoopbackRedirectUris.IsLoopbackIp(requested))
        {
            return false;
        }
        foreach (var registered in await GetRedirectUrisAsync(application, cancellationToken))
        {
            if (Uri.TryCreate(registered, UriKind.Absolute, out var candidate) && LoopbackRedirectUris.Matches(candidate, requested))
            {
                return true;
            }
        }
        return false;
    }

    protected override ValueTask<string> ObfuscateClientSecretAsync(string secret, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        return ValueTask.FromResult(Hash(secret));
    }

    protected override async ValueTask<bool> ValidateClientSecretAsync(string secret, string comparand, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(secret) || string.IsNullOrEmpty(comparand))
        {
            return false;
        }
        if (verified.Contains(secret, comparand))
        {
            return true;
        }
        var ok = comparand.StartsWith(Prefix + "$", StringComparison.Ordinal)
            ? Verify(secret, comparand)
            : await base.ValidateClientSecretAsync(secret, comparand, cancellationToken);
        if (ok)
        {
            verified.Add(secret, comparand);
        }
        return ok;
    }

    internal static string Hash(string secret)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var key = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(secret), salt, Iterations, HashAlgorithmName.SHA512, 32);
        return $"{Prefix}${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(key)}";
    }

    internal static bool Verify(string secret, string comparand)
    {
        var parts = comparand.Split('$');
        if (parts.Length != 4 || !int.TryParse(parts[1], out var iterations) || iterations < 1)
        {
            return false;
        }
        try
        {
            var salt = Convert.FromBase64String(parts[2]);
            var expected = Convert.FromBase64String(parts[3]);
            var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(secret), salt, iterations, HashAlgorithmName.SHA512, expected.Length);
            return CryptographicOperations.FixedTimeEquals(actual, expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>
/// Remembers, for a few minutes, that a secret matched a stored hash — as an HMAC of the secret under a key that lives
/// only in this process's memory, so the cache holds nothing that reveals or replays a secret elsewhere. Keyed by the
/// stored hash: a changed secret or a deleted client never hits.
/// </summary>
internal sealed class VerifiedSecretCache(TimeProvider time)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private const int Capacity = 10_000;

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly Dictionary<string, (byte[] Mac, DateTimeOffset Until)> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public bool Contains(string secret, string comparand)
    {
        (byte[] Mac, DateTimeOffset Until) entry;
        lock (_gate)
        {
            if (!_entries.TryGetValue(comparand, out entry))
            {
                return false;
            }
        }
        return entry.Until > time.GetUtcNow() && CryptographicOperations.FixedTimeEquals(entry.Mac, Mac(secret));
    }

    public void Add(string secret, string comparand)
    {
        var mac = Mac(secret);
        lock (_gate)
        {
            if (_entries.Count >= Capacity)
            {
                _entries.Clear();
            }
            _entries[comparand] = (mac, time.GetUtcNow() + Lifetime);
        }
    }

    /// <summary>Forgets everything (a client was deleted or its secret changed).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
        }
    }

    private byte[] Mac(string secret) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(secret));
}
