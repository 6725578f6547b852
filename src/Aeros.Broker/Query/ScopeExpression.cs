namespace Aeros.Broker.Query;

/// <summary>A parsed <c>scopeQ</c> (ETSI GS CIM 009 §4.19).</summary>
internal sealed partial class ScopeExpression
{
    /// <summary>Parses a scopeQ; throws NgsiLdException BadRequestData on bad syntax.</summary>
    public static ScopeExpression Parse(string text) => throw new NotImplementedException();

    /// <summary>Whether an entity with these scopes (null = none) matches.</summary>
    public bool Matches(IReadOnlyList<string>? scopes) => throw new NotImplementedException();
}
