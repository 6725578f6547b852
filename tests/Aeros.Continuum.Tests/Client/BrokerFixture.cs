using Aeros.Testing;

namespace Aeros.Continuum.Tests.Client;

/// <summary>One real broker shared by the tests of a class, with a client for it.</summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    public TestBroker Broker { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public ContinuumClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Broker = await TestBroker.StartAsync();
        Http = Broker.CreateHttpClient();
        Client = new ContinuumClient(Http, new ContinuumClientOptions(), TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Broker is not null)
        {
            await Broker.DisposeAsync();
        }
    }
}
