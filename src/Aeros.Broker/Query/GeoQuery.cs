using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Broker.Errors;
using Aeros.Broker.Model;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Prepared;

namespace Aeros.Broker.Query;

/// <summary>The spatial relation of a geo-query (georel).</summary>
internal enum GeoRelation
{
    Near,
    Within,
    Contains,
    Intersects,
    Equals,
    Disjoint,
    Overlaps,
}

/// <summary>A parsed geo-query (georel, geometry, coordinates, geoproperty; ETSI GS CIM 009 §4.10).</summary>
/// <remarks>
/// Relations read "target georel reference": <c>within</c> = the entity's geometry lies inside the query geometry,
/// <c>contains</c> = it contains the query geometry (DE-9IM, planar in longitude/latitude). <c>near</c> uses geodesic
/// metres (see <see cref="GeodesicDistance"/>); maxDistance and minDistance bounds are inclusive. An entity matches when
/// any instance of its GeoProperty holds a valid geometry that satisfies the relation.
/// </remarks>
internal sealed class GeoQuery
{
    private readonly Geometry _reference;
    private readonly IPreparedGeometry _prepared;

    private GeoQuery(GeoRelation relation, double? maxDistance, double? minDistance, string geometryType, Geometry reference, string geoProperty)
    {
        Relation = relation;
        MaxDistance = maxDistance;
        MinDistance = minDistance;
        GeometryType = geometryType;
        _reference = reference;
        _prepared = PreparedGeometryFactory.Prepare(reference);
        GeoProperty = geoProperty;
    }

    /// <summary>The expanded name of the GeoProperty the query tests (default: core <c>location</c>).</summary>
    public string GeoProperty { get; }

    public GeoRelation Relation { get; }

    /// <summary>For <c>near;maxDistance==m</c>: the distance in metres.</summary>
    public double? MaxDistance { get; }

    /// <summary>For <c>near;minDistance==m</c>: the distance in metres.</summary>
    public double? MinDistance { get; }

    /// <summary>The GeoJSON type of the reference geometry.</summary>
    public string GeometryType { get; }

    /// <summary>The reference geometry (x = longitude, y = latitude; repaired when it self-intersects).</summary>
    public Geometry Reference => _reference;

