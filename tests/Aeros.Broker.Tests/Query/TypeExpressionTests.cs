using Aeros.Broker.Errors;
using Aeros.Broker.Query;
using static Aeros.Broker.Tests.Query.TestEntities;

namespace Aeros.Broker.Tests.Query;

public sealed class TypeExpressionTests
{
    private static bool T(string expression, params string[] types) =>
        TypeExpression.Parse(expression, Expand).Matches([.. types.Select(Expand)]);

    [Theory]
    [InlineData("Building", true)]
    [InlineData("Vehicle", false)]
    [InlineData("Vehicle,Building", true)]
    [InlineData("Vehicle|Building", true)]
    [InlineData("Vehicle|Car", false)]
    [InlineData("(Building;Shop)", true)]
    [InlineData("(Building;Vehicle)", false)]
    [InlineData("(Building;Vehicle)|Shop", true)]
    [InlineData("(Car;Vehicle),(Vehicle;Shop)", false)]
    [InlineData("https://example.org/ns/Building", true)]
    [InlineData(" Vehicle , Shop ", true)]
    [InlineData("*", true)]
    public void Matches_MultiTypedEntity_FollowsOrAndAnd(string expression, bool expected) =>
        Assert.Equal(expected, T(expression, "Building", "Shop"));

    [Fact]
    public void Parse_SimpleDisjunction_ExposesAllTypesExpanded()
    {
        var expression = TypeExpression.Parse("Building,ex:Vehicle|Building", Expand);
        Assert.True(expression.IsSimpleDisjunction);
        Assert.Equal([Ns + "Building", "ex:Vehicle"], expression.AllTypes);
    }

    [Fact]
    public void Parse_Conjunction_IsNotSimpleDisjunction()
    {
        var expression = TypeExpression.Parse("(Building;Shop)|Vehicle", Expand);
        Assert.False(expression.IsSimpleDisjunction);
        Assert.Equal([Ns + "Building", Ns + "Shop", Ns + "Vehicle"], expression.AllTypes);
        Assert.True(TypeExpression.Parse("Building", Expand).IsSimpleDisjunction);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Building,")]
    [InlineData(",Building")]
    [InlineData("Building,,Shop")]
    [InlineData("(Building;Shop")]
    [InlineData("Building;Shop)")]
    [InlineData("()")]
    [InlineData("Build ing")]
    [InlineData("Build-ing")]
    [InlineData("1Building")]
    [InlineData("Building=")]
    [InlineData("urn:bad name")]
    public void Parse_InvalidExpression_ThrowsBadRequestData(string expression)
    {
        var e = Assert.Throws<NgsiLdException>(() => TypeExpression.Parse(expression, Expand));
        Assert.Equal(ErrorTypes.BadRequestData, e.Type);
    }
}
