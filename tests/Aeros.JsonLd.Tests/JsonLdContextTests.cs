using System.Text.Json;
using Aeros.JsonLd.Processing;

namespace Aeros.JsonLd.Tests;

public sealed class JsonLdContextTests
{
    private const string DefaultVocab = "https://uri.etsi.org/ngsi-ld/default-context/";
    private const string Etsi = "https://uri.etsi.org/ngsi-ld/";

    /// <summary>Builds a context from inline user contexts (in order) plus the core context.</summary>
    private static JsonLdContext Build(params string[] userContexts)
    {
        var layers = userContexts
            .Select(json => ContextLayer.Parse(JsonDocument.Parse(json).RootElement.Clone(), allowScopedContexts: false))
            .ToList();
        return JsonLdContext.Create(layers, null, "test");
    }

    [Fact]
    public void Core_NoUserContext_HasCoreLinkUrlAndNoSource()
    {
        Assert.Equal(JsonLdContext.CoreContextUrl, JsonLdContext.Core.LinkUrl);
        Assert.Null(JsonLdContext.Core.Source);
        Assert.Null(JsonLdContext.Core.SourceJson);
        Assert.Equal(DefaultVocab, JsonLdContext.Core.Vocab);
        Assert.Same(JsonLdContext.Core, JsonLdContext.Core);
    }

    [Theory]
    [InlineData("name", DefaultVocab + "name")]
    [InlineData("isParked", DefaultVocab + "isParked")]
    [InlineData("location", Etsi + "location")]
    [InlineData("observationSpace", Etsi + "observationSpace")]
    [InlineData("Property", Etsi + "Property")]
    [InlineData("Point", "https://purl.org/geojson/vocab#Point")]
    [InlineData("description", "http://purl.org/dc/terms/description")]
    [InlineData("createdAt", Etsi + "createdAt")]
    [InlineData("attributeList", Etsi + "attributeList")]
    [InlineData("avg", Etsi + "avg")]
    [InlineData("type", "@type")]
    [InlineData("id", "@id")]
    public void ExpandTerm_CoreOnly_ExpandsAndCompactsBack(string term, string iri)
    {
        Assert.Equal(iri, JsonLdContext.Core.ExpandTerm(term));
        Assert.Equal(term, JsonLdContext.Core.CompactIri(iri));
    }

    [Theory]
    [InlineData("urn:ngsi-ld:Building:1")]
    [InlineData("http://example.org/vocab#temperature")]
    [InlineData("https://ngsi-ld-test-suite/context#name")]
    [InlineData("_:b0")]
    [InlineData("@context")]
    [InlineData("")]
    public void ExpandTerm_AbsoluteIriOrKeyword_IsUnchanged(string value)
    {
        Assert.Equal(value, JsonLdContext.Core.ExpandTerm(value));
    }

    [Fact]
    public void CompactIri_IriWithoutTermOrPrefix_IsUnchanged()
    {
        Assert.Equal("https://ngsi-ld-test-suite/context#name", JsonLdContext.Core.CompactIri("https://ngsi-ld-test-suite/context#name"));
        Assert.Equal("urn:x:y", JsonLdContext.Core.CompactIri("urn:x:y"));
    }

    [Fact]
    public void ExpandTerm_CompactIriThroughCorePrefix_ExpandsAndCompactsBack()
    {
        Assert.Equal(Etsi + "myOwn", JsonLdContext.Core.ExpandTerm("ngsi-ld:myOwn"));
        Assert.Equal("ngsi-ld:myOwn", JsonLdContext.Core.CompactIri(Etsi + "myOwn"));
        Assert.Equal("geojson:Thing", JsonLdContext.Core.CompactIri("https://purl.org/geojson/vocab#Thing"));
    }

