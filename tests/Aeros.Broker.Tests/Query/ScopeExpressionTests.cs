using Aeros.Broker.Errors;
using Aeros.Broker.Query;

namespace Aeros.Broker.Tests.Query;

public sealed class ScopeExpressionTests
{
    private static readonly string[] Madrid = ["/Madrid/Gardens/ParqueNorte", "/CompanyA/OrganizationB/UnitC"];

    [Theory]
    [InlineData("/Madrid/Gardens/ParqueNorte", true)] // full scope
    [InlineData("/Madrid/Gardens", false)]
    [InlineData("/Madrid/+/ParqueNorte", true)] // one level
    [InlineData("/Madrid/ /ParqueNorte", true)] // '+' decoded to a space by the caller
    [InlineData("/+/Gardens", false)]
    [InlineData("/Madrid/#", true)]
    [InlineData("/Madrid/Gardens/#", true)] // subtree
    [InlineData("/Madrid/Gardens/ParqueNorte/#", true)]
    [InlineData("/Madrid/Gardens/ParqueNorte/Pond/#", false)]
    [InlineData("/#", true)] // any scope
    [InlineData("(/Madrid/Gardens/ParqueNorte;/CompanyA/#)", true)] // AND
    [InlineData("(/Madrid/Gardens/ParqueNorte;/CompanyB/#)", false)]
    [InlineData("/Barcelona,/CompanyA/OrganizationB/UnitC", true)] // OR
    [InlineData("/Barcelona|/Valencia", false)]
    [InlineData("/Barcelona|(/Madrid/#;/+/OrganizationB/+)", true)]
    public void Matches_ScopeQ_FollowsLevelsWildcardsAndLogic(string scopeQ, bool expected) =>
        Assert.Equal(expected, ScopeExpression.Parse(scopeQ).Matches(Madrid));

    [Fact]
    public void Matches_SubtreeIncludesTheScopeItself()
    {
        var expression = ScopeExpression.Parse("/Madrid/#");
        Assert.True(expression.Matches(["/Madrid"]));
        Assert.True(expression.Matches(["/Madrid/Gardens"]));
        Assert.False(expression.Matches(["/MadridNorth"]));
    }

    [Fact]
    public void Matches_EntityWithoutScopes_NeverMatches()
    {
        Assert.False(ScopeExpression.Parse("/#").Matches(null));
        Assert.False(ScopeExpression.Parse("/#").Matches([]));
        Assert.False(ScopeExpression.Parse("/Madrid").Matches(null));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Madrid")]
    [InlineData("/Madrid/")]
    [InlineData("//Madrid")]
    [InlineData("/Mad-rid")]
    [InlineData("/Madrid,")]
    [InlineData(",/Madrid")]
    [InlineData("/a;/b")]
    [InlineData("(/a;/b")]
    [InlineData("/a;/b)")]
    [InlineData("((/a))")]
    [InlineData("(/a;)")]
    [InlineData("#")]
    [InlineData("/#/a")]
    public void Parse_InvalidScopeQ_ThrowsBadRequestData(string scopeQ)
    {
        var e = Assert.Throws<NgsiLdException>(() => ScopeExpression.Parse(scopeQ));
        Assert.Equal(ErrorTypes.BadRequestData, e.Type);
    }
}
