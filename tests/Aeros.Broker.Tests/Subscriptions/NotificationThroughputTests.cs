using System.Diagnostics;
using System.Net;
using System.Text;
using Xunit.Abstractions;

namespace Aeros.Broker.Tests.Subscriptions;

/// <summary>Matching and rendering throughput with many subscriptions (the delivery side is a fake).</summary>
[Trait("Category", "Performance")]
public sealed class NotificationThroughputTests(ITestOutputHelper output) : IAsyncLifetime
{
    private SubscriptionHost _host = null!;

    public async Task InitializeAsync() => _host = await SubscriptionHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task ThousandSubscriptions_BatchOfChanges_RenderedAtLeast5000PerSecond()
    {
        const int subscriptions = 1000;
        const int entities = 100;
        var type = "Load" + Guid.NewGuid().ToString("N");
        var body = "{\"type\": \"Subscription\", \"entities\": [{\"type\": \"" + type + "\"}], \"watchedAttributes\": [\"op\"], "
            + "\"notification\": {\"attributes\": [\"op\"], \"format\": \"keyValues\", \"endpoint\": {\"uri\": \"http://127.0.0.1:1/n\"}}}";
        for (var i = 0; i < subscriptions; i += 50)
        {
            await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => _host.SubscribeAsync(body)));
        }
        var batch = new StringBuilder("[");
        for (var i = 0; i < entities; i++)
        {
            batch.Append(i == 0 ? "" : ",").Append("{\"id\": \"urn:ngsi-ld:").Append(type).Append(':').Append(i)
                .Append("\", \"type\": \"").Append(type).Append("\", \"op\": {\"type\": \"Property\", \"value\": ").Append(i).Append("}}");
        }
        batch.Append(']');

        var watch = Stopwatch.StartNew();
        await _host.WriteEntityAsync(HttpMethod.Post, "/entityOperations/create", batch.ToString(), HttpStatusCode.Created);
        await _host.WaitQueuedAsync((long)subscriptions * entities, TimeSpan.FromSeconds(60));
        watch.Stop();

        var rate = subscriptions * entities / watch.Elapsed.TotalSeconds;
        output.WriteLine($"{subscriptions * entities} notifications matched and rendered in {watch.Elapsed.TotalMilliseconds:0} ms: {rate:N0}/s");
        Assert.True(rate >= 5000, $"only {rate:N0} notifications/s");
    }
}
