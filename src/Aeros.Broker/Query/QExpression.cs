using Aeros.Broker.Model;

namespace Aeros.Broker.Query;

/// <summary>A parsed NGSI-LD <c>q</c> expression (ETSI GS CIM 009 §4.9).</summary>
/// <remarks>
/// Evaluation semantics (see <see cref="QTerm"/> for details): a term on a multi-instance attribute holds when it
/// holds for any instance (also for <c>!=</c>/<c>!~=</c>); <c>==</c> on an array target means "contains";
/// ordering operators need both sides of the same type (numbers, strings, DateTimes compared temporally);
/// <c>!=</c> against a value of another type holds; regular expressions only match strings.
/// </remarks>
internal sealed class QExpression
{
    private readonly QNode _root;

    private QExpression(string text, QNode root)
    {
        Text = text;
        _root = root;
    }

    /// <summary>The text it was parsed from.</summary>
    public string Text { get; }

    /// <summary>The syntax tree (for stores that translate the query into their own language).</summary>
    public QNode Root => _root;

    /// <summary>
    /// Parses <paramref name="text"/> (already percent-decoded); attribute names (the first path element) are
    /// expanded with <paramref name="expandName"/>. Throws NgsiLdException BadRequestData on bad syntax.
    /// </summary>
    public static QExpression Parse(string text, Func<string, string> expandName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(expandName);
        return new QExpression(text, new QParser(text, expandName).ParseQuery());
    }

    /// <summary>Whether the entity satisfies the expression.</summary>
    public bool Matches(Entity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return _root.Evaluate(entity);
    }

    public override string ToString() => Text;
}
