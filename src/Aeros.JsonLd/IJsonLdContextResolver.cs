using System.Text.Json.Nodes;

namespace Aeros.JsonLd;

/// <summary>Turns the @context a request carries into a resolved <see cref="JsonLdContext"/>.</summary>
public interface IJsonLdContextResolver
{
    /// <summary>
    /// Resolves a user context: null (core only), a URL string, an array of URLs and/or objects, or an
    /// inline object. Remote URLs are fetched through the bounded, time-limited cache; the core context
    /// URLs are served from the embedded copy. Throws <see cref="JsonLdException"/>.
    /// </summary>
    ValueTask<JsonLdContext> ResolveAsync(JsonNode? userContext, CancellationToken cancellationToken);
}