    [Fact]
    public void ExpandTerm_UserObjectContext_UsesUserTermsAndCorePrefixes()
    {
        var context = Build("""
            {
              "ex": "http://example.org/",
              "temperature": "ex:temperature",
              "name": "https://ngsi-ld-test-suite/context#name",
              "Building": { "@id": "https://ngsi-ld-test-suite/context#Building", "@type": "@id" },
              "core": "ngsi-ld:coreThing"
            }
            """);

        Assert.Equal("http://example.org/temperature", context.ExpandTerm("temperature"));
        Assert.Equal("temperature", context.CompactIri("http://example.org/temperature"));
        Assert.Equal("https://ngsi-ld-test-suite/context#name", context.ExpandTerm("name"));
        Assert.Equal("name", context.CompactIri("https://ngsi-ld-test-suite/context#name"));
        Assert.Equal("Building", context.CompactIri(context.ExpandTerm("Building")));
        Assert.Equal(Etsi + "coreThing", context.ExpandTerm("core"));
        Assert.Equal("http://example.org/humidity", context.ExpandTerm("ex:humidity"));
        Assert.Equal("ex:humidity", context.CompactIri("http://example.org/humidity"));
        Assert.Equal(DefaultVocab + "unknown", context.ExpandTerm("unknown"));
        Assert.Equal("unknown", context.CompactIri(DefaultVocab + "unknown"));
    }

    [Fact]
    public void ExpandTerm_UserRedefinesCoreTerm_ProtectedCoreWins()
    {
        var context = Build("""{ "location": "http://example.org/myLocation", "ngsi-ld": "http://evil.example/", "type": "http://example.org/type" }""");

        Assert.Equal(Etsi + "location", context.ExpandTerm("location"));
        Assert.Equal(Etsi + "Property", context.ExpandTerm("Property"));
        Assert.Equal("@type", context.ExpandTerm("type"));
        Assert.Equal("location", context.CompactIri(Etsi + "location"));
    }

    [Fact]
    public void ExpandTerm_ArrayOfContexts_LaterEntriesOverrideEarlier()
    {
        var context = Build(
            """{ "a": "http://one.example/a", "b": "http://one.example/b" }""",
            """{ "a": "http://two.example/a" }""");

        Assert.Equal("http://two.example/a", context.ExpandTerm("a"));
        Assert.Equal("http://one.example/b", context.ExpandTerm("b"));
        Assert.Equal("http://one.example/a", context.CompactIri("http://one.example/a"));
    }

    [Fact]
    public void ExpandTerm_NullDefinitionInLaterContext_UndefinesTerm()
    {
        var context = Build("""{ "a": "http://one.example/a" }""", """{ "a": null }""");

        Assert.Equal(DefaultVocab + "a", context.ExpandTerm("a"));
    }

    [Fact]
    public void ExpandTerm_DefinitionWithoutId_IsVocabRelative()
    {
        var context = Build("""{ "@vocab": "http://vocab.example/" }""", """{ "d": { "@type": "@id" }, "ex:e": { "@type": "@id" }, "ex": "http://ex.example/" }""");

        Assert.Equal("http://vocab.example/d", context.ExpandTerm("d"));
        Assert.Equal("http://ex.example/e", context.ExpandTerm("ex:e"));
        Assert.Equal("d", context.CompactIri("http://vocab.example/d"));
    }

    [Fact]
    public void ExpandTerm_NestedCompactIris_ResolvedRecursively()
    {
        var context = Build("""{ "t": "p2:x", "p2": "p1:sub/", "p1": "http://p.example/" }""");

        Assert.Equal("http://p.example/sub/x", context.ExpandTerm("t"));
        Assert.Equal("http://p.example/sub/y", context.ExpandTerm("p2:y"));
        Assert.Equal("p2:y", context.CompactIri("http://p.example/sub/y"));
    }

