using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.Tokens;

namespace Aeros.Iam.Keys;

/// <summary>One RSA key of the key directory.</summary>
internal sealed record StoredKey(string KeyId, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt, RsaSecurityKey Key)
{
    /// <summary>Until when a retired key stays published (and accepted); null while it signs.</summary>
    public DateTimeOffset? PublishedUntil(TimeSpan retention) => RetiredAt + retention;
}

/// <summary>What the key directory holds at one moment: the signing key, the keys still published, the encryption key.</summary>
internal sealed record KeySnapshot(StoredKey Active, IReadOnlyList<StoredKey> Published, RsaSecurityKey EncryptionKey);

/// <summary>
/// The signing keys (RS256) and the token-encryption key, persisted in the key directory as one JSON file per key
/// (PKCS#8 private key, mode 600). <see cref="Rotate"/> makes a new key the signing one; retired keys stay
/// published until the longest-lived token they signed has expired. A rotation fires <see cref="GetChangeToken"/>, so
/// OpenIddict's options (signing and JWKS) are rebuilt without a restart.
/// </summary>
internal sealed partial class SigningKeyStore
{
    private const string SigningPrefix = "signing-";
    private const string EncryptionFile = "encryption.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly IOptions<IamOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SigningKeyStore> _logger;
    private readonly Lock _gate = new();
    private KeySnapshot? _snapshot;
    private CancellationTokenSource _changed = new();

    public SigningKeyStore(IOptions<IamOptions> options, TimeProvider time, ILogger<SigningKeyStore> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
    }

    private string Directory => _options.Value.EffectiveKeyDirectory;

    /// <summary>The current keys; loaded (and the first keys created) on first use.</summary>
    public KeySnapshot Current
    {
        get
        {
            lock (_gate)
            {
                return _snapshot ??= Load();
            }
        }
    }

    /// <summary>Fires once at the next rotation.</summary>
    public IChangeToken GetChangeToken()
    {
        lock (_gate)
        {
            return new CancellationChangeToken(_changed.Token);
        }
    }

    /// <summary>Creates a new signing key, retires the current one, and returns the new key's id.</summary>
    public string Rotate()
    {
        CancellationTokenSource fired;
        string keyId;
        lock (_gate)
        {
            var current = _snapshot ?? Load();
            var now = _time.GetUtcNow();
            Write(current.Active with { RetiredAt = now });
            var created = CreateSigningKey(now);
            keyId = created.KeyId;
            _snapshot = Load();
            fired = _changed;
            _changed = new CancellationTokenSource();
            LogRotated(_logger, current.Active.KeyId, keyId);
        }
        fired.Cancel();
        fired.Dispose();
        return keyId;
    }

    private KeySnapshot Load()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var now = _time.GetUtcNow();
        var retention = _options.Value.RetiredKeyRetention;
        var keys = new List<StoredKey>();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, SigningPrefix + "*.json"))
        {
            var key = Read(file);
            if (key.RetiredAt is not null && key.PublishedUntil(retention) < now)
            {
                // Every token it signed has expired: nobody needs it any more.
                File.Delete(file);
                LogExpired(_logger, key.KeyId);
                continue;
            }
            keys.Add(key);
        }
        var active = keys.Where(k => k.RetiredAt is null).OrderByDescending(k => k.CreatedAt).FirstOrDefault();
        if (active is null)
        {
            active = CreateSigningKey(now);
            keys.Add(active);
        }
        // Two active keys (a crash between writing the new key and retiring the old): the newest signs, the other retires now.
        foreach (var stale in keys.Where(k => k.RetiredAt is null && k.KeyId != active.KeyId).ToList())
        {
            var retired = stale with { RetiredAt = now };
            Write(retired);
            keys[keys.IndexOf(stale)] = retired;
        }
        var encryptionPath = Path.Combine(Directory, EncryptionFile);
        var encryption = File.Exists(encryptionPath) ? Read(encryptionPath) : null;
        if (encryption is null)
        {
            encryption = NewKey("enc-" + NewId(), now);
            Write(encryption, encryptionPath);
        }
        var published = keys.OrderBy(k => k.KeyId == active.KeyId ? 0 : 1).ThenByDescending(k => k.CreatedAt).ToList();
        return new KeySnapshot(active, published, encryption.Key);
    }

    private StoredKey CreateSigningKey(DateTimeOffset now)
    {
        // The id starts with the creation time so keys sort by age in the directory listing.
        var key = NewKey($"{now:yyyyMMddHHmmss}-{NewId()}", now);
        Write(key);
        LogCreated(_logger, key.KeyId);
        return key;
    }

    private static StoredKey NewKey(string keyId, DateTimeOffset now)
    {
        var rsa = RSA.Create(2048);
        return new StoredKey(keyId, now, null, new RsaSecurityKey(rsa) { KeyId = keyId });
    }

    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    private void Write(StoredKey key) => Write(key, Path.Combine(Directory, SigningPrefix + key.KeyId + ".json"));

    private static void Write(StoredKey key, string path)
    {
        var file = new KeyFile(key.KeyId, key.CreatedAt, key.RetiredAt, key.Key.Rsa!.ExportPkcs8PrivateKeyPem());
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(temp, options))
        {
            JsonSerializer.Serialize(stream, file, Json);
            stream.Flush(flushToDisk: true);
        }
        // Atomic replace: a crash leaves the old file or the new one, never half a key.
        File.Move(temp, path, overwrite: true);
    }

    private static StoredKey Read(string path)
    {
        var file = JsonSerializer.Deserialize<KeyFile>(File.ReadAllText(path), Json)
            ?? throw new InvalidDataException($"The key file {path} is empty.");
        var rsa = RSA.Create();
        rsa.ImportFromPem(file.PrivateKeyPem);
        return new StoredKey(file.KeyId, file.CreatedAt, file.RetiredAt, new RsaSecurityKey(rsa) { KeyId = file.KeyId });
    }

    private sealed record KeyFile(
        [property: JsonPropertyName("kid")] string KeyId,
        DateTimeOffset CreatedAt,
        DateTimeOffset? RetiredAt,
        string PrivateKeyPem);

    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "IAM signing key {KeyId} created")]
    private static partial void LogCreated(ILogger logger, string keyId);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "IAM signing key rotated: {NewKeyId} signs now, {OldKeyId} stays published until its tokens expire")]
    private static partial void LogRotated(ILogger logger, string oldKeyId, string newKeyId);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "IAM signing key {KeyId} expired and was removed")]
    private static partial void LogExpired(ILogger logger, string keyId);
}
