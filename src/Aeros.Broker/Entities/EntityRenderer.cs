using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Broker.Model;
using Aeros.Broker.Query;
using Aeros.JsonLd;

namespace Aeros.Broker.Entities;

/// <summary>The representations an entity can be rendered in (§4.5).</summary>
internal enum EntityFormat
{
    Normalized,
    Concise,
    KeyValues,
}

/// <summary>How to render entities for one request.</summary>
internal sealed class RenderOptions
{
    public required JsonLdContext Context { get; init; }

    public EntityFormat Format { get; init; } = EntityFormat.Normalized;

    public bool SysAttrs { get; init; }

    /// <summary>Write <c>@context</c> into each entity (application/ld+json).</summary>
    public bool IncludeContext { get; init; }

    /// <summary>Render as GeoJSON Feature(s) (application/geo+json).</summary>
    public bool GeoJson { get; init; }

    /// <summary>Expanded name of the GeoProperty used as Feature geometry.</summary>
    public string GeometryProperty { get; init; } = "https://uri.etsi.org/ngsi-ld/location";

    /// <summary>Expanded attribute names to keep (<c>attrs=</c>), or null for all.</summary>
    public IReadOnlySet<string>? Attrs { get; init; }

    public Projection? Projection { get; init; }

    public LanguageFilter? Lang { get; init; }

    /// <summary>datasetIds to keep (<c>@none</c> = default instance), or null for all.</summary>
    public IReadOnlySet<string>? DatasetIds { get; init; }

    /// <summary>Extra members for some instances and entities (notifications: previousValue, deletedAt), or null.</summary>
    public IRenderAugmenter? Augmenter { get; init; }

    public bool KeepsMember(string member) => Projection?.Includes(member) ?? true;

    public bool KeepsAttribute(string expandedName) =>
        (Attrs is null || Attrs.Contains(expandedName)) && (Projection?.Includes(expandedName) ?? true);
}

/// <summary>Adds members to rendered entities and attribute instances (used by notifications).</summary>
internal interface IRenderAugmenter
{
    /// <summary>Whether the instance gets extra members (then it is never written as a bare concise value).</summary>
    bool HasExtras(NgsiAttribute instance);

    /// <summary>Writes the instance's extra members into its open object.</summary>
    void WriteInstanceExtras(Utf8JsonWriter writer, NgsiAttribute instance, RenderOptions options);

    /// <summary>Writes the entity's extra members into its open object.</summary>
    void WriteEntityExtras(Utf8JsonWriter writer, Entity entity, RenderOptions options);
}

/// <summary>
/// Writes entities in the requested representation, compacting names with the request's @context. Writes
/// straight to a <see cref="Utf8JsonWriter"/>; it never builds an intermediate tree.
/// </summary>
internal static class EntityRenderer
{
    /// <summary>Counts what would be written for an entity: zero members means a projection removed everything.</summary>
    public static bool HasVisibleMembers(Entity entity, RenderOptions options)
    {
        if (options.KeepsMember("id") || options.KeepsMember("type") || (entity.Scopes is not null && options.KeepsMember("scope")))
        {
            return true;
        }
        return entity.Attributes.Keys.Any(options.KeepsAttribute);
    }

    public static void WriteEntity(Utf8JsonWriter writer, Entity entity, RenderOptions options)
    {
        if (options.GeoJson)
        {
            WriteFeature(writer, entity, options);
            return;
        }
        writer.WriteStartObject();
        WriteMembers(writer, entity, options);
        if (options.IncludeContext)
        {
            WriteContext(writer, options.Context);
        }
        writer.WriteEndObject();
    }

