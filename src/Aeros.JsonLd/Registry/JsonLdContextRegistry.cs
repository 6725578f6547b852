using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.JsonLd.Processing;
using Aeros.JsonLd.Resolution;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.JsonLd.Registry;

/// <summary>
/// The contexts the broker knows: Hosted (POSTed), Cached (downloaded, bounded and time-limited) and
/// ImplicitlyCreated (inline contexts of requests, de-duplicated by content). Also the single-flight download
/// cache the resolver reads remote contexts through.
/// </summary>
internal sealed partial class JsonLdContextRegistry : IJsonLdContextRegistry
{
    /// <summary>The broker path of a stored context: <c>/ngsi-ld/v1/jsonldContexts/{localId}</c>.</summary>
    public const string LocalPathPrefix = "/ngsi-ld/v1/jsonldContexts/";

    /// <summary>The local id of the embedded core context.</summary>
    public const string CoreLocalId = "ngsi-ld-core-context";

    private const string PersistedFileExtension = ".json";

    private readonly JsonLdOptions _options;
    private readonly RemoteContextFetcher _fetcher;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<JsonLdContextRegistry> _logger;
    private readonly ConcurrentDictionary<string, RegistryEntry> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RegistryEntry> _cachedByUrl = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<RegistryEntry>>> _downloads = new(StringComparer.Ordinal);
    private readonly Lock _cachedLock = new();
    private readonly Lock _implicitLock = new();
    private int _implicitCount;

    public JsonLdContextRegistry(
        IOptions<JsonLdOptions> options,
        RemoteContextFetcher fetcher,
        TimeProvider timeProvider,
        ILogger<JsonLdContextRegistry> logger)
    {
        _options = options.Value;
        _fetcher = fetcher;
        _timeProvider = timeProvider;
        _logger = logger;

        using (var core = JsonDocument.Parse(CoreContext.DocumentText))
        {
            CoreEntry = new RegistryEntry(
                JsonLdContext.CoreContextUrl,
                CoreLocalId,
                JsonLdContextKind.Cached,
                timeProvider.GetUtcNow(),
                CoreContext.DocumentText,
                core.RootElement.GetProperty("@context").Clone(),
                expiresAt: null);
        }

        _byId[CoreLocalId] = CoreEntry;
        LoadPersisted();
    }

    /// <summary>The embedded core context, listed as Cached and never deleted.</summary>
    public RegistryEntry CoreEntry { get; }

    public async ValueTask<JsonLdContextEntry> AddHostedAsync(JsonNode contextDocumentBody, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contextDocumentBody);
        if (contextDocumentBody is not JsonObject body
            || !body.TryGetPropertyValue("@context", out var context)
            || context?.GetValueKind() is not (JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.String))
        {
            throw new JsonLdException(
                JsonLdErrorKind.Invalid,
                "A context document must be a JSON object whose @context member is an object, an array or a URL string.");
        }

        var text = body.ToJsonString();
        if (Encoding.UTF8.GetByteCount(text) > _options.MaxContextBytes)
        {
            throw new JsonLdException(JsonLdErrorKind.Invalid, $"The context document is larger than the {_options.MaxContextBytes} bytes allowed.");
        }

        JsonElement element;
        using (var document = JsonDocument.Parse(text))
        {
            element = document.RootElement.GetProperty("@context").Clone();
        }

        // Validates every part and downloads (caches) the remote URLs it refers to.
        var layers = await new ContextLoader(this).LoadAsync(element, [], cancellationToken).ConfigureAwait(false);
        _ = JsonLdContext.Create(layers, element, JsonLdContext.CoreContextUrl);

