using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.JsonLd.Processing;

namespace Aeros.JsonLd;

/// <summary>
/// A resolved, immutable JSON-LD context as NGSI-LD uses it: user contexts first, the core context last
/// (it is protected and always wins). Only names are expanded (types, attribute names, vocab values).
/// Instances are cached and shared between requests, so every member is thread-safe.
/// </summary>
public sealed class JsonLdContext
{
    /// <summary>The URL of the embedded core context.</summary>
    public const string CoreContextUrl = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld";

    /// <summary>Upper bound of each per-context memo (expansions, compactions); beyond it results are computed, not stored.</summary>
    internal const int MaxMemoEntries = 10_000;

    private static readonly Lazy<JsonLdContext> CoreInstance = new(() => Create([], null, CoreContextUrl));

    private readonly JsonElement? _source;
    private readonly FrozenDictionary<string, string> _terms;
    private readonly FrozenDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _prefixes;
    private readonly FrozenDictionary<string, string> _iriToTerm;
    private readonly KeyValuePair<string, string>[] _compactionPrefixes;
    private readonly ConcurrentDictionary<string, string> _expanded = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _compacted = new(StringComparer.Ordinal);
    private int _memoCount;

    private JsonLdContext(
        JsonElement? source,
        string linkUrl,
        string vocab,
        FrozenDictionary<string, string> terms,
        FrozenDictionary<string, string> prefixes,
        FrozenDictionary<string, string> iriToTerm,
        KeyValuePair<string, string>[] compactionPrefixes)
    {
        _source = source;
        SourceJson = source?.GetRawText();
        LinkUrl = linkUrl;
        Vocab = vocab;
        _terms = terms;
        _prefixes = prefixes.GetAlternateLookup<ReadOnlySpan<char>>();
        _iriToTerm = iriToTerm;
        _compactionPrefixes = compactionPrefixes;
    }

    /// <summary>The NGSI-LD core context alone (the default when a request carries none).</summary>
    public static JsonLdContext Core => CoreInstance.Value;

    /// <summary>
    /// The user context exactly as the request sent it (a URL string, an array, or an object); null when the
    /// request carried none. Responses in application/ld+json echo it as their <c>@context</c>.
    /// Every read returns a new node that the caller may attach to a document or change.
    /// </summary>
    public JsonNode? Source => _source is { } source
        ? source.ValueKind switch
        {
            JsonValueKind.Object => JsonObject.Create(source),
            JsonValueKind.Array => JsonArray.Create(source),
            _ => JsonValue.Create(source),
        }
        : null;

    /// <summary>The user context as compact JSON text; null when the request carried none.</summary>
    public string? SourceJson { get; }

    /// <summary>
    /// The one URL a <c>Link</c> header can carry for this context: the single URL the request sent, the
    /// broker URL of the implicitly created context for arrays/objects (the relative path
    /// <c>/ngsi-ld/v1/jsonldContexts/{localId}</c>, to be made absolute by the caller), or the core context URL.
    /// </summary>
    public string LinkUrl { get; }

    /// <summary>The effective <c>@vocab</c>: the last user <c>@vocab</c>, else the core context's.</summary>
    public string Vocab { get; }

    /// <summary>
    /// Expands a type or attribute name: a term defined in the context, a compact IRI (<c>prefix:suffix</c>),
    /// an absolute IRI (kept), or else <c>@vocab</c> + name.
    /// </summary>
    public string ExpandTerm(string term)
    {
        ArgumentNullException.ThrowIfNull(term);
        return _terms.TryGetValue(term, out var iri) ? iri : ExpandUndefined(term);
    }

    /// <summary>
    /// Compacts an IRI to the term this context defines for it (the shortest, then the first in ordinal order),
    /// else to the IRI relative to <c>@vocab</c> (when that expands back to the IRI), else to a compact IRI through
    /// the longest matching prefix, else returns the IRI itself.
    /// </summary>
    public string CompactIri(string iri)
    {
        ArgumentNullException.ThrowIfNull(iri);
        if (_iriToTerm.TryGetValue(iri, out var term))
        {
            return term;
        }

        if (_compacted.TryGetValue(iri, out var compacted))
        {
            return compacted;
        }

        compacted = CompactUndefined(iri);
        Remember(_compacted, iri, compacted);
        return compacted;
    }

    /// <summary>Expands a VocabProperty value (vocab-relative, as a term with <c>@type: @vocab</c>).</summary>
    public string ExpandVocabValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (_terms.TryGetValue(value, out var iri))
        {
            // A keyword alias (id, type) names a keyword, not a vocabulary value.
            return iri.StartsWith('@') ? Vocab + value : iri;
        }