    public static void WriteEntities(Utf8JsonWriter writer, IEnumerable<Entity> entities, RenderOptions options)
    {
        if (options.GeoJson)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "FeatureCollection");
            writer.WriteStartArray("features");
            foreach (var entity in entities)
            {
                WriteFeature(writer, entity, options);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
            return;
        }
        writer.WriteStartArray();
        foreach (var entity in entities)
        {
            WriteEntity(writer, entity, options);
        }
        writer.WriteEndArray();
    }

    /// <summary>Writes the <c>@context</c> member: the request's user context as sent, else the core context URL.</summary>
    internal static void WriteContext(Utf8JsonWriter writer, JsonLdContext context)
    {
        writer.WritePropertyName("@context");
        if (context.Source is { } source)
        {
            source.WriteTo(writer);
        }
        else
        {
            writer.WriteStringValue(JsonLdContext.CoreContextUrl);
        }
    }

    private static void WriteFeature(Utf8JsonWriter writer, Entity entity, RenderOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("id", entity.Id);
        writer.WriteString("type", "Feature");
        writer.WritePropertyName("geometry");
        var geometry = entity.Attributes.FindInstance(options.GeometryProperty, null)
            ?? (entity.Attributes.TryGetValue(options.GeometryProperty, out var all) && all.Count > 0 ? all[0] : null);
        if (geometry is { Kind: AttributeKind.GeoProperty, Value: { } value })
        {
            value.WriteTo(writer);
        }
        else
        {
            writer.WriteNullValue();
        }
        writer.WriteStartObject("properties");
        WriteMembers(writer, entity, options, skipId: true);
        writer.WriteEndObject();
        if (options.IncludeContext)
        {
            WriteContext(writer, options.Context);
        }
        writer.WriteEndObject();
    }

    private static void WriteMembers(Utf8JsonWriter writer, Entity entity, RenderOptions options, bool skipId = false)
    {
        var context = options.Context;
        if (!skipId && options.KeepsMember("id"))
        {
            writer.WriteString("id", entity.Id);
        }
        if (options.KeepsMember("type"))
        {
            WriteStringOrArray(writer, "type", entity.Types, context.CompactIri);
        }
        if (entity.Scopes is { Count: > 0 } scopes && options.KeepsMember("scope"))
        {
            WriteStringOrArray(writer, "scope", scopes, s => s);
        }
        foreach (var (name, instances) in entity.Attributes)
        {
            if (!options.KeepsAttribute(name))
            {
                continue;
            }
            WriteAttribute(writer, context.CompactIri(name), instances, options);
        }
        if (options.SysAttrs)
        {
            writer.WriteString("createdAt", NgsiNames.FormatTimestamp(entity.CreatedAt));
            writer.WriteString("modifiedAt", NgsiNames.FormatTimestamp(entity.ModifiedAt));
        }
        options.Augmenter?.WriteEntityExtras(writer, entity, options);
    }

    private static void WriteStringOrArray(Utf8JsonWriter writer, string name, List<string> values, Func<string, string> map)
    {
        if (values.Count == 1)
        {
            writer.WriteString(name, map(values[0]));
            return;
        }
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(map(value));
        }
        writer.WriteEndArray();
    }

    private static void WriteAttribute(Utf8JsonWriter writer, string compactName, List<NgsiAttribute> all, RenderOptions options)
    {
        var instances = options.DatasetIds is null ? all : all.FindAll(i => options.DatasetIds.Contains(i.DatasetId ?? "@none"));
        if (instances.Count == 0)
        {
            return;
        }
        writer.WritePropertyName(compactName);
        if (options.Format == EntityFormat.KeyValues)
        {
            if (instances.Count == 1 && instances[0].DatasetId is null)
            {
                WriteSimplifiedValue(writer, instances[0], options);
                return;
            }
            // Simplified multi-attribute form (1.8): {"dataset": {"@none": v, "<datasetId>": v}}.
            writer.WriteStartObject();
            writer.WriteStartObject("dataset");
            foreach (var instance in instances)
            {
                writer.WritePropertyName(instance.DatasetId ?? "@none");
                WriteSimplifiedValue(writer, instance, options);
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
            return;
        }
        if (instances.Count == 1)
        {
            WriteInstance(writer, instances[0], options);
            return;
        }
        writer.WriteStartArray();
        foreach (var instance in instances)
        {
            WriteInstance(writer, instance, options);
        }
        writer.WriteEndArray();
    }

    private static void WriteSimplifiedValue(Utf8JsonWriter writer, NgsiAttribute instance, RenderOptions options)
    {
        switch (instance.Kind)
        {
            case AttributeKind.LanguageProperty when options.Lang is not null:
                WriteNode(writer, options.Lang.Pick(instance.Value as JsonObject).Value);
                break;
            case AttributeKind.LanguageProperty:
                writer.WriteStartObject();
                WriteValueMember(writer, instance, options);
                writer.WriteEndObject();
                break;
            case AttributeKind.VocabProperty or AttributeKind.JsonProperty:
                writer.WriteStartObject();
                WriteValueMember(writer, instance, options);
                writer.WriteEndObject();
                break;
            default:
                WriteValue(writer, instance, options.Context);
                break;
        }
    }

    private static void WriteInstance(Utf8JsonWriter writer, NgsiAttribute instance, RenderOptions options)
    {
        var concise = options.Format == EntityFormat.Concise;
        var languageAsProperty = instance.Kind == AttributeKind.LanguageProperty && options.Lang is not null;
        if (concise && instance.Kind is AttributeKind.Property or AttributeKind.GeoProperty && !languageAsProperty
            && instance.DatasetId is null && instance.ObservedAt is null && instance.UnitCode is null
            && instance.SubAttributes is null && !options.SysAttrs && instance.Value is not JsonObject
            && options.Augmenter?.HasExtras(instance) != true)
        {
            // A bare value is the concise form of a plain Property. Object values keep {"value": …} so they are
            // not mistaken for attributes with sub-attributes on the way back in.
            WriteValue(writer, instance, options.Context);
            return;
        }
        writer.WriteStartObject();
        if (languageAsProperty)
        {
            var (text, tag) = options.Lang!.Pick(instance.Value as JsonObject);
            if (!concise)
            {
                writer.WriteString("type", "Property");
            }
            writer.WritePropertyName("value");
            WriteNode(writer, text);
            writer.WriteString("lang", tag);
        }
        else
        {
            if (!concise)
            {
                writer.WriteString("type", AttributeKinds.TypeName(instance.Kind));
            }
            WriteValueMember(writer, instance, options);
        }
        if (instance.ObjectType is { } objectType)
        {
            writer.WritePropertyName("objectType");
            if (objectType is JsonArray types)
            {
                writer.WriteStartArray();
                foreach (var t in types)
                {
                    writer.WriteStringValue(options.Context.CompactIri(t!.GetValue<string>()));
                }
                writer.WriteEndArray();
            }
            else
            {
                writer.WriteStringValue(options.Context.CompactIri(objectType.GetValue<string>()));
            }
        }
        if (instance.DatasetId is { } datasetId)
        {
            writer.WriteString("datasetId", datasetId);
        }
        if (instance.ObservedAt is { } observedAt)
        {
            writer.WriteString("observedAt", observedAt);
        }
        if (instance.UnitCode is { } unitCode)
        {
            writer.WriteString("unitCode", unitCode);
        }
        if (instance.SubAttributes is { } subAttributes)
        {
            foreach (var (name, subInstances) in subAttributes)
            {
                writer.WritePropertyName(options.Context.CompactIri(name));
                if (subInstances.Count == 1)
                {
                    WriteInstance(writer, subInstances[0], options);
                }
                else
                {
                    writer.WriteStartArray();
                    foreach (var sub in subInstances)
                    {
                        WriteInstance(writer, sub, options);
                    }
                    writer.WriteEndArray();
                }
            }
        }
        if (options.SysAttrs)
        {
            writer.WriteString("createdAt", NgsiNames.FormatTimestamp(instance.CreatedAt));
            writer.WriteString("modifiedAt", NgsiNames.FormatTimestamp(instance.ModifiedAt));
        }
        options.Augmenter?.WriteInstanceExtras(writer, instance, options);
        writer.WriteEndObject();
    }

    private static void WriteValueMember(Utf8JsonWriter writer, NgsiAttribute instance, RenderOptions options)
    {
        writer.WritePropertyName(AttributeKinds.ValueMember(instance.Kind));
        if (instance.Kind == AttributeKind.ListRelationship && options.Format == EntityFormat.Normalized && instance.Value is JsonArray uris)
        {
            writer.WriteStartArray();
            foreach (var uri in uris)
            {
                writer.WriteStartObject();
                writer.WritePropertyName("object");
                uri!.WriteTo(writer);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            return;
        }
        WriteValue(writer, instance, options.Context);
    }

    private static void WriteNode(Utf8JsonWriter writer, JsonNode? node)
    {
        if (node is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            node.WriteTo(writer);
        }
    }

    private static void WriteValue(Utf8JsonWriter writer, NgsiAttribute instance, JsonLdContext context)
    {
        var value = instance.Value;
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }
        if (instance.Kind == AttributeKind.VocabProperty)
        {
            if (value is JsonArray vocabs)
            {
                writer.WriteStartArray();
                foreach (var v in vocabs)
                {
                    writer.WriteStringValue(context.CompactVocabValue(v!.GetValue<string>()));
                }
                writer.WriteEndArray();
            }
            else
            {
                writer.WriteStringValue(context.CompactVocabValue(value.GetValue<string>()));
            }
            return;
        }
        value.WriteTo(writer);
    }
}
