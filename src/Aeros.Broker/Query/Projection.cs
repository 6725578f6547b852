namespace Aeros.Broker.Query;

/// <summary>Placeholder until the query module lands: pick/omit projection.</summary>
internal sealed class Projection
{
    public static Projection? Parse(string? pick, string? omit, Func<string, string> expandName) => throw new NotImplementedException();

    public bool Includes(string memberOrExpandedName) => throw new NotImplementedException();
}
