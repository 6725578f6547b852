using Aeros.Orchestration.Federation;
using Aeros.Orchestration.Tests.TestSupport;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Aeros.Orchestration.Tests.Federation;

/// <summary>The loop's timing: back-off, resync delay on the injected clock, wake-ups.</summary>
public sealed class FederatorLoopTests
{
    [Theory]
    [InlineData(1, 0.5, 1000)]
    [InlineData(2, 0.5, 2000)]
    [InlineData(3, 0.5, 4000)]
    [InlineData(6, 0.5, 30000)]
    [InlineData(100, 0.5, 30000)]
    [InlineData(1, 0.0, 800)]
    [InlineData(1, 0.999999, 1200)]
    [InlineData(6, 0.999999, 30000)]
    public void Backoff_FailedPasses_DoublesUpToTheMaximumWithJitter(int failedPasses, double random, double expectedMs)
    {
        var options = new FederationOptions { RetryBaseDelay = TimeSpan.FromSeconds(1), RetryMaxDelay = TimeSpan.FromSeconds(30) };

        var delay = FederatorService.Backoff(options, failedPasses, random);

        Assert.Equal(expectedMs, delay.TotalMilliseconds, 0.5);
    }

    [Fact]
    public async Task WaitForNextPass_NoWake_EndsWhenTheFakeClockPassesTheDelay()
    {
        var time = new FakeTimeProvider();
        var federator = Federator(time);

        var wait = federator.WaitForNextPassAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(wait.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));

        await wait.Within("waiting for the delay");
    }

    [Fact]
    public async Task WaitForNextPass_WokenBeforeOrDuring_EndsAtOnceAndConsumesTheWake()
    {
        var time = new FakeTimeProvider();
        var federator = Federator(time);

        federator.Wake();
        federator.Wake();
        await federator.WaitForNextPassAsync(TimeSpan.FromHours(1), CancellationToken.None).Within("a wake that came before the wait");

        var wait = federator.WaitForNextPassAsync(TimeSpan.FromHours(1), CancellationToken.None);
        Assert.False(wait.IsCompleted);
        federator.Wake();
        await wait.Within("a wake during the wait");

        // Both wakes before the first wait count as one: the next wait runs its delay.
        var next = federator.WaitForNextPassAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));
        await next.Within("the delay after the wakes were used");
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000", "http://127.0.0.1:5000/")]
    [InlineData("http://0.0.0.0:5000", "http://127.0.0.1:5000/")]
    [InlineData("http://[::]:5000", "http://[::1]:5000/")]
    [InlineData("http://+:5000", "http://127.0.0.1:5000/")]
    public void ListeningUrl_WildcardAddresses_BecomeLoopback(string address, string expected)
    {
        var server = new AddressesServer(address);

        Assert.Equal(new Uri(expected), FederatorService.ListeningUrl(server));
    }

    private static DomainFederator Federator(TimeProvider time)
    {
        var options = Options.Create(new FederationOptions { DomainName = "x" });
        var client = new BrokerClient(new HttpClient(), options, time, NullLogger<BrokerClient>.Instance);
        return new DomainFederator(options, client, new FederationEndpoints(), time, NullLogger<DomainFederator>.Instance);
    }

    private sealed class AddressesServer : IServer
    {
        public AddressesServer(string address)
        {
            var addresses = new ServerAddressesFeature();
            addresses.Addresses.Add(address);
            Features.Set<IServerAddressesFeature>(addresses);
        }

        public IFeatureCollection Features { get; } = new FeatureCollection();

        public void Dispose()
        {
        }

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        private sealed class ServerAddressesFeature : IServerAddressesFeature
        {
            public ICollection<string> Addresses { get; } = [];

            public bool PreferHostingUrls { get; set; }
        }
    }
}
