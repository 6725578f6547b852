using System.Collections.Frozen;
using System.Text;
using System.Text.Json;

namespace Aeros.JsonLd.Processing;

/// <summary>The embedded NGSI-LD core context and the URLs it is known by.</summary>
internal static class CoreContext
{
    private const string ResourceName = "Aeros.JsonLd.ngsi-ld-core-context-v1.9.jsonld";

    /// <summary>Every URL served from the embedded copy; these are never fetched.</summary>
    public static readonly FrozenSet<string> KnownUrls = FrozenSet.Create(
        StringComparer.Ordinal,
        JsonLdContext.CoreContextUrl,
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld",
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.7.jsonld",
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld",
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.5.jsonld",
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.4.jsonld",
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.3.jsonld",
        "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld");

    private static readonly Lazy<(string Text, ContextLayer Layer)> Loaded = new(Load);

    /// <summary>The embedded document (<c>{"@context": {...}}</c>) as text.</summary>
    public static string DocumentText => Loaded.Value.Text;

    /// <summary>The parsed core context.</summary>
    public static ContextLayer Layer => Loaded.Value.Layer;

    public static bool IsCoreUrl(string url) => KnownUrls.Contains(url);

    private static (string, ContextLayer) Load()
    {
        using var stream = typeof(CoreContext).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource '{ResourceName}' is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = reader.ReadToEnd();
        using var document = JsonDocument.Parse(text);
        // The core context itself uses a scoped context (ngsildproof); it is trusted.
        var layer = ContextLayer.Parse(document.RootElement.GetProperty("@context"), allowScopedContexts: true);
        return (text, layer);
    }
}
