using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;

namespace Aeros.JsonLd;

/// <summary>How a context came to be known by the broker (NGSI-LD §5.2.35 <c>kind</c>).</summary>
public enum JsonLdContextKind
{
    /// <summary>POSTed to <c>/jsonldContexts</c> by a user; kept until deleted.</summary>
    Hosted,
    /// <summary>A remote context the broker downloaded and caches (and the embedded core context).</summary>
    Cached,
    /// <summary>An inline or multi-entry context received in a request, stored so a Link header can point to it.</summary>
    ImplicitlyCreated,
}

/// <summary>A snapshot of one context known by the broker, as <c>GET /jsonldContexts?details=true</c> shows it.</summary>
/// <param name="Url">The URL to use as <c>@context</c>: the remote URL for Cached contexts, else the relative broker
/// path <c>/ngsi-ld/v1/jsonldContexts/{localId}</c> (the caller makes it absolute).</param>
/// <param name="LocalId">The id in <c>/jsonldContexts/{localId}</c>.</param>
/// <param name="Kind">How the context came to be known.</param>
/// <param name="CreatedAt">When it was stored (downloaded, for Cached contexts).</param>
/// <param name="LastUsage">When a request last used it; null if never.</param>
/// <param name="NumberOfHits">How many requests used it.</param>
/// <param name="BodyJson">The document <c>{"@context": ...}</c> exactly as received or downloaded.</param>
/// <param name="ExpiresAt">When a Cached context will be downloaded again; null for the others.</param>
public sealed record JsonLdContextEntry(
    string Url,
    string LocalId,
    JsonLdContextKind Kind,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsage,
    long NumberOfHits,
    string BodyJson,
    DateTimeOffset? ExpiresAt)
{
    /// <summary>Parses <see cref="BodyJson"/> into a new node.</summary>
    public JsonNode ParseBody() => JsonNode.Parse(BodyJson)!;
}

/// <summary>
/// The contexts the broker knows (the <c>/jsonldContexts</c> API, NGSI-LD §5.13). Errors are
/// <see cref="JsonLdException"/>s whose <see cref="JsonLdException.Kind"/> tells the HTTP mapping.
/// </summary>
public interface IJsonLdContextRegistry
{
    /// <summary>
    /// Stores a user context (<c>POST /jsonldContexts</c>). The body must be an object whose <c>@context</c> is an
    /// object, an array or a URL string; remote URLs inside are downloaded and cached. Throws Invalid or NotAvailable.
    /// </summary>
    ValueTask<JsonLdContextEntry> AddHostedAsync(JsonNode contextDocumentBody, CancellationToken cancellationToken);

    /// <summary>All current entries, optionally of one kind; the core context is listed as Cached.</summary>
    IReadOnlyList<JsonLdContextEntry> List(JsonLdContextKind? kind = null);

    /// <summary>One entry by local id; false when unknown.</summary>
    bool TryGet(string localId, [NotNullWhen(true)] out JsonLdContextEntry? entry);

    /// <summary>
    /// Removes an entry (a Cached one is dropped from the cache). Throws NotFound for an unknown id and
    /// CannotDelete for the core context.
    /// </summary>
    void Delete(string localId);

    /// <summary>
    /// Downloads a Cached context again. Throws NotFound for an unknown id, CannotReload for Hosted and
    /// ImplicitlyCreated contexts, NotAvailable or Invalid when the download fails.
    /// </summary>
    ValueTask<JsonLdContextEntry> ReloadAsync(string localId, CancellationToken cancellationToken);
}
