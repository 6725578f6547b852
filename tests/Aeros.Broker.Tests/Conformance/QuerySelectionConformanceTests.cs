using System.Net;
using System.Text.Json.Nodes;
using static Aeros.Broker.Tests.Conformance.ConformanceFixture;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.Conformance;

/// <summary>
/// Digest §4.2–§4.6 and §9 items 6, 7, 22: minimal selector (019_03_05, 019_25, 019_03_03), pick/omit
/// (018_18_01..09, 019_18_*, 018_19_*), scopeQ (019_01_06), type expressions (019_08_01..05).
/// </summary>
public sealed class QuerySelectionConformanceTests(ConformanceFixture fx) : IClassFixture<ConformanceFixture>
{
    // 019_03_05: id alone is not a selector → 400; 019_25: unless local=true.
    [Fact]
    public async Task MinimalSelector_IdAloneIs400_UnlessLocal()
    {
        var id = NewId();
        await fx.CreateAsync(new JsonObject { ["id"] = id, ["type"] = "T" });
        using (var idOnly = await fx.SendAsync(HttpMethod.Get, $"/entities?id={id}"))
        {
            await AssertProblemAsync(idOnly, HttpStatusCode.BadRequest, "BadRequestData");
        }
        using (var patternOnly = await fx.SendAsync(HttpMethod.Get, "/entities?idPattern=.*"))
        {
            await AssertProblemAsync(patternOnly, HttpStatusCode.BadRequest, "BadRequestData");
        }
        using (var nothing = await fx.SendAsync(HttpMethod.Get, "/entities"))
        {
            await AssertProblemAsync(nothing, HttpStatusCode.BadRequest, "BadRequestData");
        }
        Assert.Equal([id], await fx.QueryIdsAsync($"id={id}&local=true"));
    }

