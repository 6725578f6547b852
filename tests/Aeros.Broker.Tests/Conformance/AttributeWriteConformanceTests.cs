using System.Net;
using System.Text.Json.Nodes;
using static Aeros.Broker.Tests.Conformance.ConformanceFixture;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.Conformance;

/// <summary>
/// Digest §2.4–§2.7 and §9 items 8, 9, 10, 12, 13: Update Attributes (011_*), Append noOverwrite (010_04, 010_07),
/// NGSI-LD Null deletes (011_07..09, 012_05..07, 056_03..05), multi-instance (012_03, 019_12), Replace keeps
/// createdAt (054_01_01, 054_03_01, 055_01/02).
/// </summary>
public sealed class AttributeWriteConformanceTests(ConformanceFixture fx) : IClassFixture<ConformanceFixture>
{
    private const string Null = "urn:ngsi-ld:null";

    private static JsonObject AllKinds(string id) => new()
    {
        ["id"] = id,
        ["type"] = "Building",
        ["name"] = Prop("Eiffel"),
        ["owner"] = Rel("urn:ngsi-ld:Person:1"),
        ["location"] = Geo("Point", new JsonArray(2.29, 48.85)),
        ["street"] = new JsonObject { ["type"] = "LanguageProperty", ["languageMap"] = new JsonObject { ["fr"] = "Rue", ["en"] = "Street" } },
        ["category"] = new JsonObject { ["type"] = "VocabProperty", ["vocab"] = "monument" },
        ["config"] = new JsonObject { ["type"] = "JsonProperty", ["json"] = new JsonObject { ["id"] = "x" } },
        ["readings"] = new JsonObject { ["type"] = "ListProperty", ["valueList"] = new JsonArray(1, 2) },
        ["friends"] = new JsonObject { ["type"] = "ListRelationship", ["objectList"] = new JsonArray(new JsonObject { ["object"] = "urn:ngsi-ld:P:1" }) },
    };

    /// <summary>The NGSI-LD Null fragment for each attribute kind of <see cref="AllKinds"/>.</summary>
    public static TheoryData<string, string, string> NullFragments() => new()
    {
        { "update", "name", """{"type":"Property","value":"urn:ngsi-ld:null"}""" },
        { "update", "owner", """{"type":"Relationship","object":"urn:ngsi-ld:null"}""" },
        { "update", "location", """{"type":"GeoProperty","value":"urn:ngsi-ld:null"}""" },
        { "update", "street", """{"type":"LanguageProperty","languageMap":{"@none":"urn:ngsi-ld:null"}}""" },
        { "update", "category", """{"type":"VocabProperty","vocab":"urn:ngsi-ld:null"}""" },
        { "update", "config", """{"type":"JsonProperty","json":"urn:ngsi-ld:null"}""" },
        { "update", "readings", """{"type":"ListProperty","valueList":["urn:ngsi-ld:null"]}""" },
        { "update", "friends", """{"type":"ListRelationship","objectList":["urn:ngsi-ld:null"]}""" },
        { "partial", "name", """{"value":"urn:ngsi-ld:null"}""" },
        { "partial", "owner", """{"object":"urn:ngsi-ld:null"}""" },
        { "partial", "location", """{"value":"urn:ngsi-ld:null"}""" },
        { "partial", "street", """{"languageMap":{"@none":"urn:ngsi-ld:null"}}""" },
        { "partial", "category", """{"vocab":"urn:ngsi-ld:null"}""" },
        { "merge", "name", "\"urn:ngsi-ld:null\"" },
        { "merge", "owner", """{"type":"Relationship","object":"urn:ngsi-ld:null"}""" },
        { "merge", "location", """{"type":"GeoProperty","value":"urn:ngsi-ld:null"}""" },
        { "merge", "street", """{"type":"LanguageProperty","languageMap":{"@none":"urn:ngsi-ld:null"}}""" },
        { "merge", "street", """{"languageMap":{"@none":"urn:ngsi-ld:null"}}""" },
        { "merge", "category", """{"vocab":"urn:ngsi-ld:null"}""" },
        { "merge", "readings", """{"valueList":["urn:ngsi-ld:null"]}""" },
    };

    // 011_07..09, 012_05..07, 056_03..05: NGSI-LD Null deletes the attribute, for every kind.
    [Theory]
    [MemberData(nameof(NullFragments))]
    public async Task NgsiLdNull_DeletesAttribute(string operation, string attribute, string fragment)
    {
        var id = NewId("Building");
        await fx.CreateAsync(AllKinds(id));
        var value = JsonNode.Parse(fragment)!;
        using var response = operation switch
        {
            "update" => await fx.SendAsync(HttpMethod.Patch, $"/entities/{id}/attrs", new JsonObject { [attribute] = value }),
            "partial" => await fx.SendAsync(HttpMethod.Patch, $"/entities/{id}/attrs/{attribute}", value),
            _ => await fx.SendAsync(HttpMethod.Patch, $"/entities/{id}", new JsonObject { [attribute] = value }),
        };
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var entity = await fx.GetJsonAsync($"/entities/{id}");
        Assert.Null(entity[attribute]);
        Assert.Equal("Eiffel", attribute == "name" ? "Eiffel" : entity["name"]!["value"]!.GetValue<string>());
    }