    [Fact]
    public void Create_CyclicDefinitions_ThrowsInvalid()
    {
        var e = Assert.Throws<JsonLdException>(() => Build("""{ "a": "b:x", "b": "a:y" }"""));

        Assert.Equal(JsonLdErrorKind.Invalid, e.Kind);
        Assert.Contains("cyclic", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExpandTerm_SchemeThatIsAlsoATerm_SlashSlashStaysAbsolute()
    {
        var context = Build("""{ "http": "http://wrong.example/" }""");

        Assert.Equal("http://example.org/x", context.ExpandTerm("http://example.org/x"));
    }

    [Fact]
    public void CompactIri_SeveralTermsForOneIri_PrefersShortestThenOrdinal()
    {
        var context = Build("""{ "bbb": "http://x.example/t", "ab": "http://x.example/t", "aa": "http://x.example/t" }""");

        Assert.Equal("aa", context.CompactIri("http://x.example/t"));
        Assert.Equal("http://x.example/t", context.ExpandTerm("ab"));
    }

    [Fact]
    public void CompactIri_LongestPrefixWins()
    {
        var context = Build("""{ "short": "http://x.example/", "long": "http://x.example/deep/" }""");

        Assert.Equal("long:thing", context.CompactIri("http://x.example/deep/thing"));
        Assert.Equal("short:other", context.CompactIri("http://x.example/other"));
    }

    [Fact]
    public void ExpandTerm_UserVocab_UsedForUndefinedTermsOnly()
    {
        var context = Build("""{ "@vocab": "http://vocab.example/" }""");

        Assert.Equal("http://vocab.example/", context.Vocab);
        Assert.Equal("http://vocab.example/speed", context.ExpandTerm("speed"));
        Assert.Equal("speed", context.CompactIri("http://vocab.example/speed"));
        Assert.Equal(Etsi + "location", context.ExpandTerm("location"));
        Assert.Equal(Etsi + "avg", context.ExpandTerm("avg"));
        Assert.Equal("ngsi-ld:default-context/speed", context.CompactIri(DefaultVocab + "speed"));
    }

    [Fact]
    public void CompactIri_VocabSuffixThatIsADefinedTerm_FallsBackToCompactIri()
    {
        var context = Build("""{ "speed": "http://other.example/speed", "x": "http://x.example/" }""");

        Assert.Equal("ngsi-ld:default-context/speed", context.CompactIri(DefaultVocab + "speed"));
        Assert.Equal(DefaultVocab + "speed", context.ExpandTerm("ngsi-ld:default-context/speed"));
        Assert.Equal("x", context.CompactIri("http://x.example/"));
        Assert.Equal("speed", context.CompactIri("http://other.example/speed"));
    }

    [Fact]
    public void ExpandVocabValue_TermsAndKeywordAliases_AreVocabRelative()
    {
        var context = Build("""{ "Cloudy": "http://weather.example/Cloudy" }""");

        Assert.Equal("http://weather.example/Cloudy", context.ExpandVocabValue("Cloudy"));
        Assert.Equal("Cloudy", context.CompactVocabValue("http://weather.example/Cloudy"));
        Assert.Equal(DefaultVocab + "Sunny", context.ExpandVocabValue("Sunny"));
        Assert.Equal("Sunny", context.CompactVocabValue(DefaultVocab + "Sunny"));
        Assert.Equal(DefaultVocab + "type", context.ExpandVocabValue("type"));
        Assert.Equal("@type", context.CompactVocabValue("@type"));
    }

    [Fact]
    public void ExpandTerm_AerosDataModelContext_ExpandsAndCompactsBack()
    {
        var json = File.ReadAllText(TestSupport.SharedFixtures.Path("aeros-datamodel/context.jsonld"));
        var context = Build(JsonDocument.Parse(json).RootElement.GetProperty("@context").GetRawText());

        const string Iri = "https://smartdatamodels.org/dataModel.IT/InfrastructureElement";
        Assert.Equal(Iri, context.ExpandTerm("InfrastructureElement"));
        Assert.Equal("InfrastructureElement", context.CompactIri(Iri));
        Assert.Equal("https://smartdatamodels.org/dataModel.IT/cpuCores", context.ExpandTerm("cpuCores"));
        Assert.Equal("cpuCores", context.CompactIri("https://smartdatamodels.org/dataModel.IT/cpuCores"));
        Assert.Equal(Etsi + "location", context.ExpandTerm("location"));
    }

    [Fact]
    public void CompactIri_ManyCalls_ReturnsSameResultFromMemo()
    {
        var first = JsonLdContext.Core.CompactIri(DefaultVocab + "memoTest");
        var second = JsonLdContext.Core.CompactIri(DefaultVocab + "memoTest");

        Assert.Equal("memoTest", first);
        Assert.Same(first, second);
    }

    [Fact]
    public async Task ExpandTerm_ConcurrentCallers_AgreeWithSequentialResults()
    {
        var context = Build("""{ "ex": "http://example.org/", "t": "ex:t" }""");
        var terms = Enumerable.Range(0, 200).Select(i => $"term{i}").Concat(["t", "ex:u", "location"]).ToArray();
        var expected = terms.Select(t => Build("""{ "ex": "http://example.org/", "t": "ex:t" }""").ExpandTerm(t)).ToArray();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            terms.Select(t => context.CompactIri(context.ExpandTerm(t))).ToArray()))).WaitAsync(TestSupport.TestDeadline.Default);

        foreach (var result in results)
        {
            Assert.Equal(terms, result);
        }

        Assert.Equal(expected, terms.Select(context.ExpandTerm).ToArray());
    }
}