    /// <summary>
    /// Parses a geo-query. <paramref name="coordinates"/> is the JSON text of the GeoJSON coordinates;
    /// <paramref name="geoProperty"/> is already expanded. Throws NgsiLdException BadRequestData.
    /// </summary>
    public static GeoQuery Parse(string georel, string geometry, string coordinates, string geoProperty)
    {
        if (string.IsNullOrWhiteSpace(georel) || string.IsNullOrWhiteSpace(geometry) || string.IsNullOrWhiteSpace(coordinates))
        {
            throw NgsiLdException.BadRequestData("A geo-query needs georel, geometry and coordinates together.");
        }
        if (string.IsNullOrWhiteSpace(geoProperty))
        {
            throw NgsiLdException.BadRequestData("The geoproperty of a geo-query must not be empty.");
        }
        var (relation, max, min) = ParseGeorel(georel);
        var type = geometry.Trim();
        if (type == "GeometryCollection")
        {
            throw NgsiLdException.BadRequestData("geometry 'GeometryCollection' is not allowed in a geo-query.");
        }
        if (Array.IndexOf(GeoJsonGeometry.QueryTypes, type) < 0)
        {
            throw NgsiLdException.BadRequestData(
                $"Invalid geometry '{geometry}': expected one of {string.Join(", ", GeoJsonGeometry.QueryTypes)}.");
        }
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(coordinates);
        }
        catch (JsonException e)
        {
            throw NgsiLdException.BadRequestData($"Invalid coordinates '{coordinates}': not JSON ({e.Message}).");
        }
        if (!GeoJsonGeometry.TryBuild(type, node, out var reference, out var error))
        {
            throw NgsiLdException.BadRequestData($"Invalid coordinates '{coordinates}' for a {type}: {error}.");
        }
        return new GeoQuery(relation, max, min, type, reference, geoProperty);
    }

    private static (GeoRelation Relation, double? Max, double? Min) ParseGeorel(string georel)
    {
        var parts = georel.Split(';');
        var name = parts[0].Trim();
        if (name == "near")
        {
            if (parts.Length != 2)
            {
                throw NgsiLdException.BadRequestData(
                    $"Invalid georel '{georel}': near needs exactly one distance (near;maxDistance==<metres> or near;minDistance==<metres>).");
            }
            var modifier = parts[1].Trim();
            var eq = modifier.IndexOf("==", StringComparison.Ordinal);
            var key = eq < 0 ? modifier : modifier[..eq].Trim();
            var rawDistance = eq < 0 ? "" : modifier[(eq + 2)..].Trim();
            if (key is not ("maxDistance" or "minDistance"))
            {
                throw NgsiLdException.BadRequestData($"Invalid georel '{georel}': expected maxDistance==<metres> or minDistance==<metres> after near.");
            }
            if (!double.TryParse(rawDistance, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var distance)
                || !double.IsFinite(distance) || distance < 0)
            {
                throw NgsiLdException.BadRequestData($"Invalid georel '{georel}': '{rawDistance}' is not a non-negative number of metres.");
            }
            return key == "maxDistance" ? (GeoRelation.Near, distance, null) : (GeoRelation.Near, null, distance);
        }
        if (parts.Length != 1)
        {
            throw NgsiLdException.BadRequestData($"Invalid georel '{georel}': only near takes a modifier.");
        }
        return name switch
        {
            "within" => (GeoRelation.Within, null, null),
            "contains" => (GeoRelation.Contains, null, null),
            "intersects" => (GeoRelation.Intersects, null, null),
            "equals" => (GeoRelation.Equals, null, null),
            "disjoint" => (GeoRelation.Disjoint, null, null),
            "overlaps" => (GeoRelation.Overlaps, null, null),
            _ => throw NgsiLdException.BadRequestData(
                $"Invalid georel '{georel}': expected near;maxDistance==<m>, near;minDistance==<m>, within, contains, intersects, equals, disjoint or overlaps."),
        };
    }

    /// <summary>Whether any instance of the entity's GeoProperty satisfies the relation.</summary>
    public bool Matches(Entity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        if (!entity.Attributes.TryGetValue(GeoProperty, out var instances))
        {
            return false;
        }
        foreach (var instance in instances)
        {
            if (instance.Kind == AttributeKind.GeoProperty && GeoJsonGeometry.TryRead(instance.Value) is { } target && Matches(target))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether a target geometry (longitude/latitude) satisfies the relation.</summary>
    public bool Matches(Geometry target)
    {
        ArgumentNullException.ThrowIfNull(target);
        try
        {
            return Evaluate(_prepared, _reference, target);
        }
        catch (TopologyException)
        {
            // Robustness failure on awkward input: retry on buffer(0)-cleaned geometries.
            try
            {
                var reference = _reference.Buffer(0);
                return Evaluate(PreparedGeometryFactory.Prepare(reference), reference, target.Buffer(0));
            }
            catch (TopologyException)
            {
                return false;
            }
        }
    }

    private bool Evaluate(IPreparedGeometry prepared, Geometry reference, Geometry target)
    {
        switch (Relation)
        {
            case GeoRelation.Near:
                var distance = GeodesicDistance.Between(reference, target);
                return MaxDistance is { } max ? distance <= max : distance >= MinDistance!.Value;
            case GeoRelation.Within:
                return prepared.Contains(target);
            case GeoRelation.Contains:
                return prepared.Within(target);
            case GeoRelation.Intersects:
                return prepared.Intersects(target);
            case GeoRelation.Disjoint:
                return prepared.Disjoint(target);
            case GeoRelation.Overlaps:
                return prepared.Overlaps(target);
            case GeoRelation.Equals:
                return reference.EqualsExact(target) || reference.EqualsTopologically(target);
            default:
                return false;
        }
    }
}
