using System.Text.Json;
using Aeros.JsonLd.Processing;
using Aeros.JsonLd.Registry;

namespace Aeros.JsonLd.Resolution;

/// <summary>
/// Turns an <c>@context</c> value (URL, object, array, nested arrays of URLs in remote documents) into parsed
/// layers in processing order, fetching remote documents through the registry. Core URLs add nothing: the core
/// context is appended last by <see cref="JsonLdContext.Create"/>.
/// </summary>
internal sealed class ContextLoader(JsonLdContextRegistry registry)
{
    /// <summary>How deep remote documents may refer to further remote documents.</summary>
    public const int MaxRemoteDepth = 10;

    /// <summary>Loads <paramref name="context"/>; every stored entry it used is added to <paramref name="used"/>.</summary>
    public async ValueTask<List<ContextLayer>> LoadAsync(JsonElement context, List<RegistryEntry> used, CancellationToken cancellationToken)
    {
        var layers = new List<ContextLayer>();
        await AddAsync(context, layers, used, [], topLevel: true, cancellationToken).ConfigureAwait(false);
        return layers;
    }

    private async ValueTask AddAsync(
        JsonElement context,
        List<ContextLayer> layers,
        List<RegistryEntry> used,
        List<string> loading,
        bool topLevel,
        CancellationToken cancellationToken)
    {
        switch (context.ValueKind)
        {
            case JsonValueKind.Null when !topLevel:
                // JSON-LD: null resets the active context (the core context is still appended at the end).
                layers.Clear();
                break;
            case JsonValueKind.String:
                await AddUrlAsync(context.GetString()!, layers, used, loading, cancellationToken).ConfigureAwait(false);
                break;
            case JsonValueKind.Object:
                layers.Add(ContextLayer.Parse(context, allowScopedContexts: false));
                break;
            case JsonValueKind.Array:
                foreach (var item in context.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Array)
                    {
                        throw new JsonLdException(JsonLdErrorKind.Invalid, "An @context array cannot contain another array.");
                    }

                    await AddAsync(item, layers, used, loading, topLevel: false, cancellationToken).ConfigureAwait(false);
                }

                break;
            default:
                throw new JsonLdException(
                    JsonLdErrorKind.Invalid,
                    $"An @context must be a URL, an object or an array, not {ContextLayer.Describe(context.ValueKind)}.");
        }
    }

    private async ValueTask AddUrlAsync(
        string url,
        List<ContextLayer> layers,
        List<RegistryEntry> used,
        List<string> loading,
        CancellationToken cancellationToken)
    {
        if (CoreContext.IsCoreUrl(url))
        {
            used.Add(registry.CoreEntry);
            return;
        }

        if (loading.Contains(url))
        {
            throw new JsonLdException(JsonLdErrorKind.Invalid, $"The @context '{url}' includes itself (recursive context inclusion).");
        }

        if (loading.Count >= MaxRemoteDepth)
        {
            throw new JsonLdException(JsonLdErrorKind.Invalid, $"The @context '{url}' is nested more than {MaxRemoteDepth} documents deep.");
        }

        var entry = registry.TryGetLocal(url, out var local)
            ? local
            : await registry.GetOrFetchAsync(url, cancellationToken).ConfigureAwait(false);
        used.Add(entry);
        loading.Add(url);
        await AddAsync(entry.Context, layers, used, loading, topLevel: false, cancellationToken).ConfigureAwait(false);
        loading.RemoveAt(loading.Count - 1);
    }
}
