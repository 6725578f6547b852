using Aeros.Broker.Errors;
using Aeros.Broker.Query;
using static Aeros.Broker.Tests.Query.TestEntities;

namespace Aeros.Broker.Tests.Query;

public sealed class ProjectionTests
{
    [Fact]
    public void Parse_NeitherPickNorOmit_ReturnsNull() => Assert.Null(Projection.Parse(null, null, Expand));

    [Fact]
    public void Includes_Pick_KeepsOnlyListedMembers()
    {
        var projection = Projection.Parse("id,name|type", null, Expand)!;
        Assert.True(projection.Includes("id"));
        Assert.True(projection.Includes("type"));
        Assert.True(projection.Includes(Ns + "name"));
        Assert.False(projection.Includes("scope"));
        Assert.False(projection.Includes(Ns + "height"));
        Assert.False(projection.Includes("name"));
    }

    [Fact]
    public void Includes_Omit_RemovesListedMembers()
    {
        var projection = Projection.Parse(null, "type,height", Expand)!;
        Assert.True(projection.Includes("id"));
        Assert.False(projection.Includes("type"));
        Assert.False(projection.Includes(Ns + "height"));
        Assert.True(projection.Includes(Ns + "name"));
    }

    [Fact]
    public void Includes_PickAndOmitOnDifferentMembers_AppliesBoth()
    {
        var projection = Projection.Parse("id,name", "height", Expand)!;
        Assert.True(projection.Includes("id"));
        Assert.False(projection.Includes(Ns + "height"));
        Assert.False(projection.Includes("type"));
    }

    [Fact]
    public void Parse_LinkedEntityBraces_KeepTheLinkingAttribute()
    {
        var projection = Projection.Parse("id,locatedIn{name,isPartOf{id}}", null, Expand)!;
        Assert.True(projection.Includes(Ns + "locatedIn"));
        Assert.False(projection.Includes(Ns + "name"));
    }

    [Fact]
    public void Parse_FullIriMember_IsKeptAsIs()
    {
        var projection = Projection.Parse("https://other.org/ns/rating", null, Expand)!;
        Assert.True(projection.Includes("https://other.org/ns/rating"));
    }

    [Theory]
    [InlineData("id,,name", null)]
    [InlineData(",id", null)]
    [InlineData("id,", null)]
    [InlineData("", null)]
    [InlineData("id;name", null)]
    [InlineData("name{}", null)]
    [InlineData("name{{id}}", null)]
    [InlineData("name{id", null)]
    [InlineData("name}", null)]
    [InlineData("{id}", null)]
    [InlineData("name{id}}", null)]
    [InlineData("na-me", null)]
    [InlineData("id", "id")]
    [InlineData("id,name", "height,name")]
    [InlineData(null, "|name")]
    [InlineData(null, "name;type")]
    public void Parse_InvalidProjection_ThrowsBadRequestData(string? pick, string? omit)
    {
        var e = Assert.Throws<NgsiLdException>(() => Projection.Parse(pick, omit, Expand));
        Assert.Equal(ErrorTypes.BadRequestData, e.Type);
    }
}
