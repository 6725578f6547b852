using System.Text.Json.Nodes;

namespace Aeros.JsonLd;

/// <summary>
/// A resolved, immutable JSON-LD context as NGSI-LD uses it: user contexts first, the core context last
/// (it is protected and always wins). Only names are expanded (types, attribute names, vocab values).
/// Instances are cached and shared between requests, so every member is thread-safe.
/// </summary>
public sealed partial class JsonLdContext
{
    /// <summary>The NGSI-LD core context alone (the default when a request carries none).</summary>
    public static JsonLdContext Core => throw new NotImplementedException();

    /// <summary>The URL of the embedded core context.</summary>
    public const string CoreContextUrl = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld";

    /// <summary>
    /// The user context exactly as the request sent it (a URL string, an array, or an object); null when the
    /// request carried none. Responses in application/ld+json echo it as their <c>@context</c>.
    /// </summary>
    public JsonNode? Source => throw new NotImplementedException();

    /// <summary>
    /// The one URL a <c>Link</c> header can carry for this context: the single URL the request sent, the
    /// broker URL of the implicitly created context for arrays/objects, or the core context URL.
    /// </summary>
    public string LinkUrl => throw new NotImplementedException();

    /// <summary>
    /// Expands a type or attribute name: a term defined in the context, a compact IRI (<c>prefix:suffix</c>),
    /// an absolute IRI (kept), or else <c>@vocab</c> + name.
    /// </summary>
    public string ExpandTerm(string term) => throw new NotImplementedException();

    /// <summary>
    /// Compacts an IRI to the term this context defines for it (the shortest, then the first in ordinal order),
    /// else a compact IRI through a prefix, else the IRI relative to <c>@vocab</c>, else the IRI itself.
    /// </summary>
    public string CompactIri(string iri) => throw new NotImplementedException();

    /// <summary>Expands a VocabProperty value (vocab-relative, as a term with <c>@type: @vocab</c>).</summary>
    public string ExpandVocabValue(string value) => throw new NotImplementedException();

    /// <summary>Compacts a VocabProperty value; the inverse of <see cref="ExpandVocabValue"/>.</summary>
    public string CompactVocabValue(string iri) => throw new NotImplementedException();
}

/// <summary>Why a context could not be used.</summary>
public enum JsonLdErrorKind
{
    /// <summary>A remote context could not be fetched (NGSI-LD LdContextNotAvailable).</summary>
    NotAvailable,
    /// <summary>The context is not valid JSON-LD for NGSI-LD use (NGSI-LD BadRequestData).</summary>
    Invalid,
}

/// <summary>A context could not be resolved.</summary>
public sealed class JsonLdException(JsonLdErrorKind kind, string message, Exception? inner = null)
    : AerosException(message, inner)
{
    /// <summary>Why the context could not be used.</summary>
    public JsonLdErrorKind Kind { get; } = kind;
}
