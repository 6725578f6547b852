namespace Aeros.Broker.Model;

/// <summary>
/// An NGSI-LD entity in expanded form: types and attribute names are full IRIs, so the same entity reads the
/// same whatever @context a client uses. Mutable while an operation builds it; stores hand out fresh copies.
/// </summary>
internal sealed class Entity
{
    public required string Id { get; init; }

    /// <summary>Expanded type IRIs, set semantics, in the order first written.</summary>
    public List<string> Types { get; set; } = [];

    /// <summary>Scopes (<c>/a/b</c>), or null when the entity has none.</summary>
    public List<string>? Scopes { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ModifiedAt { get; set; }

    /// <summary>Attributes by expanded name; each holds its instances (default instance and datasetIds).</summary>
    public AttributeMap Attributes { get; set; } = new();

    public Entity Clone() => new()
    {
        Id = Id,
        Types = [.. Types],
        Scopes = Scopes is null ? null : [.. Scopes],
        CreatedAt = CreatedAt,
        ModifiedAt = ModifiedAt,
        Attributes = Attributes.Clone(),
    };
}

/// <summary>Attributes (or sub-attributes) by expanded name, in insertion order.</summary>
internal sealed class AttributeMap : Dictionary<string, List<NgsiAttribute>>
{
    public AttributeMap() : base(StringComparer.Ordinal) { }

    public AttributeMap Clone()
    {
        var copy = new AttributeMap();
        foreach (var (name, instances) in this)
        {
            copy[name] = instances.ConvertAll(i => i.Clone());
        }
        return copy;
    }

    /// <summary>The instance with the given datasetId (null = the default instance), or null.</summary>
    public NgsiAttribute? FindInstance(string name, string? datasetId)
    {
        if (!TryGetValue(name, out var instances))
        {
            return null;
        }
        foreach (var instance in instances)
        {
            if (instance.DatasetId == datasetId)
            {
                return instance;
            }
        }
        return null;
    }
}