    // 011_08/012_06: NGSI-LD Null deletes only the targeted datasetId instance.
    [Fact]
    public async Task NgsiLdNull_WithDatasetId_DeletesOnlyThatInstance()
    {
        var id = NewId();
        var entity = new JsonObject
        {
            ["id"] = id,
            ["type"] = "T",
            ["speed"] = new JsonArray(Prop(1), new JsonObject { ["type"] = "Property", ["value"] = 2, ["datasetId"] = "urn:ngsi-ld:Dataset:a" }),
        };
        await fx.CreateAsync(entity);
        using var response = await fx.SendAsync(HttpMethod.Patch, $"/entities/{id}/attrs/speed",
            new JsonObject { ["value"] = Null, ["datasetId"] = "urn:ngsi-ld:Dataset:a" });
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var stored = await fx.GetJsonAsync($"/entities/{id}");
        Assert.Equal(1, stored["speed"]!["value"]!.GetValue<int>());
        Assert.Null(stored["speed"]!["datasetId"]);
    }

    // §2.7: NGSI-LD Null outside update/partial/merge → 400 BadRequestData.
    [Fact]
    public async Task NgsiLdNull_InAppendOrReplace_Returns400()
    {
        var id = NewId();
        await fx.CreateAsync(new JsonObject { ["id"] = id, ["type"] = "T", ["a"] = Prop(1) });
        using var append = await fx.SendAsync(HttpMethod.Post, $"/entities/{id}/attrs", new JsonObject { ["a"] = Prop(Null) });
        await AssertProblemAsync(append, HttpStatusCode.BadRequest, "BadRequestData");
        using var replace = await fx.SendAsync(HttpMethod.Put, $"/entities/{id}", new JsonObject { ["type"] = "T", ["a"] = Prop(Null) });
        await AssertProblemAsync(replace, HttpStatusCode.BadRequest, "BadRequestData");
    }

