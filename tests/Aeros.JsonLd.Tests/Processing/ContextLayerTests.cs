using System.Text.Json;
using Aeros.JsonLd.Processing;

namespace Aeros.JsonLd.Tests.Processing;

public sealed class ContextLayerTests
{
    private static ContextLayer Parse(string json) =>
        ContextLayer.Parse(JsonDocument.Parse(json).RootElement.Clone(), allowScopedContexts: false);

    [Fact]
    public void Parse_ScopedContext_ThrowsInvalid()
    {
        var e = Assert.Throws<JsonLdException>(() => Parse("""{ "t": { "@id": "http://x.example/t", "@context": { "a": "http://x.example/a" } } }"""));

        Assert.Equal(JsonLdErrorKind.Invalid, e.Kind);
        Assert.Contains("scoped", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "t": 42 }""")]
    [InlineData("""{ "t": ["http://x.example/t"] }""")]
    [InlineData("""{ "t": { "@id": 1 } }""")]
    [InlineData("""{ "t": { "@id": "http://x.example/t", "@unknown": 1 } }""")]
    [InlineData("""{ "@version": 1.0 }""")]
    [InlineData("""{ "@protected": "yes" }""")]
    [InlineData("""{ "@vocab": "relative" }""")]
    [InlineData("""{ "@import": "http://x.example/ctx" }""")]
    [InlineData("""{ "": "http://x.example/" }""")]
    [InlineData("""[ "not", "an", "object" ]""")]
    [InlineData("\"http://x.example/ctx\"")]
    public void Parse_MalformedContext_ThrowsInvalid(string json)
    {
        var e = Assert.Throws<JsonLdException>(() => Parse(json));

        Assert.Equal(JsonLdErrorKind.Invalid, e.Kind);
    }

    [Fact]
    public void Parse_FullFeaturedContext_KeepsTermsAndVocab()
    {
        var layer = Parse("""
            {
              "@version": 1.1, "@protected": true, "@language": "en", "@base": "http://base.example/",
              "@vocab": "http://vocab.example/",
              "a": "http://x.example/a",
              "b": { "@id": "http://x.example/b", "@type": "@vocab", "@container": "@list", "@prefix": true },
              "c": null,
              "d": { "@type": "@id" }
            }
            """);

        Assert.True(layer.HasVocab);
        Assert.True(layer.IsProtected);
        Assert.Equal("http://vocab.example/", layer.Vocab);
        Assert.Equal(["a", "b", "c", "d"], layer.Terms.Select(t => t.Key));
        Assert.True(layer.Terms[2].Value.IsNull);
        Assert.Null(layer.Terms[3].Value.Id);
        Assert.Equal(true, layer.Terms[1].Value.PrefixFlag);
    }

    [Fact]
    public void Parse_CoreContextWithScopedTerm_IsAllowedForTrustedContexts()
    {
        Assert.Contains(CoreContext.Layer.Terms, t => t.Key == "ngsildproof");
        Assert.Equal("https://uri.etsi.org/ngsi-ld/default-context/", CoreContext.Layer.Vocab);
    }
}