    // 019_03_03: attrs=id,type → 400; 019_03_01: non-URI id → 400; 019_03_02: bad idPattern → 400.
    [Theory]
    [InlineData("type=T&attrs=id,type")]
    [InlineData("type=T&id=notauri")]
    [InlineData("type=T&idPattern=(")]
    public async Task InvalidSelectors_Return400(string query)
    {
        using var response = await fx.SendAsync(HttpMethod.Get, "/entities?" + query);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    private async Task<string> PickEntityAsync()
    {
        var id = NewId("Pick");
        await fx.CreateAsync(new JsonObject { ["id"] = id, ["type"] = "Pick", ["scope"] = "/a", ["name"] = Prop("n"), ["speed"] = Prop(3) });
        return id;
    }

    // 018_18_*: pick=id → {id} only; pick with attributes; omit removes members.
    [Fact]
    public async Task PickAndOmit_Project()
    {
        var id = await PickEntityAsync();
        var idOnly = await fx.GetJsonAsync($"/entities/{id}?pick=id");
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["id"] = id }, idOnly), idOnly.ToJsonString());

        var picked = await fx.GetJsonAsync($"/entities/{id}?pick=id,type,name");
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["id"] = id, ["type"] = "Pick", ["name"] = Prop("n") }, picked), picked.ToJsonString());

        var pipe = await fx.GetJsonAsync($"/entities/{id}?pick=id|speed");
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["id"] = id, ["speed"] = Prop(3) }, pipe), pipe.ToJsonString());

        var omitted = await fx.GetJsonAsync($"/entities/{id}?omit=scope,name,speed");
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["id"] = id, ["type"] = "Pick" }, omitted), omitted.ToJsonString());

        var queried = await fx.QueryAsync($"type=Pick&id={id}&pick=id");
        Assert.True(JsonNode.DeepEquals(new JsonArray(new JsonObject { ["id"] = id }), queried), queried.ToJsonString());
    }

    // 018_19_*: nothing left after pick/omit → 404 on retrieve.
    [Theory]
    [InlineData("pick=unknownAttr")]
    [InlineData("omit=id,type,scope,name,speed")]
    public async Task Retrieve_NothingLeft_Returns404(string projection)
    {
        var id = await PickEntityAsync();
        using var response = await fx.SendAsync(HttpMethod.Get, $"/entities/{id}?{projection}");
        await AssertProblemAsync(response, HttpStatusCode.NotFound, "ResourceNotFound");
    }

    // 018_18_01..09: pick/omit errors → 400 BadRequestData.
    [Theory]
    [InlineData("pick=name&omit=name")]
    [InlineData("pick=name&attrs=name")]
    [InlineData("omit=name&attrs=name")]
    [InlineData("pick=name;speed")]
    [InlineData("pick=id,,name")]
    [InlineData("pick=,name")]
    [InlineData("pick=name{speed")]
    [InlineData("pick=name{{speed}}")]
    [InlineData("pick=name{}")]
    [InlineData("omit=|name")]
    public async Task PickOmit_Invalid_Returns400(string projection)
    {
        var id = await PickEntityAsync();
        using var retrieve = await fx.SendAsync(HttpMethod.Get, $"/entities/{id}?{projection}");
        await AssertProblemAsync(retrieve, HttpStatusCode.BadRequest, "BadRequestData");
        using var query = await fx.SendAsync(HttpMethod.Get, $"/entities?type=Pick&{projection}");
        await AssertProblemAsync(query, HttpStatusCode.BadRequest, "BadRequestData");
    }

    // 019_01_06: the six scopeQ forms through the API.
    [Theory]
    [InlineData("/Madrid/Gardens/ParqueNorte", "a,c")]
    [InlineData("/Madrid/+/ParqueNorte", "a,c")]
    [InlineData("/CompanyA/#", "b,c")]
    [InlineData("/#", "a,b,c")]
    [InlineData("(/Madrid/Gardens/ParqueNorte;/CompanyA/OrganizationB)", "c")]
    [InlineData("/Madrid/Gardens/ParqueNorte,/CompanyA", "a,b,c")]
    [InlineData("/Madrid/+,/CompanyA", "b")]
    [InlineData("/Madrid/Gardens/ParqueNorte|/CompanyA", "a,b,c")]
    public async Task ScopeQ_AllForms(string scopeQ, string expected)
    {
        var type = NewType("Scoped");
        await fx.CreateAsync(new JsonObject { ["id"] = $"urn:ngsi-ld:{type}:a", ["type"] = type, ["scope"] = "/Madrid/Gardens/ParqueNorte" });
        await fx.CreateAsync(new JsonObject { ["id"] = $"urn:ngsi-ld:{type}:b", ["type"] = type, ["scope"] = "/CompanyA" });
        await fx.CreateAsync(new JsonObject { ["id"] = $"urn:ngsi-ld:{type}:c", ["type"] = type, ["scope"] = new JsonArray("/Madrid/Gardens/ParqueNorte", "/CompanyA/OrganizationB") });
        await fx.CreateAsync(new JsonObject { ["id"] = $"urn:ngsi-ld:{type}:d", ["type"] = type });
        var ids = await fx.QueryIdsAsync($"type={type}&scopeQ={Uri.EscapeDataString(scopeQ)}");
        Assert.Equal(expected.Split(',').Select(k => $"urn:ngsi-ld:{type}:{k}"), ids);
    }

    [Theory]
    [InlineData("Madrid")]
    [InlineData("/Madrid/")]
    [InlineData("(/Madrid")]
    public async Task ScopeQ_Invalid_Returns400(string scopeQ)
    {
        using var response = await fx.SendAsync(HttpMethod.Get, $"/entities?type=T&scopeQ={Uri.EscapeDataString(scopeQ)}");
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "BadRequestData");
    }

    // 019_08_01..05: type expressions with `;`, `|`, `,` and parentheses over multi-typed entities.
    [Theory]
    [InlineData("{A}", "a,ab")]
    [InlineData("{A},{C}", "a,ab,c")]
    [InlineData("{A}|{C}", "a,ab,c")]
    [InlineData("({A};{B})", "ab")]
    [InlineData("({A};{B})|{C}", "ab,c")]
    [InlineData("({A};{C})", "")]
    public async Task TypeExpressions_OverMultiTypedEntities(string expression, string expected)
    {
        var prefix = NewType("Ty");
        string T(string s) => prefix + s;
        await fx.CreateAsync(new JsonObject { ["id"] = $"urn:ngsi-ld:{prefix}:a", ["type"] = T("A") });
        await fx.CreateAsync(new JsonObject { ["id"] = $"urn:ngsi-ld:{prefix}:ab", ["type"] = new JsonArray(T("A"), T("B")) });
        await fx.CreateAsync(new JsonObject { ["id"] = $"urn:ngsi-ld:{prefix}:c", ["type"] = T("C") });
        var query = expression.Replace("{A}", T("A"), StringComparison.Ordinal).Replace("{B}", T("B"), StringComparison.Ordinal).Replace("{C}", T("C"), StringComparison.Ordinal);
        var ids = await fx.QueryIdsAsync($"type={Uri.EscapeDataString(query)}");
        Assert.Equal(expected.Length == 0 ? [] : expected.Split(',').Select(k => $"urn:ngsi-ld:{prefix}:{k}"), ids);
    }

    // §4.3: type names are expanded with the request context; full IRIs are accepted too.
    [Fact]
    public async Task Type_ExpandedWithContext_AndFullIri()
    {
        var id = NewId("Vehicle");
        await fx.CreateAsync(new JsonObject { ["id"] = id, ["type"] = "Vehicle" }, fx.UserContextUrl);
        Assert.Contains(id, await fx.QueryIdsAsync("type=Vehicle", fx.UserContextUrl));
        Assert.Contains(id, await fx.QueryIdsAsync("type=" + Uri.EscapeDataString(SuiteNs + "Vehicle")));
        Assert.DoesNotContain(id, await fx.QueryIdsAsync("type=Vehicle"));
    }
}
