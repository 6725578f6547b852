using Aeros.Broker.Model;

namespace Aeros.Broker.Query;

/// <summary>A parsed NGSI-LD <c>q</c> expression (ETSI GS CIM 009 §4.9).</summary>
internal sealed partial class QExpression
{
    /// <summary>The text it was parsed from.</summary>
    public string Text { get; private init; } = "";

    /// <summary>
    /// Parses <paramref name="text"/> (already percent-decoded); attribute names (the first path element) are
    /// expanded with <paramref name="expandName"/>. Throws NgsiLdException BadRequestData on bad syntax.
    /// </summary>
    public static QExpression Parse(string text, Func<string, string> expandName) => throw new NotImplementedException();

    /// <summary>Whether the entity satisfies the expression.</summary>
    public bool Matches(Entity entity) => throw new NotImplementedException();
}
