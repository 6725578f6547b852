using System.Text.Json;

namespace Aeros.JsonLd.Processing;

/// <summary>One term definition of a local context, before IRIs are resolved.</summary>
/// <param name="Id">The raw <c>@id</c> (or the string value of a simple definition); null when absent.</param>
/// <param name="IsNull">The term is explicitly undefined (<c>"term": null</c> or <c>"@id": null</c>).</param>
/// <param name="IsSimple">The definition was a plain string (such a term may serve as a prefix).</param>
/// <param name="PrefixFlag">The <c>@prefix</c> member of an expanded definition, when present.</param>
internal sealed record TermDefinition(string? Id, bool IsNull, bool IsSimple, bool? PrefixFlag)
{
    public static readonly TermDefinition Null = new(null, true, false, null);
}

/// <summary>
/// A parsed local context (one JSON object of an <c>@context</c>): its term definitions in document order and
/// its <c>@vocab</c>. Only what NGSI-LD name expansion needs is kept; the rest is validated and dropped.
/// </summary>
internal sealed class ContextLayer
{
    private ContextLayer(List<KeyValuePair<string, TermDefinition>> terms, bool hasVocab, string? vocab, bool isProtected)
    {
        Terms = terms;
        HasVocab = hasVocab;
        Vocab = vocab;
        IsProtected = isProtected;
    }

    /// <summary>Term definitions in document order.</summary>
    public IReadOnlyList<KeyValuePair<string, TermDefinition>> Terms { get; }

    /// <summary>The context sets <c>@vocab</c> (possibly to null, which resets it).</summary>
    public bool HasVocab { get; }

    public string? Vocab { get; }

    public bool IsProtected { get; }

    /// <summary>Parses a local context object. Throws <see cref="JsonLdException"/> (Invalid).</summary>
    /// <param name="context">A JSON object.</param>
    /// <param name="allowScopedContexts">False for user contexts: a term with its own <c>@context</c> is rejected.</param>
    public static ContextLayer Parse(JsonElement context, bool allowScopedContexts)
    {
        if (context.ValueKind != JsonValueKind.Object)
        {
            throw Invalid($"A local context must be a JSON object, not {Describe(context.ValueKind)}.");
        }

        var terms = new List<KeyValuePair<string, TermDefinition>>();
        var hasVocab = false;
        string? vocab = null;
        var isProtected = false;
        foreach (var property in context.EnumerateObject())
        {
            var name = property.Name;
            var value = property.Value;
            switch (name)
            {
                case "@vocab":
                    hasVocab = true;
                    vocab = value.ValueKind switch
                    {
                        JsonValueKind.Null => null,
                        JsonValueKind.String when IsAbsoluteIri(value.GetString()!) => value.GetString(),
                        _ => throw Invalid("The @vocab of a context must be an absolute IRI or null."),
                    };
                    continue;
                case "@version":
                    if (value.ValueKind != JsonValueKind.Number || value.GetDouble() != 1.1)
                    {
                        throw Invalid("The @version of a context must be the number 1.1.");
                    }
                    continue;
                case "@protected":
                    if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        throw Invalid("The @protected member of a context must be true or false.");
                    }
                    isProtected = value.ValueKind == JsonValueKind.True;
                    continue;
                case "@language":
                    if (value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                    {
                        throw Invalid("The @language member of a context must be a string or null.");
                    }
                    continue;
                case "@base" or "@direction" or "@propagate":
                    continue;
                case "@import":
                    throw Invalid("@import in a context is not supported.");
                case "@context":
                    throw Invalid("A context object cannot contain an @context member.");
                case "":
                    throw Invalid("A context cannot define the empty term.");
            }

            if (name[0] == '@')
            {
                // Keyword-like names cannot be (re)defined; JSON-LD processors ignore them.
                continue;
            }

            terms.Add(new(name, ParseDefinition(name, value, allowScopedContexts)));
        }

        return new ContextLayer(terms, hasVocab, vocab, isProtected);
    }

    private static TermDefinition ParseDefinition(string term, JsonElement value, bool allowScopedContexts)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return TermDefinition.Null;
            case JsonValueKind.String:
                return new TermDefinition(value.GetString(), false, true, null);
            case JsonValueKind.Object:
                break;
            default:
                throw Invalid($"The definition of term '{term}' must be a string, an object or null, not {Describe(value.ValueKind)}.");
        }

        string? id = null;
        var idIsNull = false;
        bool? prefix = null;
        var reverse = false;
        foreach (var member in value.EnumerateObject())
        {
            switch (member.Name)
            {
                case "@id":
                    if (member.Value.ValueKind == JsonValueKind.Null)
                    {
                        idIsNull = true;
                    }
                    else if (member.Value.ValueKind == JsonValueKind.String)
                    {
                        id = member.Value.GetString();
                    }
                    else
                    {
                        throw Invalid($"The @id of term '{term}' must be a string or null.");
                    }
                    break;
                case "@type":
                    if (member.Value.ValueKind != JsonValueKind.String)
                    {
                        throw Invalid($"The @type of term '{term}' must be a string.");
                    }
                    break;
                case "@container":
                    if (member.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Array or JsonValueKind.Null))
                    {
                        throw Invalid($"The @container of term '{term}' must be a string or an array.");
                    }
                    break;
                case "@prefix":
                    if (member.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        throw Invalid($"The @prefix of term '{term}' must be true or false.");
                    }
                    prefix = member.Value.ValueKind == JsonValueKind.True;
                    break;
                case "@context":
                    if (!allowScopedContexts)
                    {
                        throw Invalid($"Term '{term}' defines a scoped context; scoped contexts are not supported in NGSI-LD.");
                    }
                    break;
                case "@reverse":
                    reverse = true;
                    break;
                case "@protected" or "@language" or "@direction" or "@index" or "@nest":
                    break;
                default:
                    throw Invalid($"The definition of term '{term}' has an unknown member '{member.Name}'.");
            }
        }

        // Reverse properties never name an attribute or a type: such terms are left undefined.
        return idIsNull || reverse ? TermDefinition.Null : new TermDefinition(id, false, false, prefix);
    }

    /// <summary>A string with a scheme (<c>scheme:rest</c>) or a blank node identifier.</summary>
    public static bool IsAbsoluteIri(string value)
    {
        var colon = value.IndexOf(':');
        return colon > 0 && (IsScheme(value.AsSpan(0, colon)) || value.AsSpan(0, colon) is "_");
    }

    /// <summary>RFC 3986 scheme: a letter followed by letters, digits, '+', '-' or '.'.</summary>
    public static bool IsScheme(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty || !char.IsAsciiLetter(value[0]))
        {
            return false;
        }

        foreach (var c in value[1..])
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    internal static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static JsonLdException Invalid(string message) => new(JsonLdErrorKind.Invalid, message);
}
