using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;

namespace Aeros.Continuum;

/// <summary>Builds one normalized NGSI-LD entity; null values are left out (never written as −1 or null).</summary>
internal sealed class NgsiWriter
{
    private readonly JsonObject _entity;

    public NgsiWriter(ContinuumEntity entity, string type)
    {
        _entity = new JsonObject { ["id"] = entity.Id, ["type"] = type };
        Property("name", entity.Name);
        Property("description", entity.Description);
        Relationships("owner", entity.Owner);
        Geo("location", entity.Location);
    }

    /// <summary>A writer of attributes only (a fragment for a merge).</summary>
    public NgsiWriter() => _entity = [];

    public JsonObject Entity => _entity;

    /// <summary>
    /// One attribute from a loosely typed value: an attribute object (with <c>type</c>) as it is, the aerOS URN
    /// enumerations as Relationships, other enumerations by name, dates as DateTime, geometries as GeoProperty, null as
    /// the NGSI-LD null (<c>urn:ngsi-ld:null</c>: the attribute is deleted by a merge).
    /// </summary>
    public void Any(string name, object? value)
    {
        switch (value)
        {
            case null:
                Add(name, JsonValue.Create("urn:ngsi-ld:null"));
                break;
            case JsonObject o when o["type"] is JsonValue:
                _entity[name] = o.DeepClone();
                break;
            case JsonNode node:
                Add(name, node.DeepClone());
                break;
            case string s:
                Property(name, s);
                break;
            case bool b:
                Property(name, b);
                break;
            case int or long or short or byte or uint:
                Property(name, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case double or float or decimal:
                Property(name, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            case DateTimeOffset t:
                DateTime(name, t);
                break;
            case System.DateTime t:
                DateTime(name, new DateTimeOffset(t.ToUniversalTime(), TimeSpan.Zero));
                break;
            case InfrastructureElementStatus e:
                EnumRelationship(name, (InfrastructureElementStatus?)e);
                break;
            case CpuArchitecture e:
                EnumRelationship(name, (CpuArchitecture?)e);
                break;
            case InfrastructureElementTier e:
                EnumRelationship(name, (InfrastructureElementTier?)e);
                break;
            case ServiceComponentStatus e:
                EnumRelationship(name, (ServiceComponentStatus?)e);
                break;
            case DomainStatus e:
                EnumRelationship(name, (DomainStatus?)e);
                break;
            case ContainerTechnology e:
                EnumProperty(name, (ContainerTechnology?)e);
                break;
            case OperatingSystemFamily e:
                EnumProperty(name, (OperatingSystemFamily?)e);
                break;
            case Enum e:
                Property(name, e.ToString());
                break;
            case GeoGeometry g:
                Geo(name, g);
                break;
            case ComponentPlacementDecision decision:
                Decision(name, decision);
                break;
            case IReadOnlyDictionary<string, double> numbers:
                Numbers(name, numbers);
                break;
            case IReadOnlyList<KeyValueEntry> entries:
                KeyValues(name, entries);
                break;
            default:
                throw new ArgumentException($"Attribute '{name}': values of type {value.GetType().Name} cannot be written; pass a JsonNode.", nameof(value));
        }
    }

    public void Property(string name, string? value)
    {
        if (value is not null)
        {
            Add(name, JsonValue.Create(value));
        }
    }

    public void Property(string name, bool? value)
    {
        if (value is { } v)
        {
            Add(name, JsonValue.Create(v));
        }
    }

    public void Property(string name, long? value, string? unitCode = null)
    {
        if (value is { } v)
        {
            Add(name, JsonValue.Create(v), unitCode);
        }
    }

    public void Property(string name, double? value, string? unitCode = null)
    {
        if (value is { } v)
        {
            if (!double.IsFinite(v))
            {
                throw new ArgumentException($"Attribute '{name}' is {v.ToString(CultureInfo.InvariantCulture)}; only finite numbers can be written.");
            }
            Add(name, JsonValue.Create(v), unitCode);
        }
    }

    public void EnumProperty<TEnum>(string name, TEnum? value) where TEnum : struct, Enum
    {
        if (value is { } v)
        {
            Add(name, JsonValue.Create(ContinuumEnumNames.Name(v)));
        }
    }

    /// <summary>An enumeration the aerOS way: a Relationship to <c>urn:ngsi-ld:&lt;Enum&gt;:&lt;Name&gt;</c>.</summary>
    public void EnumRelationship<TEnum>(string name, TEnum? value) where TEnum : struct, Enum
    {
        if (value is { } v)
        {
            Relationship(name, ContinuumEnumNames.Urn(v));
        }
    }

    public void DateTime(string name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            Add(name, new JsonObject
            {
                ["@type"] = "DateTime",
                ["@value"] = v.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            });
        }
    }

    public void Numbers(string name, IReadOnlyDictionary<string, double>? values)
    {
        if (values is not null)
        {
            var o = new JsonObject();
            foreach (var (key, v) in values)
            {
                o[key] = v;
            }
            Add(name, o);
        }
    }

    public void Decision(string name, ComponentPlacementDecision? decision)
    {
        if (decision is not null)
        {
            var o = new JsonObject
            {
                ["solver"] = decision.Solver,
                ["reason"] = decision.Reason,
                ["decidedAt"] = decision.DecidedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            };
            if (decision.Objective is { } objective && double.IsFinite(objective))
            {
                o["objective"] = objective;
            }
            Add(name, o);
        }
    }

    public void KeyValues(string name, IReadOnlyList<KeyValueEntry>? entries)
    {
        if (entries is not null)
        {
            Add(name, new JsonArray(entries.Select(e => (JsonNode)new JsonObject { ["key"] = e.Key, ["value"] = e.Value }).ToArray()));
        }
    }

    /// <summary>A Property whose value is an ordered array of strings (nothing is written for an empty list).</summary>
    public void Strings(string name, IReadOnlyList<string>? values)
    {
        if (values is { Count: > 0 })
        {
            Add(name, new JsonArray(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray()));
        }
    }

    public void Contacts(string name, IReadOnlyList<ContactPoint>? contacts)
    {
        if (contacts is null)
        {
            return;
        }
        var array = new JsonArray();
        foreach (var c in contacts)
        {
            var o = new JsonObject();
            if (c.Email is not null)
            {
                o["email"] = c.Email;
            }
            if (c.Telephone is not null)
            {
                o["telephone"] = c.Telephone;
            }
            if (c.Name is not null)
            {
                o["name"] = c.Name;
            }
            array.Add((JsonNode)o); // the non-generic Add: no reflection (NativeAOT)
        }
        Add(name, array);
    }

    public void Relationship(string name, string? target)
    {
        if (target is not null)
        {
            _entity[name] = new JsonObject { ["type"] = "Relationship", ["object"] = target };
        }
    }

    /// <summary>A Relationship to several targets (an <c>object</c> array, as the fixtures write it even for one target).</summary>
    public void Relationships(string name, IReadOnlyList<string>? targets)
    {
        if (targets is not null)
        {
            _entity[name] = new JsonObject { ["type"] = "Relationship", ["object"] = new JsonArray(targets.Select(t => (JsonNode)JsonValue.Create(t)).ToArray()) };
        }
    }

    public void Geo(string name, GeoGeometry? geometry)
    {
        if (geometry is not null)
        {
            _entity[name] = new JsonObject
            {
                ["type"] = "GeoProperty",
                ["value"] = new JsonObject { ["type"] = geometry.Type, ["coordinates"] = JsonNode.Parse(geometry.Coordinates.GetRawText()) },
            };
        }
    }

    private void Add(string name, JsonNode value, string? unitCode = null)
    {
        var attribute = new JsonObject { ["type"] = "Property", ["value"] = value };
        if (unitCode is not null)
        {
            attribute["unitCode"] = unitCode;
        }
        _entity[name] = attribute;
    }
}
