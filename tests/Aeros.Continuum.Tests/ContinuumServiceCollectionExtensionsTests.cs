using Aeros.Abstractions.Continuum;
using Aeros.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Aeros.Continuum.Tests;

public sealed class ContinuumServiceCollectionExtensionsTests
{
    [Fact]
    public async Task AddContinuumClient_BrokerUrl_ResolvesAWorkingClient()
    {
        await using var broker = await TestBroker.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await using var provider = new ServiceCollection()
            .AddLogging()
            .AddContinuumClient(o => o.BrokerUrl = broker.Url)
            .BuildServiceProvider();

        var client = provider.GetRequiredService<ContinuumClient>();
        var domain = new Domain { Id = ContinuumIds.Domain("di"), DomainStatus = DomainStatus.Functional };
        await client.UpsertAsync(domain).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Same(client, provider.GetRequiredService<ContinuumClient>());
        Assert.Equal(DomainStatus.Functional, (await client.GetAsync<Domain>(domain.Id).WaitAsync(TimeSpan.FromSeconds(30)))!.DomainStatus);
    }

    [Fact]
    public void AddContinuumClient_NoBrokerUrl_FailsValidationListingTheError()
    {
        using var provider = new ServiceCollection().AddContinuumClient(o => o.MaxAttempts = 0).BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ContinuumClientOptions>>().Value);

        Assert.Contains(e.Failures, f => f.Contains("BrokerUrl", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("MaxAttempts", StringComparison.Ordinal));
    }
}
