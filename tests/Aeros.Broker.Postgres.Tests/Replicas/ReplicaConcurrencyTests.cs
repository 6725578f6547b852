using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Tests.TestSupport;
using Aeros.Testing;
using Xunit.Abstractions;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Postgres.Tests.Replicas;

/// <summary>
/// Two broker processes (<c>aeros broker --store postgres</c>) on one database, written concurrently through both:
/// no lost updates, one winner among conflicting creates, subscriptions known to both and fired once per change.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ReplicaConcurrencyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "aeros-replicas-" + Guid.NewGuid().ToString("N"));
    private BrokerProcess? _a;
    private BrokerProcess? _b;
    private HttpClient _clientA = null!;
    private HttpClient _clientB = null!;

    public async Task InitializeAsync()
    {
        // Same data directory: TestStore maps it to one database, which both processes share.
        _a = await BrokerProcess.StartBrokerAsync(_dataDirectory).WaitAsync(Deadline);
        _b = await BrokerProcess.StartBrokerAsync(_dataDirectory).WaitAsync(Deadline);
        _clientA = new HttpClient { BaseAddress = _a.BaseAddress, Timeout = Deadline };
        _clientB = new HttpClient { BaseAddress = _b.BaseAddress, Timeout = Deadline };
    }

    public async Task DisposeAsync()
    {
        _clientA?.Dispose();
        _clientB?.Dispose();
        try
        {
            if (_a is not null)
            {
                await _a.DisposeAsync();
            }
        }
        finally
        {
            if (_b is not null)
            {
                await _b.DisposeAsync();
            }
            try
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
    }

    private HttpClient Client(int i) => i % 2 == 0 ? _clientA : _clientB;

    [Fact]
    public async Task Create_SameIdThroughBothReplicasAtOnce_ExactlyOneCreatedRestConflict()
    {
        const int Attempts = 24;
        var id = NewId("Contended");
        var body = new JsonObject { ["id"] = id, ["type"] = "Contended", ["n"] = new JsonObject { ["type"] = "Property", ["value"] = 1 } }.ToJsonString();

        var statuses = await Task.WhenAll(Enumerable.Range(0, Attempts).Select(async i =>
        {
            using var response = await Client(i).SendAsync(Request(HttpMethod.Post, "/entities", Json(body)));
            return response.StatusCode;
        })).WaitAsync(Deadline);

        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(Attempts - 1, statuses.Count(s => s == HttpStatusCode.Conflict));
    }

    [Fact]
    public async Task Patch_DifferentAttributesOfOneEntityThroughBothReplicas_LosesNoUpdate()
    {
        const int Writers = 8;
        const int Rounds = 25;
        var id = NewId("Shared");
        using (var created = await _clientA.SendAsync(Request(HttpMethod.Post, "/entities",
            Json(new JsonObject { ["id"] = id, ["type"] = "Shared" }))).WaitAsync(Deadline))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(async w =>
        {
            for (var round = 1; round <= Rounds; round++)
            {
                var patch = new JsonObject { [$"p{w}"] = new JsonObject { ["type"] = "Property", ["value"] = round } };
                // Each writer alternates between the replicas, so both write the row all the time.
                using var response = await Client(w + round).SendAsync(Request(HttpMethod.Post, $"/entities/{Uri.EscapeDataString(id)}/attrs", Json(patch)));
                Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"writer {w} round {round}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        })).WaitAsync(Deadline);

        foreach (var client in new[] { _clientA, _clientB })
        {
            using var response = await client.SendAsync(Request(HttpMethod.Get, $"/entities/{Uri.EscapeDataString(id)}")).WaitAsync(Deadline);
            var entity = (await ReadJsonAsync(response))!.AsObject();
            for (var w = 0; w < Writers; w++)
            {
                Assert.Equal(Rounds, entity[$"p{w}"]?["value"]?.GetValue<int>());
            }
        }
    }

    [Fact]
    public async Task Subscription_CreatedOnOneReplica_FiresOncePerChangeWhicheverReplicaWrites()
    {
        await using var listener = await NotificationListener.StartAsync().WaitAsync(Deadline);
        var subscriptionId = NewId("Subscription");
        var subscription = new JsonObject
        {
            ["id"] = subscriptionId,
            ["type"] = "Subscription",
            ["entities"] = new JsonArray(new JsonObject { ["type"] = "Watched" }),
            ["notification"] = new JsonObject { ["endpoint"] = new JsonObject { ["uri"] = listener.Url.ToString(), ["accept"] = "application/json" } },
        };
        using (var created = await _clientA.SendAsync(Request(HttpMethod.Post, "/subscriptions", Json(subscription))).WaitAsync(Deadline))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        // Replica B learns of it through LISTEN/NOTIFY.
        await TestDeadline.Until(() =>
        {
            using var response = _clientB.Send(Request(HttpMethod.Get, $"/subscriptions/{Uri.EscapeDataString(subscriptionId)}"));
            return response.StatusCode == HttpStatusCode.OK;
        }, "replica B learning of the subscription created on A", deadline: Deadline);

        var id = NewId("Watched");
        var writes = new (HttpClient Client, HttpRequestMessage Request)[]
        {
            (_clientB, Request(HttpMethod.Post, "/entities", Json(new JsonObject { ["id"] = id, ["type"] = "Watched", ["count"] = Count(0) }))),
            (_clientA, Request(HttpMethod.Post, $"/entities/{Uri.EscapeDataString(id)}/attrs", Json(new JsonObject { ["count"] = Count(1) }))),
            (_clientB, Request(HttpMethod.Post, $"/entities/{Uri.EscapeDataString(id)}/attrs", Json(new JsonObject { ["count"] = Count(2) }))),
        };
        var seen = new List<int>();
        for (var i = 0; i < writes.Length; i++)
        {
            using (var response = await writes[i].Client.SendAsync(writes[i].Request).WaitAsync(Deadline))
            {
                Assert.True(response.IsSuccessStatusCode, $"write {i}: {(int)response.StatusCode}");
            }
            var expected = i;
            var notification = await listener.WaitForAsync(n => CountOf(n) == expected, Deadline);
            seen.Add(CountOf(notification));
            // Anything else that arrived meanwhile is a duplicate or out of order.
            while (listener.TryTake(out var extra))
            {
                seen.Add(CountOf(extra));
            }
        }
        output.WriteLine($"notified counts: {string.Join(", ", seen)}");
        Assert.Equal([0, 1, 2], seen);
    }

    private static JsonObject Count(int value) => new() { ["type"] = "Property", ["value"] = value };

    private static int CountOf(JsonObject notification) =>
        notification["data"]?[0]?["count"]?["value"]?.GetValue<int>() ?? -1;
}
