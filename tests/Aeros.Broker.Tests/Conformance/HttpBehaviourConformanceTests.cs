using System.Net;
using System.Text.Json.Nodes;
using static Aeros.Broker.Tests.Conformance.ConformanceFixture;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.Conformance;

/// <summary>
/// Digest §0, §1.1, §4.9 and §9 item 20: pagination Link format and count (019_07_01/02, 031_02_01..03), `+` as
/// space, trailing slashes, 405 for a wrong verb (013_02_03), empty 201/204 responses (§6.3.6).
/// </summary>
public sealed class HttpBehaviourConformanceTests(ConformanceFixture fx) : IClassFixture<ConformanceFixture>
{
    private async Task<string> SeedAsync(int count)
    {
        var type = NewType();
        var entities = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            entities.Add(new JsonObject { ["id"] = $"urn:ngsi-ld:{type}:{i:D2}", ["type"] = type, ["name"] = Prop($"name {i}") });
        }
        using var response = await fx.SendAsync(HttpMethod.Post, "/entityOperations/create", entities);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return type;
    }

    private static string[] PagingLinks(HttpResponseMessage response) =>
        [.. (response.Headers.TryGetValues("Link", out var values) ? values : [])
            .SelectMany(v => v.Replace(" ", "", StringComparison.Ordinal).Split(','))
            .Where(l => l.Contains("rel=\"next\"", StringComparison.Ordinal) || l.Contains("rel=\"prev\"", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];

    // 031_02_01..03 (same format for entities): first page only next, middle both, last page only prev.
    [Fact]
    public async Task Pagination_LinkHeaders_ExactFormat()
    {
        var type = await SeedAsync(5);
        using (var first = await fx.SendAsync(HttpMethod.Get, $"/entities?type={type}&limit=2"))
        {
            Assert.Equal([$"</ngsi-ld/v1/entities?type={type}&limit=2&offset=2>;rel=\"next\";type=\"application/ld+json\""], PagingLinks(first));
        }

        using (var middle = await fx.SendAsync(HttpMethod.Get, $"/entities?type={type}&limit=2&offset=2"))
        {
            Assert.Equal(
                [
                    $"</ngsi-ld/v1/entities?type={type}&limit=2&offset=0>;rel=\"prev\";type=\"application/ld+json\"",
                    $"</ngsi-ld/v1/entities?type={type}&limit=2&offset=4>;rel=\"next\";type=\"application/ld+json\"",
                ],
                PagingLinks(middle));
        }

        using (var last = await fx.SendAsync(HttpMethod.Get, $"/entities?offset=4&limit=2&type={type}"))
        {
            Assert.Equal([$"</ngsi-ld/v1/entities?type={type}&limit=2&offset=2>;rel=\"prev\";type=\"application/ld+json\""], PagingLinks(last));
            Assert.Single((JsonArray)(await ReadJsonAsync(last))!);
        }

        using (var all = await fx.SendAsync(HttpMethod.Get, $"/entities?type={type}"))
        {
            Assert.Empty(PagingLinks(all));
        }
    }

    // 019_07_01/02: count=true adds NGSILD-Results-Count with the total; count=false / absent adds nothing.
    [Fact]
    public async Task Count_HeaderOnlyWhenAsked()
    {
        var type = await SeedAsync(3);
        using (var counted = await fx.SendAsync(HttpMethod.Get, $"/entities?type={type}&count=true&limit=1"))
        {
            Assert.Equal("3", Assert.Single(counted.Headers.GetValues("NGSILD-Results-Count")));
        }

        using (var plain = await fx.SendAsync(HttpMethod.Get, $"/entities?type={type}&count=false"))
        {
            Assert.False(plain.Headers.Contains("NGSILD-Results-Count"));
        }
    }

    // 041_04_01: negative limit/offset → 400 BadRequestData; limit=0 without count → 400.
    [Theory]
    [InlineData("limit=-1")]
    [InlineData("offset=-1")]
    [InlineData("limit=0")]
    public async Task Pagination_BadValues_Return400(string parameters)
    {
        using var response = await fx.SendAsync(HttpMethod.Get, $"/entities?type=T&{parameters}");
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    // `+` in a query string is a space (application/x-www-form-urlencoded), in q values and in type names alike.
    [Fact]
    public async Task PlusInQueryString_IsSpace()
    {
        var type = await SeedAsync(3);
        var ids = await fx.QueryIdsAsync($"type={type}&q=name==%22name+1%22");
        Assert.Equal([$"urn:ngsi-ld:{type}:01"], ids);
        var spaced = await fx.QueryIdsAsync($"type={type}&q=name==\"name%201\"");
        Assert.Equal(ids, spaced);
    }

    // §0: paths with a trailing `/` in the spec also work without it, and vice versa.
    [Fact]
    public async Task TrailingSlashes_AreAccepted()
    {
        var type = await SeedAsync(1);
        var id = $"urn:ngsi-ld:{type}:00";
        using (var query = await fx.SendAsync(HttpMethod.Get, $"/entities/?type={type}"))
        {
            Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        }

        using (var append = await fx.SendAsync(HttpMethod.Post, $"/entities/{id}/attrs/", new JsonObject { ["a"] = Prop(1) }))
        {
            Assert.Equal(HttpStatusCode.NoContent, append.StatusCode);
        }

        using (var append = await fx.SendAsync(HttpMethod.Post, $"/entities/{id}/attrs", new JsonObject { ["b"] = Prop(2) }))
        {
            Assert.Equal(HttpStatusCode.NoContent, append.StatusCode);
        }

        using (var update = await fx.SendAsync(HttpMethod.Patch, $"/entities/{id}/attrs/", new JsonObject { ["b"] = Prop(3) }))
        {
            Assert.Equal(HttpStatusCode.NoContent, update.StatusCode);
        }

        using (var types = await fx.SendAsync(HttpMethod.Get, "/types/"))
        {
            Assert.Equal(HttpStatusCode.OK, types.StatusCode);
        }

        using (var contexts = await fx.SendAsync(HttpMethod.Get, "/jsonldContexts/"))
        {
            Assert.Equal(HttpStatusCode.OK, contexts.StatusCode);
        }
    }

    // 013_02_03 and §1.1: a wrong verb on an existing resource → 405 with Allow.
    [Theory]
    [InlineData("PUT", "/entities")]
    [InlineData("PATCH", "/entities")]
    [InlineData("POST", "/entities/urn:ngsi-ld:T:x")]
    [InlineData("DELETE", "/entities/urn:ngsi-ld:T:x/attrs/")]
    [InlineData("GET", "/entityOperations/create")]
    [InlineData("PUT", "/jsonldContexts")]
    public async Task WrongVerb_Returns405WithAllow(string method, string path)
    {
        using var response = await fx.SendAsync(new HttpMethod(method), path);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.NotEmpty(response.Content.Headers.Allow);
    }

    // §6.3.6: 201 and 204 have no body, no Content-Type and no Link.
    [Fact]
    public async Task CreatedAndNoContent_HaveEmptyBodiesAndNoContentType()
    {
        var id = NewId();
        using (var created = await fx.SendAsync(HttpMethod.Post, "/entities", new JsonObject { ["id"] = id, ["type"] = "T" }, link: fx.UserContextUrl))
        {
            AssertEmpty(created, HttpStatusCode.Created);
        }

        using (var appended = await fx.SendAsync(HttpMethod.Post, $"/entities/{id}/attrs", new JsonObject { ["a"] = Prop(1) }, link: fx.UserContextUrl))
        {
            AssertEmpty(appended, HttpStatusCode.NoContent);
        }

        using (var merged = await fx.SendAsync(HttpMethod.Patch, $"/entities/{id}", new JsonObject { ["a"] = Prop(2) }))
        {
            AssertEmpty(merged, HttpStatusCode.NoContent);
        }

        using (var deleted = await fx.SendAsync(HttpMethod.Delete, $"/entities/{id}"))
        {
            AssertEmpty(deleted, HttpStatusCode.NoContent);
        }

        static void AssertEmpty(HttpResponseMessage response, HttpStatusCode status)
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Empty(response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult());
            Assert.Null(response.Content.Headers.ContentType);
            Assert.False(response.Headers.Contains("Link"));
        }
    }
}
