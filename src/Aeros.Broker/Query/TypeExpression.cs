namespace Aeros.Broker.Query;

/// <summary>A parsed entity type selection (<c>type=A,B</c>, <c>(A;B)|C</c>; ETSI GS CIM 009 §4.17).</summary>
internal sealed partial class TypeExpression
{
    /// <summary>Parses a type expression, expanding each name; throws NgsiLdException BadRequestData.</summary>
    public static TypeExpression Parse(string text, Func<string, string> expandType) => throw new NotImplementedException();

    /// <summary>Every (expanded) type named anywhere in the expression.</summary>
    public IReadOnlyList<string> AllTypes => throw new NotImplementedException();

    /// <summary>True when the expression is a plain OR of types (so a store can select by any of <see cref="AllTypes"/>).</summary>
    public bool IsSimpleDisjunction => throw new NotImplementedException();

    /// <summary>Whether an entity with these (expanded) types matches.</summary>
    public bool Matches(IReadOnlyList<string> types) => throw new NotImplementedException();
}
