using System.Text.Json;
using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;
using NetTopologySuite.Geometries.Utilities;

namespace Aeros.Broker.Query;

/// <summary>
/// Builds NetTopologySuite geometries from GeoJSON (RFC 7946) type + coordinates, with x = longitude, y = latitude.
/// Validates nesting, numbers, ranges, ring closure and minimum sizes; self-intersecting polygons are accepted and
/// repaired (<see cref="GeometryFixer"/>) so that spatial predicates give sensible answers.
/// </summary>
internal static class GeoJsonGeometry
{
    /// <summary>Geometry types a geo-query may use (GeometryCollection is not).</summary>
    public static readonly string[] QueryTypes = ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"];

    public static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);

    /// <summary>Reads a GeoJSON geometry object (<c>{"type": …, "coordinates": …}</c>); null (no exception) when invalid.</summary>
    public static Geometry? TryRead(JsonNode? node)
    {
        if (node is not JsonObject obj
            || !obj.TryGetPropertyValue("type", out var typeNode)
            || typeNode is not JsonValue typeValue
            || !typeValue.TryGetValue(out string? type))
        {
            return null;
        }
        obj.TryGetPropertyValue("coordinates", out var coordinates);
        return TryBuild(type, coordinates, out var geometry, out _) ? geometry : null;
    }

    /// <summary>Builds a geometry of the given type; on failure, <paramref name="error"/> says what is wrong.</summary>
    public static bool TryBuild(string type, JsonNode? coordinates, out Geometry geometry, out string error)
    {
        geometry = Factory.CreatePoint();
        error = "";
        try
        {
            geometry = type switch
            {
                "Point" => Factory.CreatePoint(Position(coordinates, "coordinates")),
                "MultiPoint" => Factory.CreateMultiPoint(Array.ConvertAll(Positions(coordinates, "coordinates", 1), Factory.CreatePoint)),
                "LineString" => Line(coordinates, "coordinates"),
                "MultiLineString" => Factory.CreateMultiLineString(Map(coordinates, "coordinates", 1, Line)),
                "Polygon" => Polygon(coordinates, "coordinates"),
                "MultiPolygon" => Factory.CreateMultiPolygon(Map(coordinates, "coordinates", 1, Polygon)),
                _ => throw new FormatException($"unsupported geometry type '{type}' (expected one of {string.Join(", ", QueryTypes)})"),
            };
        }
        catch (FormatException e)
        {
            error = e.Message;
            return false;
        }
        if (geometry is IPolygonal && !geometry.IsValid)
        {
            geometry = GeometryFixer.Fix(geometry);
        }
        return true;
    }

    private static T[] Map<T>(JsonNode? node, string where, int minCount, Func<JsonNode?, string, T> read)
    {
        var array = node as JsonArray ?? throw new FormatException($"{where} must be an array");
        if (array.Count < minCount)
        {
            throw new FormatException($"{where} needs at least {minCount} element(s)");
        }
        var result = new T[array.Count];
        for (var i = 0; i < array.Count; i++)
        {
            result[i] = read(array[i], $"{where}[{i}]");
        }
        return result;
    }

    private static Coordinate[] Positions(JsonNode? node, string where, int minCount) => Map(node, where, minCount, Position);

    private static LineString Line(JsonNode? node, string where) => Factory.CreateLineString(Positions(node, where, 2));

    private static Polygon Polygon(JsonNode? node, string where)
    {
        var rings = Map(node, where, 1, Ring);
        return Factory.CreatePolygon(rings[0], rings[1..]);
    }

    private static LinearRing Ring(JsonNode? node, string where)
    {
        var positions = Positions(node, where, 4);
        if (!positions[0].Equals2D(positions[^1]))
        {
            throw new FormatException($"{where} is not a closed ring (the last position must equal the first)");
        }
        return Factory.CreateLinearRing(positions);
    }

    private static Coordinate Position(JsonNode? node, string where)
    {
        if (node is not JsonArray array || array.Count is < 2 or > 3)
        {
            throw new FormatException($"{where} must be a position [longitude, latitude(, altitude)]");
        }
        var lon = Number(array[0], where);
        var lat = Number(array[1], where);
        if (lon is < -180 or > 180 || lat is < -90 or > 90)
        {
            throw new FormatException($"{where} is out of range (longitude -180..180, latitude -90..90, in that order)");
        }
        if (array.Count == 3)
        {
            _ = Number(array[2], where);
        }
        return new Coordinate(lon, lat);
    }

    private static double Number(JsonNode? node, string where)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number)
        {
            if (value.TryGetValue(out double d) || (value.TryGetValue(out long l) && (d = l) == l) || (value.TryGetValue(out int i) && (d = i) == i))
            {
                if (double.IsFinite(d))
                {
                    return d;
                }
            }
        }
        throw new FormatException($"{where} must hold numbers");
    }
}
