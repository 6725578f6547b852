using System.Text.Json;

namespace Aeros.Abstractions.Continuum;

/// <summary>
/// Attributes every continuum entity may carry (smart-data-models GSMA-Commons and Location-Commons): its id,
/// name, description, owners and location. Absent attributes are null.
/// </summary>
public abstract record ContinuumEntity
{
    /// <summary>The entity id (a URN, see <see cref="ContinuumIds"/>).</summary>
    public required string Id { get; init; }

    /// <summary>Name (<c>name</c>).</summary>
    public string? Name { get; init; }

    /// <summary>Description (<c>description</c>).</summary>
    public string? Description { get; init; }

    /// <summary>Owners (<c>owner</c>, Relationship to one or more organization URNs).</summary>
    public IReadOnlyList<string>? Owner { get; init; }

    /// <summary>Location (<c>location</c>, GeoProperty).</summary>
    public GeoGeometry? Location { get; init; }
}

/// <summary>A GeoJSON geometry: <paramref name="Type"/> (Point, Polygon, ...) and its coordinates as JSON.</summary>
/// <param name="Type">The GeoJSON geometry type, e.g. <c>Point</c>.</param>
/// <param name="Coordinates">The GeoJSON <c>coordinates</c> array.</param>
public sealed record GeoGeometry(string Type, JsonElement Coordinates)
{
    /// <summary>A GeoJSON Point at <paramref name="longitude"/>, <paramref name="latitude"/>.</summary>
    public static GeoGeometry Point(double longitude, double latitude)
    {
        // Written with Utf8JsonWriter, not JsonSerializer: no reflection, so it also works in a NativeAOT agent.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteNumberValue(longitude);
            writer.WriteNumberValue(latitude);
            writer.WriteEndArray();
        }
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return new("Point", document.RootElement.Clone());
    }
}

/// <summary>One <c>{key, value}</c> entry of <c>cliArgs</c> or <c>envVars</c>.</summary>
/// <param name="Key">Name of the argument or variable.</param>
/// <param name="Value">Its value.</param>
public sealed record KeyValueEntry(string Key, string Value);

/// <summary>A contact of a cloud region (<c>contactPoint</c>).</summary>
/// <param name="Email">E-mail address.</param>
/// <param name="Telephone">Telephone number.</param>
/// <param name="Name">Name of the contact.</param>
public sealed record ContactPoint(string? Email, string? Telephone = null, string? Name = null);