        return ExpandUndefined(value);
    }

    /// <summary>Compacts a VocabProperty value; the inverse of <see cref="ExpandVocabValue"/>.</summary>
    public string CompactVocabValue(string iri)
    {
        ArgumentNullException.ThrowIfNull(iri);
        return iri.StartsWith('@') ? iri : CompactIri(iri);
    }

    /// <summary>
    /// Builds a context from parsed user layers (in request order) followed by the protected core context.
    /// Throws <see cref="JsonLdException"/> (Invalid) for cyclic or unusable IRI mappings.
    /// </summary>
    internal static JsonLdContext Create(IReadOnlyList<ContextLayer> userLayers, JsonElement? source, string linkUrl)
    {
        var core = CoreContext.Layer;
        var coreVocab = core.Vocab ?? throw new InvalidOperationException("The core context has no @vocab.");

        var raw = new Dictionary<string, (TermDefinition Definition, string Vocab)>(StringComparer.Ordinal);
        string? userVocab = null;
        foreach (var layer in userLayers)
        {
            if (layer.HasVocab)
            {
                userVocab = layer.Vocab;
            }

            foreach (var (term, definition) in layer.Terms)
            {
                if (definition.IsNull)
                {
                    raw.Remove(term);
                }
                else
                {
                    raw[term] = (definition, userVocab ?? coreVocab);
                }
            }
        }

        // The core context is protected: its definitions win over any user definition of the same term.
        foreach (var (term, definition) in core.Terms)
        {
            if (definition.IsNull)
            {
                raw.Remove(term);
            }
            else
            {
                raw[term] = (definition, coreVocab);
            }
        }

        var resolver = new TermResolver(raw);
        var terms = new Dictionary<string, string>(StringComparer.Ordinal);
        var prefixes = new Dictionary<string, string>(StringComparer.Ordinal);
        var iriToTerm = new Dictionary<string, string>(StringComparer.Ordinal);
        var compactionPrefixes = new List<KeyValuePair<string, string>>();
        foreach (var (term, (definition, _)) in raw)
        {
            if (resolver.Resolve(term) is not { } iri)
            {
                continue;
            }

            terms[term] = iri;
            if (!iriToTerm.TryGetValue(iri, out var existing) || IsPreferredTerm(term, existing))
            {
                iriToTerm[iri] = term;
            }

            if (iri.StartsWith('@') || definition.PrefixFlag == false)
            {
                continue;
            }

            prefixes[term] = iri;
            if (!term.Contains(':') && (definition.PrefixFlag == true || (definition.IsSimple && EndsWithGenDelim(iri))))
            {
                compactionPrefixes.Add(new(iri, term));
            }
        }

        // Longest prefix IRI first; for equal IRIs the preferred term first.
        compactionPrefixes.Sort((a, b) =>
        {
            var byLength = b.Key.Length.CompareTo(a.Key.Length);
            if (byLength != 0)
            {
                return byLength;
            }

            var byIri = string.CompareOrdinal(a.Key, b.Key);
            return byIri != 0 ? byIri : IsPreferredTerm(a.Value, b.Value) ? -1 : IsPreferredTerm(b.Value, a.Value) ? 1 : 0;
        });

        return new JsonLdContext(
            source,
            linkUrl,
            userVocab ?? coreVocab,
            terms.ToFrozenDictionary(StringComparer.Ordinal),
            prefixes.ToFrozenDictionary(StringComparer.Ordinal),
            iriToTerm.ToFrozenDictionary(StringComparer.Ordinal),
            [.. compactionPrefixes]);
    }

    private string ExpandUndefined(string term)
    {
        if (term.Length == 0 || term[0] == '@')
        {
            return term;
        }

        if (_expanded.TryGetValue(term, out var iri))
        {
            return iri;
        }

        iri = ComputeExpansion(term);
        Remember(_expanded, term, iri);
        return iri;
    }

    private string ComputeExpansion(string term)
    {
        var colon = term.IndexOf(':');
        if (colon > 0)
        {
            var prefix = term.AsSpan(0, colon);
            var suffix = term.AsSpan(colon + 1);
            if (suffix.StartsWith("//", StringComparison.Ordinal) || prefix is "_")
            {
                return term;
            }

            if (_prefixes.TryGetValue(prefix, out var prefixIri))
            {
                return string.Concat(prefixIri, suffix);
            }

            if (ContextLayer.IsScheme(prefix))
            {
                return term;
            }
        }

        return Vocab + term;
    }

    private string CompactUndefined(string iri)
    {
        if (iri.Length > Vocab.Length && iri.StartsWith(Vocab, StringComparison.Ordinal))
        {
            var suffix = iri[Vocab.Length..];
            if (string.Equals(ExpandTerm(suffix), iri, StringComparison.Ordinal))
            {
                return suffix;
            }
        }

        foreach (var (prefixIri, prefixTerm) in _compactionPrefixes)
        {
            if (iri.Length > prefixIri.Length && iri.StartsWith(prefixIri, StringComparison.Ordinal))
            {
                var suffix = iri.AsSpan(prefixIri.Length);
                if (suffix.StartsWith("//", StringComparison.Ordinal))
                {
                    continue;
                }

                var candidate = string.Concat(prefixTerm, ":", suffix);
                if (string.Equals(ExpandTerm(candidate), iri, StringComparison.Ordinal))
                {
                    return candidate;
                }
            }
        }

        return iri;
    }

    /// <summary>Memoizes a result while both memos together hold fewer than <see cref="MaxMemoEntries"/> entries.</summary>
    private void Remember(ConcurrentDictionary<string, string> memo, string key, string value)
    {
        // ConcurrentDictionary.Count takes every lock; a counter keeps misses cheap once the memo is full.
        if (Volatile.Read(ref _memoCount) < MaxMemoEntries && memo.TryAdd(key, value))
        {
            Interlocked.Increment(ref _memoCount);
        }
    }

    /// <summary>Shortest term first, then the ordinal-smallest.</summary>
    private static bool IsPreferredTerm(string candidate, string current) =>
        candidate.Length != current.Length
            ? candidate.Length < current.Length
            : string.CompareOrdinal(candidate, current) < 0;

    private static bool EndsWithGenDelim(string iri) => iri[^1] is ':' or '/' or '?' or '#' or '[' or ']' or '@';

    /// <summary>Resolves raw term definitions to IRIs through the merged definitions, detecting cycles.</summary>
    private sealed class TermResolver(Dictionary<string, (TermDefinition Definition, string Vocab)> raw)
    {
        private readonly Dictionary<string, string?> _resolved = new(StringComparer.Ordinal);
        private readonly HashSet<string> _visiting = new(StringComparer.Ordinal);

        public string? Resolve(string term)
        {
            if (_resolved.TryGetValue(term, out var done))
            {
                return done;
            }

            if (!raw.TryGetValue(term, out var entry))
            {
                return null;
            }

            if (!_visiting.Add(term))
            {
                throw new JsonLdException(JsonLdErrorKind.Invalid, $"The definition of term '{term}' is cyclic.");
            }

            var value = entry.Definition.Id;
            var iri = value is null
                ? term.Contains(':') ? ExpandValue(term, entry.Vocab, term) : entry.Vocab + term
                : ExpandValue(value, entry.Vocab, term);
            _visiting.Remove(term);
            _resolved[term] = iri;
            return iri;
        }

        private string? ExpandValue(string value, string vocab, string self)
        {
            if (value.Length == 0)
            {
                throw new JsonLdException(JsonLdErrorKind.Invalid, $"Term '{self}' maps to an empty IRI.");
            }

            if (value[0] == '@')
            {
                return value;
            }

            var colon = value.IndexOf(':');
            if (colon > 0)
            {
                var prefix = value[..colon];
                var suffix = value.AsSpan(colon + 1);
                if (suffix.StartsWith("//", StringComparison.Ordinal) || prefix == "_")
                {
                    return value;
                }

                if (!string.Equals(prefix, self, StringComparison.Ordinal) && raw.ContainsKey(prefix))
                {
                    if (Resolve(prefix) is { } prefixIri && prefixIri[0] != '@')
                    {
                        return string.Concat(prefixIri, suffix);
                    }
                }

                if (ContextLayer.IsScheme(prefix))
                {
                    return value;
                }

                throw new JsonLdException(JsonLdErrorKind.Invalid, $"Term '{self}' maps to '{value}', which is not an IRI.");
            }

            if (!string.Equals(value, self, StringComparison.Ordinal) && raw.ContainsKey(value))
            {
                return Resolve(value);
            }

            return vocab + value;
        }
    }
}

/// <summary>Why a context could not be used, or why a context registry operation was refused.</summary>
public enum JsonLdErrorKind
{
    /// <summary>A remote context could not be fetched (NGSI-LD LdContextNotAvailable).</summary>
    NotAvailable,
    /// <summary>The context is not valid JSON-LD for NGSI-LD use (NGSI-LD BadRequestData).</summary>
    Invalid,
    /// <summary>No context with the given local id is known (NGSI-LD ResourceNotFound).</summary>
    NotFound,
    /// <summary>The context cannot be deleted, e.g. the core context (NGSI-LD BadRequestData).</summary>
    CannotDelete,
    /// <summary>Only Cached contexts can be reloaded (NGSI-LD BadRequestData).</summary>
    CannotReload,
}

/// <summary>A context could not be resolved, or a context registry operation was refused.</summary>
public sealed class JsonLdException(JsonLdErrorKind kind, string message, Exception? inner = null)
    : AerosException(message, inner)
{
    /// <summary>Why the context could not be used.</summary>
    public JsonLdErrorKind Kind { get; } = kind;
}
