using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Aeros.JsonLd.Tests;

public sealed class JsonLdServiceCollectionExtensionsTests
{
    [Fact]
    public void AddAerosJsonLd_CalledTwice_RegistersEachServiceOnce()
    {
        var services = new ServiceCollection();

        services.AddAerosJsonLd().AddAerosJsonLd();

        Assert.Single(services, d => d.ServiceType == typeof(IJsonLdContextResolver));
        Assert.Single(services, d => d.ServiceType == typeof(IJsonLdContextRegistry));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<JsonLdOptions>));
        using var provider = services.BuildServiceProvider();
        Assert.NotNull(provider.GetRequiredService<IJsonLdContextResolver>());
        Assert.NotNull(provider.GetRequiredService<IJsonLdContextRegistry>());
    }

    [Fact]
    public void AddAerosJsonLd_HostRegisteredResolverFirst_KeepsHostResolver()
    {
        var services = new ServiceCollection();
        var custom = new CoreOnlyResolver();
        services.AddSingleton<IJsonLdContextResolver>(custom);

        services.AddAerosJsonLd();

        using var provider = services.BuildServiceProvider();
        Assert.Same(custom, provider.GetRequiredService<IJsonLdContextResolver>());
    }

    [Fact]
    public void AddAerosJsonLd_Defaults_MatchDocumentedConstants()
    {
        using var provider = new ServiceCollection().AddAerosJsonLd().BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<JsonLdOptions>>().Value;

        Assert.True(options.AllowRemoteContexts);
        Assert.Empty(options.AllowedRemoteHosts);
        Assert.Equal(TimeSpan.FromSeconds(5), options.RemoteFetchTimeout);
        Assert.Equal(1024 * 1024, options.MaxContextBytes);
        Assert.Equal(256, options.CacheCapacity);
        Assert.Equal(TimeSpan.FromHours(1), options.CacheDuration);
        Assert.Null(options.DataDirectory);
    }

    [Fact]
    public void AddAerosJsonLd_InvalidOptions_FailAtStartListingEveryError()
    {
        using var provider = new ServiceCollection()
            .AddAerosJsonLd(o =>
            {
                o.CacheCapacity = 0;
                o.RemoteFetchTimeout = TimeSpan.Zero;
                o.AllowedRemoteHosts = [" "];
            })
            .BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Equal(3, e.Failures.Count());
        Assert.Contains(e.Failures, f => f.Contains(nameof(JsonLdOptions.CacheCapacity), StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains(nameof(JsonLdOptions.RemoteFetchTimeout), StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains(nameof(JsonLdOptions.AllowedRemoteHosts), StringComparison.Ordinal));
    }

    private sealed class CoreOnlyResolver : IJsonLdContextResolver
    {
        public ValueTask<JsonLdContext> ResolveAsync(System.Text.Json.Nodes.JsonNode? userContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(JsonLdContext.Core);
    }
}