        var localId = Guid.NewGuid().ToString("N");
        var entry = new RegistryEntry(
            LocalPathPrefix + localId, localId, JsonLdContextKind.Hosted, _timeProvider.GetUtcNow(), text, element, expiresAt: null);
        await PersistAsync(entry, cancellationToken).ConfigureAwait(false);
        _byId[localId] = entry;
        return entry.ToPublic();
    }

    public IReadOnlyList<JsonLdContextEntry> List(JsonLdContextKind? kind = null)
    {
        var now = _timeProvider.GetUtcNow();
        return _byId.Values
            .Where(e => e.IsCurrent(now) && (kind is null || e.Kind == kind))
            .OrderBy(e => e.CreatedAt)
            .ThenBy(e => e.LocalId, StringComparer.Ordinal)
            .Select(e => e.ToPublic())
            .ToList();
    }

    public bool TryGet(string localId, [NotNullWhen(true)] out JsonLdContextEntry? entry)
    {
        ArgumentNullException.ThrowIfNull(localId);
        if (_byId.TryGetValue(localId, out var stored) && stored.IsCurrent(_timeProvider.GetUtcNow()))
        {
            entry = stored.ToPublic();
            return true;
        }

        entry = null;
        return false;
    }

    public void Delete(string localId)
    {
        ArgumentNullException.ThrowIfNull(localId);
        var entry = GetStored(localId);
        if (ReferenceEquals(entry, CoreEntry))
        {
            throw new JsonLdException(JsonLdErrorKind.CannotDelete, "The NGSI-LD core @context cannot be deleted.");
        }

        if (!_byId.TryRemove(KeyValuePair.Create(localId, entry)))
        {
            throw NotFound(localId);
        }

        entry.MarkRemoved();
        switch (entry.Kind)
        {
            case JsonLdContextKind.Cached:
                _cachedByUrl.TryRemove(KeyValuePair.Create(entry.Url, entry));
                break;
            case JsonLdContextKind.ImplicitlyCreated:
                Interlocked.Decrement(ref _implicitCount);
                break;
            case JsonLdContextKind.Hosted:
                DeletePersisted(localId);
                break;
        }
    }

    public async ValueTask<JsonLdContextEntry> ReloadAsync(string localId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(localId);
        var entry = GetStored(localId);
        if (ReferenceEquals(entry, CoreEntry))
        {
            // Served from the embedded copy: there is nothing to download.
            return entry.ToPublic();
        }

        if (entry.Kind != JsonLdContextKind.Cached)
        {
            throw new JsonLdException(
                JsonLdErrorKind.CannotReload,
                $"Only Cached contexts can be reloaded; the context '{localId}' is {entry.Kind}.");
        }

        var uri = ValidateRemoteUrl(entry.Url);
        var reloaded = await StartDownload(entry.Url, uri).WaitAsync(cancellationToken).ConfigureAwait(false);
        return reloaded.ToPublic();
    }

    /// <summary>
    /// A context stored here that <paramref name="url"/> names: <c>/ngsi-ld/v1/jsonldContexts/{localId}</c>,
    /// relative or on any host.
    /// </summary>
    public bool TryGetLocal(string url, [NotNullWhen(true)] out RegistryEntry? entry)
    {
        entry = null;
        string path;
        if (url.StartsWith(LocalPathPrefix, StringComparison.Ordinal))
        {
            path = url;
        }
        else if (url.Contains(LocalPathPrefix, StringComparison.Ordinal)
            && Uri.TryCreate(url, UriKind.Absolute, out var uri)
            && uri.Scheme is "http" or "https")
        {
            path = uri.AbsolutePath;
        }
        else
        {
            return false;
        }

        if (!path.StartsWith(LocalPathPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var localId = Uri.UnescapeDataString(path[LocalPathPrefix.Length..]);
        var query = localId.IndexOfAny(['?', '#']);
        if (query >= 0)
        {
            localId = localId[..query];
        }

        return _byId.TryGetValue(localId, out entry) && entry.IsCurrent(_timeProvider.GetUtcNow());
    }

    /// <summary>
    /// The cached download of a remote context, downloading it (once, however many callers wait) when it is not
    /// cached or has expired. Throws <see cref="JsonLdException"/>.
    /// </summary>
    public async ValueTask<RegistryEntry> GetOrFetchAsync(string url, CancellationToken cancellationToken)
    {
        if (_cachedByUrl.TryGetValue(url, out var cached) && cached.IsCurrent(_timeProvider.GetUtcNow()))
        {
            return cached;
        }

        var uri = ValidateRemoteUrl(url);
        return await StartDownload(url, uri).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stores (or finds, by content) the ImplicitlyCreated context for a request's inline context.</summary>
    public RegistryEntry RegisterImplicit(string contextJson, JsonElement context)
    {
        var body = ImplicitBody(contextJson);
        var localId = Hash(body);
        var now = _timeProvider.GetUtcNow();
        if (_byId.TryGetValue(localId, out var existing) && existing.IsCurrent(now))
        {
            return existing;
        }

        lock (_implicitLock)
        {
            if (_byId.TryGetValue(localId, out existing) && existing.IsCurrent(now))
            {
                return existing;
            }

            var entry = new RegistryEntry(
                LocalPathPrefix + localId, localId, JsonLdContextKind.ImplicitlyCreated, now, body, context, expiresAt: null);
            _byId[localId] = entry;
            if (Interlocked.Increment(ref _implicitCount) > _options.ImplicitContextCapacity)
            {
                EvictLeastRecentlyUsed(JsonLdContextKind.ImplicitlyCreated, keep: entry);
            }

            return entry;
        }
    }

    /// <summary>The URL <see cref="RegisterImplicit"/> gives the context <paramref name="contextJson"/>.</summary>
    public static string ImplicitUrl(string contextJson) => LocalPathPrefix + Hash(ImplicitBody(contextJson));

    private static string ImplicitBody(string contextJson) => "{\"@context\":" + contextJson + "}";

    private Task<RegistryEntry> StartDownload(string url, Uri uri)
    {
        while (true)
        {
            if (_downloads.TryGetValue(url, out var running))
            {
                return running.Value;
            }

            var download = new Lazy<Task<RegistryEntry>>(() => DownloadAsync(url, uri));
            if (_downloads.TryAdd(url, download))
            {
                var task = download.Value;
                task.ContinueWith(
                    (_, state) => _downloads.TryRemove(KeyValuePair.Create(url, (Lazy<Task<RegistryEntry>>)state!)),
                    download,
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
                return task;
            }
        }
    }

    private async Task<RegistryEntry> DownloadAsync(string url, Uri uri)
    {
        // Shared by every waiter: only the fetch timeout cancels it, never one caller's token.
        var text = await _fetcher.FetchAsync(uri, CancellationToken.None).ConfigureAwait(false);
        var context = ParseContextDocument(text, url);
        var now = _timeProvider.GetUtcNow();
        RegistryEntry entry;
        lock (_cachedLock)
        {
            _cachedByUrl.TryGetValue(url, out var previous);
            entry = new RegistryEntry(
                url,
                Hash(url),
                JsonLdContextKind.Cached,
                now,
                text,
                context,
                now + _options.CacheDuration,
                previous?.Hits ?? 0,
                previous?.LastUsage);
            _cachedByUrl[url] = entry;
            _byId[entry.LocalId] = entry;
            previous?.MarkRemoved();

            while (_cachedByUrl.Count > _options.CacheCapacity)
            {
                var victim = _cachedByUrl.Values
                    .Where(e => !ReferenceEquals(e, entry))
                    .OrderBy(e => e.IsCurrent(now) ? 1 : 0)
                    .ThenBy(e => e.RecencyTicks)
                    .First();
                _cachedByUrl.TryRemove(KeyValuePair.Create(victim.Url, victim));
                _byId.TryRemove(KeyValuePair.Create(victim.LocalId, victim));
                victim.MarkRemoved();
            }
        }

        return entry;
    }

    private void EvictLeastRecentlyUsed(JsonLdContextKind kind, RegistryEntry keep)
    {
        var victim = _byId.Values
            .Where(e => e.Kind == kind && !ReferenceEquals(e, keep))
            .MinBy(e => e.RecencyTicks);
        if (victim is not null && _byId.TryRemove(KeyValuePair.Create(victim.LocalId, victim)))
        {
            victim.MarkRemoved();
            Interlocked.Decrement(ref _implicitCount);
        }
    }

    /// <summary>
    /// Checks that <paramref name="url"/> may be downloaded. Throws Invalid for a malformed URL, NotAvailable when
    /// the configuration forbids it.
    /// </summary>
    private Uri ValidateRemoteUrl(string url)
    {
        if (url.StartsWith('/'))
        {
            throw new JsonLdException(JsonLdErrorKind.NotAvailable, $"The @context '{url}' is not known to this broker.");
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new JsonLdException(JsonLdErrorKind.Invalid, $"The @context '{url}' is not an HTTP(S) URL.");
        }

        RemoteContextFetcher.CheckAllowed(url, uri, _options);
        return uri;
    }

    /// <summary>
    /// Parses a context document (<c>{"@context": ...}</c>) and checks its shape and its inline objects; nested URLs
    /// are resolved later. Throws Invalid.
    /// </summary>
    internal static JsonElement ParseContextDocument(string text, string source)
    {
        JsonElement context;
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("@context", out var member))
            {
                throw new JsonLdException(JsonLdErrorKind.Invalid, $"The document '{source}' is not a JSON-LD context: it has no @context member.");
            }

            context = member.Clone();
        }
        catch (JsonException e)
        {
            throw new JsonLdException(JsonLdErrorKind.Invalid, $"The document '{source}' is not valid JSON: {e.Message}", e);
        }

        switch (context.ValueKind)
        {
            case JsonValueKind.Object:
                ContextLayer.Parse(context, allowScopedContexts: false);
                break;
            case JsonValueKind.String or JsonValueKind.Null:
                break;
            case JsonValueKind.Array:
                foreach (var item in context.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Object)
                    {
                        ContextLayer.Parse(item, allowScopedContexts: false);
                    }
                    else if (item.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                    {
                        throw new JsonLdException(
                            JsonLdErrorKind.Invalid,
                            $"The @context of '{source}' contains {ContextLayer.Describe(item.ValueKind)}; only URLs and objects are allowed.");
                    }
                }

                break;
            default:
                throw new JsonLdException(
                    JsonLdErrorKind.Invalid,
                    $"The @context of '{source}' is {ContextLayer.Describe(context.ValueKind)}; expected an object, an array or a URL.");
        }

        return context;
    }

    private RegistryEntry GetStored(string localId) =>
        _byId.TryGetValue(localId, out var entry) && entry.IsCurrent(_timeProvider.GetUtcNow()) ? entry : throw NotFound(localId);

    private static JsonLdException NotFound(string localId) =>
        new(JsonLdErrorKind.NotFound, $"No @context with local id '{localId}' is known.");

    private static string Hash(string value) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)).AsSpan(0, 16));

    private static bool IsSafeLocalId(string localId) =>
        localId.Length is > 0 and <= 128 && localId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
