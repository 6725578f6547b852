using System.Text.Json.Nodes;
using static Aeros.Broker.Tests.Conformance.ConformanceFixture;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.Conformance;

/// <summary>Digest §4.11 and §9 item 23: the `lang` filter. Suite: 018_07_01..06.</summary>
public sealed class LanguageFilterConformanceTests(ConformanceFixture fx) : IClassFixture<ConformanceFixture>
{
    private async Task<string> CreateAsync()
    {
        var id = NewId("Lang");
        await fx.CreateAsync(new JsonObject
        {
            ["id"] = id,
            ["type"] = "Lang",
            ["street"] = new JsonObject
            {
                ["type"] = "LanguageProperty",
                ["languageMap"] = new JsonObject { ["fr"] = "Grand Place", ["nl"] = "Grote Markt", ["en"] = "Big Square" },
            },
        });
        return id;
    }

    [Theory]
    [InlineData("fr", "Grand Place", "fr")]
    [InlineData("nl", "Grote Markt", "nl")]
    [InlineData("fr-CH,fr", "Grand Place", "fr")]
    [InlineData("fr-CH,fr;q=0.9,en;q=0.8,*;q=0.5", "Grand Place", "fr")]
    [InlineData("de,en;q=0.9,nl;q=0.95", "Grote Markt", "nl")]
    [InlineData("en;q=0.1,nl;q=0.2", "Grote Markt", "nl")]
    public async Task Lang_PicksBestLanguage(string lang, string value, string tag)
    {
        var id = await CreateAsync();
        var entity = await fx.GetJsonAsync($"/entities/{id}?lang={Uri.EscapeDataString(lang)}");
        var expected = new JsonObject { ["type"] = "Property", ["value"] = value, ["lang"] = tag };
        Assert.True(JsonNode.DeepEquals(expected, entity["street"]), entity.ToJsonString());
        var simplified = await fx.GetJsonAsync($"/entities/{id}?lang={Uri.EscapeDataString(lang)}&options=keyValues");
        Assert.Equal(value, simplified["street"]!.GetValue<string>());
    }

    // 018_07_04/05: `*` or no matching language → any available language, still as a Property with lang.
    [Theory]
    [InlineData("*")]
    [InlineData("de")]
    public async Task Lang_AnyOrNoMatch_ReturnsSomeLanguage(string lang)
    {
        var id = await CreateAsync();
        var entity = await fx.GetJsonAsync($"/entities/{id}?lang={Uri.EscapeDataString(lang)}");
        var street = entity["street"]!;
        Assert.Equal("Property", street["type"]!.GetValue<string>());
        var tag = street["lang"]!.GetValue<string>();
        var expected = new Dictionary<string, string> { ["fr"] = "Grand Place", ["nl"] = "Grote Markt", ["en"] = "Big Square" };
        Assert.Equal(expected[tag], street["value"]!.GetValue<string>());
    }

    // The filter also applies to query results.
    [Fact]
    public async Task Lang_AppliesToQueries()
    {
        var id = await CreateAsync();
        var result = await fx.QueryAsync($"type=Lang&id={id}&lang=en");
        var expected = new JsonObject { ["type"] = "Property", ["value"] = "Big Square", ["lang"] = "en" };
        Assert.True(JsonNode.DeepEquals(expected, Assert.Single(result)!["street"]), result.ToJsonString());
    }
}
