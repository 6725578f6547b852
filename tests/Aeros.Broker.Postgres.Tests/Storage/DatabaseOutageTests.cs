using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Postgres.Storage;
using Aeros.Broker.Query;
using Aeros.Broker.Storage;
using Aeros.Broker.Tests.Storage;
using Aeros.Broker.Tests.TestSupport;
using Aeros.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Postgres.Tests.Storage;

/// <summary>
/// The database goes away under a running broker and comes back: requests fail with 503 problem details meanwhile
/// and succeed again afterwards, without restarting the broker. Uses its own cluster (the run's shared one stays up).
/// </summary>
[Trait("Category", "Slow")]
public sealed class DatabaseOutageTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Requests_DatabaseStoppedThenStarted_Fail503ThenSucceedWithoutRestart()
    {
        // Durable: the server is stopped with -m immediate, and the acknowledged write must survive it.
        await using var cluster = await PostgresCluster.StartAsync(durable: true).WaitAsync(PostgresCluster.CommandDeadline);
        var connection = cluster.EnsureDatabase("outage");
        await using var broker = await TestBroker.StartAsync(o =>
        {
            o.Store = BrokerOptions.PostgresStore;
            o.PostgresConnectionString = connection;
        }).WaitAsync(Deadline);
        using var client = broker.CreateHttpClient();
        var id = NewId("Outage");
        using (var created = await client.SendAsync(Request(HttpMethod.Post, "/entities", Json(Entity(id)))).WaitAsync(Deadline))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        await cluster.StopAsync().WaitAsync(PostgresCluster.CommandDeadline);

        using (var read = await client.SendAsync(Request(HttpMethod.Get, $"/entities/{Uri.EscapeDataString(id)}")).WaitAsync(Deadline))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
            await AssertUnavailableProblemAsync(read);
        }
        using (var write = await client.SendAsync(Request(HttpMethod.Post, "/entities", Json(Entity(NewId("Outage"))))).WaitAsync(Deadline))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, write.StatusCode);
            await AssertUnavailableProblemAsync(write);
        }

        await cluster.StartAgainAsync().WaitAsync(PostgresCluster.CommandDeadline);

        var late = NewId("Outage");
        var status = HttpStatusCode.ServiceUnavailable;
        await TestDeadline.Until(() =>
        {
            using var response = client.Send(Request(HttpMethod.Post, "/entities", Json(Entity(late))));
            status = response.StatusCode;
            return status is HttpStatusCode.Created or HttpStatusCode.Conflict;
        }, "the broker writing again after the database came back", () => $"last status {(int)status}; {Probe(connection)}\nbroker log:\n{broker.Logs.Text}\nserver log:\n{Tail(cluster.Log())}", Deadline);
        foreach (var stored in new[] { id, late })
        {
            using var response = await client.SendAsync(Request(HttpMethod.Get, $"/entities/{Uri.EscapeDataString(stored)}")).WaitAsync(Deadline);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    /// <summary>
    /// Writes refused inside the reconnect delay must not push the delay further: under steady write load (a write
    /// every few milliseconds) the writer would otherwise never try the database again. The clock is a fake one, so
    /// the delay ends exactly when the test says.
    /// </summary>
    [Fact]
    public async Task WriteAsync_WritesRefusedDuringReconnectDelay_WriterReconnectsWhenTheFirstDelayEnds()
    {
        // Durable: with synchronous_commit off, the immediate stop would lose the schema just committed.
        await using var cluster = await PostgresCluster.StartAsync(durable: true).WaitAsync(PostgresCluster.CommandDeadline);
        var connection = cluster.EnsureDatabase("reconnect");
        var time = new FakeTimeProvider(TestEntities.Time);
        var delay = TimeSpan.FromSeconds(10);
        var broker = Options.Create(new BrokerOptions { Store = BrokerOptions.PostgresStore, PostgresConnectionString = connection });
        await using var store = new PostgresEntityStore(broker, Options.Create(new PostgresStoreOptions { ReconnectDelay = delay }), time,
            new RecordingLogger<PostgresEntityStore>(), new EntityChangeFeed(), new ResourceChangeFeed());
        await store.InitializeAsync(CancellationToken.None).WaitAsync(Deadline);
        await WriteAsync(store, "urn:before");

        await cluster.StopAsync().WaitAsync(PostgresCluster.CommandDeadline);
        await Assert.ThrowsAsync<StoreUnavailableException>(() => WriteAsync(store, "urn:down")); // the delay starts
        await cluster.StartAgainAsync().WaitAsync(PostgresCluster.CommandDeadline);
        for (var i = 0; i < 3; i++)
        {
            time.Advance(delay / 4);
            await Assert.ThrowsAsync<StoreUnavailableException>(() => WriteAsync(store, $"urn:refused{i}"));
        }

        time.Advance(delay / 4);
        await WriteAsync(store, "urn:after");
        var page = await store.QueryAsync(Tenants.Default, new EntityQuery { IdPattern = "urn:.*" }, CancellationToken.None).WaitAsync(Deadline);
        Assert.Equal(["urn:after", "urn:before"], page.Entities.Select(e => e.Id).Order(StringComparer.Ordinal));
    }

    private static Task WriteAsync(PostgresEntityStore store, string id) =>
        store.WriteAsync(Tenants.Default, false, s =>
        {
            s.Insert(TestEntities.Make(id));
            return 0;
        }, CancellationToken.None).WaitAsync(Deadline);

    /// <summary>Whether the test itself reaches the database (tells a database fault from a broker fault).</summary>
    private static string Probe(string connection)
    {
        try
        {
            using var direct = new Npgsql.NpgsqlConnection(connection + ";Pooling=false");
            direct.Open();
            using var select = new Npgsql.NpgsqlCommand("SELECT count(*) FROM entities", direct);
            return $"the test reaches the database ({select.ExecuteScalar()} entities)";
        }
        catch (Exception e)
        {
            return $"the test cannot reach the database either: {e.Message}";
        }
    }

    private static string Tail(string log) => log.Length <= 4000 ? log : log[^4000..];

    /// <summary>NGSI-LD problem details are served as application/json (§6.3.2), with the status in the body.</summary>
    private static async Task AssertUnavailableProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await ReadJsonAsync(response))!.AsObject();
        Assert.Equal(503, problem["status"]?.GetValue<int>());
        Assert.Equal("Service Unavailable", problem["title"]?.GetValue<string>());
        Assert.Contains("unavailable", problem["detail"]?.GetValue<string>() ?? "", StringComparison.Ordinal);
    }

    private static JsonObject Entity(string id) => new() { ["id"] = id, ["type"] = "Outage", ["n"] = new JsonObject { ["type"] = "Property", ["value"] = 1 } };
}