    // 011_01_03: Update Attributes appends missing attributes (204); 011_06_*: types are added, never removed.
    [Fact]
    public async Task UpdateAttributes_AppendsMissing_AndAddsTypes()
    {
        var id = NewId();
        await fx.CreateAsync(new JsonObject { ["id"] = id, ["type"] = "A", ["a"] = Prop(1) });
        using var response = await fx.SendAsync(HttpMethod.Patch, $"/entities/{id}/attrs", new JsonObject { ["type"] = "B", ["b"] = Prop(2) });
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var entity = await fx.GetJsonAsync($"/entities/{id}");
        Assert.Equal(["A", "B"], entity["type"]!.AsArray().Select(t => t!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal(1, entity["a"]!["value"]!.GetValue<int>());
        Assert.Equal(2, entity["b"]!["value"]!.GetValue<int>());
    }

    // §5.5.8: Update Attributes replaces the whole instance (sub-attributes not sent disappear).
    [Fact]
    public async Task UpdateAttributes_ReplacesWholeInstance()
    {
        var id = NewId();
        var speed = Prop(1);
        speed["unitCode"] = "KMH";
        await fx.CreateAsync(new JsonObject { ["id"] = id, ["type"] = "T", ["speed"] = speed });
        using var response = await fx.SendAsync(HttpMethod.Patch, $"/entities/{id}/attrs", new JsonObject { ["speed"] = Prop(2) });
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var entity = await fx.GetJsonAsync($"/entities/{id}");
        Assert.True(JsonNode.DeepEquals(Prop(2), entity["speed"]), entity.ToJsonString());
    }

    // 011_05_01/02: scope is replaced when the entity has one, otherwise not added → 207 listing it.
    [Fact]
    public async Task UpdateAttributes_Scope_ReplacesOrReports207()
    {
        var withScope = NewId();
        await fx.CreateAsync(new JsonObject { ["id"] = withScope, ["type"] = "T", ["scope"] = "/A" });
        using (var replaced = await fx.SendAsync(HttpMethod.Patch, $"/entities/{withScope}/attrs", new JsonObject { ["scope"] = "/B" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, replaced.StatusCode);
        }
        Assert.Equal("/B", (await fx.GetJsonAsync($"/entities/{withScope}"))["scope"]!.GetValue<string>());

        var without = NewId();
        await fx.CreateAsync(new JsonObject { ["id"] = without, ["type"] = "T", ["a"] = Prop(1) });
        using var response = await fx.SendAsync(HttpMethod.Patch, $"/entities/{without}/attrs", new JsonObject { ["scope"] = "/B", ["a"] = Prop(2) });
        Assert.Equal(HttpStatusCode.MultiStatus, response.StatusCode);
        var result = (await ReadJsonAsync(response))!;
        Assert.Equal(["a"], result["updated"]!.AsArray().Select(n => n!.GetValue<string>()));
        var notUpdated = Assert.Single(result["notUpdated"]!.AsArray())!;
        Assert.Equal("scope", notUpdated["attributeName"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(notUpdated["reason"]!.GetValue<string>()));
        Assert.Null((await fx.GetJsonAsync($"/entities/{without}"))["scope"]);
    }

    // 010_04_01: noOverwrite keeps the existing attribute and lists it in notUpdated (207).
    // 010_04_02: a new datasetId instance of an existing attribute is not a conflict (204).
    [Fact]
    public async Task AppendNoOverwrite_ExistingIs207_NewDatasetIdIs204()
    {
        var id = NewId();
        await fx.CreateAsync(new JsonObject { ["id"] = id, ["type"] = "T", ["speed"] = Prop(1) });
        using (var conflict = await fx.SendAsync(HttpMethod.Post, $"/entities/{id}/attrs?options=noOverwrite", new JsonObject { ["speed"] = Prop(9), ["extra"] = Prop(3) }))
        {
            Assert.Equal(HttpStatusCode.MultiStatus, conflict.StatusCode);
            var result = (await ReadJsonAsync(conflict))!;
            Assert.Equal(["extra"], result["updated"]!.AsArray().Select(n => n!.GetValue<string>()));
            Assert.Equal("speed", Assert.Single(result["notUpdated"]!.AsArray())!["attributeName"]!.GetValue<string>());
        }

        var instance = Prop(5);
        instance["datasetId"] = "urn:ngsi-ld:Dataset:gps";
        using (var added = await fx.SendAsync(HttpMethod.Post, $"/entities/{id}/attrs?options=noOverwrite", new JsonObject { ["speed"] = instance }))
        {
            Assert.True(added.StatusCode == HttpStatusCode.NoContent, await added.Content.ReadAsStringAsync());
        }

        var entity = await fx.GetJsonAsync($"/entities/{id}");
        var speeds = entity["speed"]!.AsArray();
        Assert.Equal([1, 5], speeds.Select(s => s!["value"]!.GetValue<int>()).Order());
    }

    // 010_07_*: scope with noOverwrite merges the sets; without it replaces.
    [Fact]
    public async Task AppendScope_NoOverwriteMerges_OverwriteReplaces()
    {
        var id = NewId();
        await fx.CreateAsync(new JsonObject { ["id"] = id, ["type"] = "T", ["scope"] = "/A" });
        using (var merge = await fx.SendAsync(HttpMethod.Post, $"/entities/{id}/attrs?options=noOverwrite", new JsonObject { ["scope"] = new JsonArray("/B", "/A") }))
        {
            Assert.Equal(HttpStatusCode.NoContent, merge.StatusCode);
        }
        var merged = (await fx.GetJsonAsync($"/entities/{id}"))["scope"]!.AsArray().Select(s => s!.GetValue<string>()).Order(StringComparer.Ordinal);
        Assert.Equal(["/A", "/B"], merged);

        using (var replace = await fx.SendAsync(HttpMethod.Post, $"/entities/{id}/attrs", new JsonObject { ["scope"] = "/C" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, replace.StatusCode);
        }
        Assert.Equal("/C", (await fx.GetJsonAsync($"/entities/{id}"))["scope"]!.GetValue<string>());
    }

    // 054_01_01, 054_03_01: Replace Entity keeps createdAt and replaces scopes, types and attributes.
    [Fact]
    public async Task ReplaceEntity_KeepsCreatedAt_ReplacesScopeAndAttributes()
    {
        var id = NewId();
        await fx.CreateAsync(new JsonObject { ["id"] = id, ["type"] = "T", ["scope"] = "/A", ["a"] = Prop(1) });
        var before = await fx.GetJsonAsync($"/entities/{id}?options=sysAttrs");
        using var response = await fx.SendAsync(HttpMethod.Put, $"/entities/{id}", new JsonObject { ["type"] = "U", ["scope"] = "/B", ["b"] = Prop(2) });
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var after = await fx.GetJsonAsync($"/entities/{id}?options=sysAttrs");
        Assert.Equal(before["createdAt"]!.GetValue<string>(), after["createdAt"]!.GetValue<string>());
        Assert.Equal("U", after["type"]!.GetValue<string>());
        Assert.Equal("/B", after["scope"]!.GetValue<string>());
        Assert.Null(after["a"]);
        Assert.Equal(2, after["b"]!["value"]!.GetValue<int>());
    }

    // 055_01/02: Replace Attribute keeps the attribute's createdAt.
    [Fact]
    public async Task ReplaceAttribute_KeepsCreatedAt()
    {
        var id = NewId();
        await fx.CreateAsync(new JsonObject { ["id"] = id, ["type"] = "T", ["a"] = Prop(1) });
        var before = await fx.GetJsonAsync($"/entities/{id}?options=sysAttrs");
        using var response = await fx.SendAsync(HttpMethod.Put, $"/entities/{id}/attrs/a", Prop(2));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var after = await fx.GetJsonAsync($"/entities/{id}?options=sysAttrs");
        Assert.Equal(before["a"]!["createdAt"]!.GetValue<string>(), after["a"]!["createdAt"]!.GetValue<string>());
        Assert.Equal(2, after["a"]!["value"]!.GetValue<int>());
    }

    // 012_03_02/03: partial update of a missing default instance or unknown datasetId → 404.
    [Fact]
    public async Task PartialUpdate_MissingInstance_Returns404()
    {
        var id = NewId();
        var only = Prop(1);
        only["datasetId"] = "urn:ngsi-ld:Dataset:a";
        await fx.CreateAsync(new JsonObject { ["id"] = id, ["type"] = "T", ["speed"] = only });
        using var noDefault = await fx.SendAsync(HttpMethod.Patch, $"/entities/{id}/attrs/speed", new JsonObject { ["value"] = 3 });
        await AssertProblemAsync(noDefault, HttpStatusCode.NotFound, "ResourceNotFound");
        using var unknown = await fx.SendAsync(HttpMethod.Patch, $"/entities/{id}/attrs/speed", new JsonObject { ["value"] = 3, ["datasetId"] = "urn:ngsi-ld:Dataset:zz" });
        await AssertProblemAsync(unknown, HttpStatusCode.NotFound, "ResourceNotFound");
    }

    // 019_12_01..07: datasetId=@none keeps only default instances; entities whose matched attributes have no
    // selected instance are still returned with those attributes removed.
    [Fact]
    public async Task DatasetIdFilter_IncludingNone()
    {
        var type = NewType();
        var a = $"urn:ngsi-ld:{type}:a";
        var b = $"urn:ngsi-ld:{type}:b";
        var gps = Prop(2);
        gps["datasetId"] = "urn:ngsi-ld:Dataset:gps";
        await fx.CreateAsync(new JsonObject { ["id"] = a, ["type"] = type, ["speed"] = new JsonArray(Prop(1), gps) });
        await fx.CreateAsync(new JsonObject { ["id"] = b, ["type"] = type, ["speed"] = gps.DeepClone() });

        var none = await fx.QueryAsync($"type={type}&datasetId=@none");
        var byId = none.ToDictionary(e => e!["id"]!.GetValue<string>());
        Assert.Equal(2, byId.Count);
        Assert.True(JsonNode.DeepEquals(Prop(1), byId[a]!["speed"]), byId[a]!.ToJsonString());
        Assert.Null(byId[b]!["speed"]);

        var both = await fx.GetJsonAsync($"/entities/{a}?datasetId=@none,urn:ngsi-ld:Dataset:gps");
        Assert.Equal(2, both["speed"]!.AsArray().Count);
        var gpsOnly = await fx.GetJsonAsync($"/entities/{a}?datasetId=urn:ngsi-ld:Dataset:gps");
        Assert.Equal("urn:ngsi-ld:Dataset:gps", gpsOnly["speed"]!["datasetId"]!.GetValue<string>());
    }

    // 013_01_01..03, 013_03_03: delete attribute default / datasetId / deleteAll; unknown datasetId → 404.
    [Fact]
    public async Task DeleteAttribute_DatasetIdSemantics()
    {
        var id = NewId();
        var gps = Prop(2);
        gps["datasetId"] = "urn:ngsi-ld:Dataset:gps";
        await fx.CreateAsync(new JsonObject { ["id"] = id, ["type"] = "T", ["speed"] = new JsonArray(Prop(1), gps) });
        using (var unknown = await fx.SendAsync(HttpMethod.Delete, $"/entities/{id}/attrs/speed?datasetId=urn:ngsi-ld:Dataset:nope"))
        {
            await AssertProblemAsync(unknown, HttpStatusCode.NotFound, "ResourceNotFound");
        }
        using (var deleteDefault = await fx.SendAsync(HttpMethod.Delete, $"/entities/{id}/attrs/speed"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleteDefault.StatusCode);
        }
        var remaining = await fx.GetJsonAsync($"/entities/{id}");
        Assert.Equal("urn:ngsi-ld:Dataset:gps", remaining["speed"]!["datasetId"]!.GetValue<string>());
    }
}
