using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Tests.TestSupport;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.Api;

/// <summary>With indexed attributes configured, queries answer the same as without (the index only narrows candidates).</summary>
public sealed class IndexedQueryApiTests : IAsyncLifetime
{
    private readonly BrokerServer _indexed = new() { Configure = o => o.IndexedAttributes = ["name", "n"] };
    private readonly BrokerServer _plain = new();

    public async Task InitializeAsync()
    {
        await _indexed.InitializeAsync();
        await _plain.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _indexed.DisposeAsync();
        await _plain.DisposeAsync();
    }

    [Theory]
    [InlineData("q=name==%22item-7%22")]
    [InlineData("q=n==3,5,99")]
    [InlineData("q=n>=10;n<12")]
    [InlineData("q=n==4..6;name!=%22item-5%22")]
    [InlineData("q=name==%22item-1%22|n==2")]
    [InlineData("q=other==%22x%22;n<3")]
    public async Task Query_WithIndex_MatchesQueryWithoutIndex(string filter)
    {
        var batch = new JsonArray();
        for (var i = 0; i < 20; i++)
        {
            batch.Add(new JsonObject
            {
                ["id"] = $"urn:ngsi-ld:Item:{i:D2}",
                ["type"] = "Item",
                ["n"] = i,
                ["name"] = $"item-{i}",
                ["other"] = i % 2 == 0 ? "x" : "y",
                ["tags"] = new JsonArray($"item-{i}", i),
            });
        }
        foreach (var server in new[] { _indexed, _plain })
        {
            using var created = await server.Client.SendAsync(Request(HttpMethod.Post, "/entityOperations/upsert", Json(batch.DeepClone())));
            Assert.True(created.StatusCode is HttpStatusCode.Created or HttpStatusCode.NoContent);
        }
        async Task<string> IdsAsync(BrokerServer server)
        {
            using var response = await server.Client.SendAsync(Request(HttpMethod.Get, $"/entities?type=Item&{filter}&limit=100&count=true"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = (JsonArray)(await ReadJsonAsync(response))!;
            return string.Join(",", body.Select(e => e!["id"]!.GetValue<string>())) + " count=" + response.Headers.GetValues("NGSILD-Results-Count").Single();
        }
        var expected = await IdsAsync(_plain);
        Assert.NotEqual(" count=0", expected[^8..]);
        Assert.Equal(expected, await IdsAsync(_indexed));
    }
}
