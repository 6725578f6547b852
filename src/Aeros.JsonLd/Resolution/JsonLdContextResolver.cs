using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.JsonLd.Registry;
using Microsoft.Extensions.Options;

namespace Aeros.JsonLd.Resolution;

/// <summary>
/// Resolves request contexts, keeping the resolved <see cref="JsonLdContext"/> per distinct context JSON so a
/// repeated context costs one dictionary lookup. A resolved context is rebuilt when a stored context it was built
/// from expires, is deleted or is reloaded.
/// </summary>
internal sealed class JsonLdContextResolver(
    JsonLdContextRegistry registry,
    IOptions<JsonLdOptions> options,
    TimeProvider timeProvider) : IJsonLdContextResolver
{
    private readonly ConcurrentDictionary<string, ResolvedContext> _resolved = new(StringComparer.Ordinal);
    private readonly int _capacity = options.Value.ResolvedContextCacheCapacity;
    private readonly Lock _evictionLock = new();

    /// <summary>How many resolved contexts are kept (for tests and metrics).</summary>
    internal int CachedCount => _resolved.Count;

    public async ValueTask<JsonLdContext> ResolveAsync(JsonNode? userContext, CancellationToken cancellationToken)
    {
        if (userContext is null)
        {
            return JsonLdContext.Core;
        }

        var key = userContext.ToJsonString();
        var now = timeProvider.GetUtcNow();
        if (_resolved.TryGetValue(key, out var resolved) && resolved.IsCurrent(now))
        {
            resolved.RecordUse(now);
            return resolved.Context;
        }

        resolved = await BuildAsync(key, cancellationToken).ConfigureAwait(false);
        _resolved[key] = resolved;
        if (_resolved.Count > _capacity)
        {
            Evict();
        }

        resolved.RecordUse(timeProvider.GetUtcNow());
        return resolved.Context;
    }

    private async ValueTask<ResolvedContext> BuildAsync(string json, CancellationToken cancellationToken)
    {
        JsonElement element;
        using (var document = JsonDocument.Parse(json))
        {
            element = document.RootElement.Clone();
        }

        if (element.ValueKind is not (JsonValueKind.String or JsonValueKind.Array or JsonValueKind.Object))
        {
            throw new JsonLdException(
                JsonLdErrorKind.Invalid,
                $"An @context must be a URL, an object or an array, not {Processing.ContextLayer.Describe(element.ValueKind)}.");
        }

        var used = new List<RegistryEntry>();
        var layers = await new ContextLoader(registry).LoadAsync(element, used, cancellationToken).ConfigureAwait(false);

        JsonLdContext context;
        if (SingleUrl(element) is { } url)
        {
            context = JsonLdContext.Create(layers, element, url);
        }
        else
        {
            // Built (and so validated) before it is stored: an invalid context never becomes an ImplicitlyCreated entry.
            context = JsonLdContext.Create(layers, element, JsonLdContextRegistry.ImplicitUrl(json));
            used.Add(registry.RegisterImplicit(json, element));
        }

        return new ResolvedContext(context, [.. used.Distinct()], timeProvider.GetUtcNow().UtcTicks);
    }

    private static string? SingleUrl(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Array when element.GetArrayLength() == 1 && element[0].ValueKind == JsonValueKind.String => element[0].GetString(),
        _ => null,
    };

    /// <summary>Drops the least recently used quarter when over capacity.</summary>
    private void Evict()
    {
        lock (_evictionLock)
        {
            var excess = _resolved.Count - _capacity;
            if (excess <= 0)
            {
                return;
            }

            var victims = _resolved
                .OrderBy(pair => pair.Value.LastUsedTicks)
                .Take(Math.Max(excess, _capacity / 4))
                .ToList();
            foreach (var victim in victims)
            {
                _resolved.TryRemove(victim);
            }
        }
    }

    private sealed class ResolvedContext(JsonLdContext context, RegistryEntry[] dependencies, long createdTicks)
    {
        private long _lastUsedTicks = createdTicks;

        public JsonLdContext Context { get; } = context;

        public long LastUsedTicks => Interlocked.Read(ref _lastUsedTicks);

        public bool IsCurrent(DateTimeOffset now)
        {
            foreach (var dependency in dependencies)
            {
                if (!dependency.IsCurrent(now))
                {
                    return false;
                }
            }

            return true;
        }

        public void RecordUse(DateTimeOffset now)
        {
            Interlocked.Exchange(ref _lastUsedTicks, now.UtcTicks);
            foreach (var dependency in dependencies)
            {
                dependency.RecordUse(now);
            }
        }
    }
}
