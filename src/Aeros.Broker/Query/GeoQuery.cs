using Aeros.Broker.Model;

namespace Aeros.Broker.Query;

/// <summary>A parsed geo-query (georel, geometry, coordinates, geoproperty; ETSI GS CIM 009 §4.10).</summary>
internal sealed partial class GeoQuery
{
    /// <summary>The expanded name of the GeoProperty the query tests (default: core <c>location</c>).</summary>
    public string GeoProperty { get; private init; } = "";

    /// <summary>
    /// Parses a geo-query. <paramref name="coordinates"/> is the JSON text of the GeoJSON coordinates;
    /// <paramref name="geoProperty"/> is already expanded. Throws NgsiLdException BadRequestData.
    /// </summary>
    public static GeoQuery Parse(string georel, string geometry, string coordinates, string geoProperty) => throw new NotImplementedException();

    /// <summary>Whether any instance of the entity's GeoProperty satisfies the relation.</summary>
    public bool Matches(Entity entity) => throw new NotImplementedException();
}
