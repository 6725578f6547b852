using Microsoft.Extensions.DependencyInjection;

namespace Aeros.JsonLd;

/// <summary>Registers the JSON-LD module.</summary>
public static class JsonLdServiceCollectionExtensions
{
    /// <summary>Adds the context resolver, the context registry and <see cref="JsonLdOptions"/>.</summary>
    public static IServiceCollection AddAerosJsonLd(this IServiceCollection services, Action<JsonLdOptions>? configure = null)
        => throw new NotImplementedException();
}

/// <summary>Options of the JSON-LD module.</summary>
public sealed class JsonLdOptions
{
}
