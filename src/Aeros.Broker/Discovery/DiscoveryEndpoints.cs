using System.Text.Json;
using Aeros.Broker.Api;
using Aeros.Broker.Distribution;
using Aeros.Broker.Entities;
using Aeros.Broker.Errors;
using Aeros.Broker.Model;
using Aeros.JsonLd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Broker.Discovery;

/// <summary>
/// Type and attribute discovery (§5.7.5–5.7.10): what types and attributes the tenant's entities use.
/// Computed from a scan of the entities, so the answer is always current.
/// </summary>
internal static class DiscoveryEndpoints
{
    private static readonly HashSet<string> ListParams = ["details", "local"];
    private static readonly HashSet<string> InfoParams = ["local"];

    public static void Map(IEndpointRouteBuilder api)
    {
        api.Get("/types", ListTypes);
        api.Get("/types/{type}", TypeInfo);
        api.Get("/attributes", ListAttributes);
        api.Get("/attributes/{attrId}", AttributeInfo);
    }

    /// <summary>What a scan learns about one type or attribute.</summary>
    private sealed class Facts
    {
        public long Count { get; set; }
        public SortedSet<string> Names { get; } = new(StringComparer.Ordinal);
        public SortedSet<string> AttributeKinds { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, SortedSet<string>> KindsByAttribute { get; } = new(StringComparer.Ordinal);
    }

    private static async Task<(string Tenant, JsonLdContext Context, ResponseMediaType Media)> PrepareAsync(HttpContext http, IReadOnlySet<string> allowed)
    {
        NgsiLdHttp.CheckParameters(http, allowed);
        var tenant = NgsiLdHttp.Tenant(http);
        var media = NgsiLdHttp.Negotiate(http, allowGeoJson: false);
        var context = await http.RequestServices.GetRequiredService<NgsiLdApi>().ContextAsync(http);
        await http.RequestServices.GetRequiredService<EntityService>().EnsureTenantAsync(tenant, http.RequestAborted);
        return (tenant, context, media);
    }

    /// <summary>A type or attribute name from the path, validated, and its expansion with the request's context.</summary>
    private static (string Name, string Expanded) RouteName(HttpContext http, string routeKey, JsonLdContext context)
    {
        var name = (string)http.Request.RouteValues[routeKey]!;
        if (!NgsiNames.IsValidName(name))
        {
            throw NgsiLdException.BadRequestData($"'{name}' is not a valid {(routeKey == "type" ? "type" : "attribute")} name.");
        }
        return (name, context.ExpandTerm(name));
    }

    /// <summary>
    /// Adds the type or attribute names the tenant's registered sources report (the plain lists only; details are
    /// local). Sources that fail are reported in NGSILD-Warning headers like failed query sources.
    /// </summary>
    private static async Task AddRemoteNamesAsync<T>(HttpContext http, string tenant, JsonLdContext context, bool details, string path,
        string listMember, string operation, SortedDictionary<string, T> names) where T : new()
    {
        var distribution = http.RequestServices.GetRequiredService<DistributedOperations>();
        distribution.CheckLoop(http);
        if (details || !distribution.Distributes(tenant, NgsiLdHttp.BoolParam(http, "local")))
        {
            return;
        }
        foreach (var name in await distribution.DiscoverNamesAsync(http, tenant, path, listMember, operation, context))
        {
            names.TryAdd(name, new T());
        }
    }

    private static IAsyncEnumerable<Entity> Scan(HttpContext http, string tenant, IReadOnlyList<string>? types) =>
        http.RequestServices.GetRequiredService<EntityService>().ScanAsync(tenant, types, http.RequestAborted);

    private static async Task ListTypes(HttpContext http)
    {
        var (tenant, context, media) = await PrepareAsync(http, ListParams);
        var details = NgsiLdHttp.BoolParam(http, "details");
        var types = new SortedDictionary<string, Facts>(StringComparer.Ordinal);
        await foreach (var entity in Scan(http, tenant, null))
        {
            foreach (var type in entity.Types)
            {
                if (!types.TryGetValue(type, out var facts))
                {
                    types[type] = facts = new Facts();
                }
                facts.Count++;
                facts.Names.UnionWith(entity.Attributes.Keys);
            }
        }
        await AddRemoteNamesAsync(http, tenant, context, details, "/types", "typeList", Registrations.RegistrationOperations.RetrieveEntityTypes, types);
        await WriteListAsync(http, media, context, details, "EntityTypeList", "typeList", types,
            "EntityType", "typeName", "attributeNames");
    }

    private static async Task TypeInfo(HttpContext http)
    {
        var (tenant, context, media) = await PrepareAsync(http, InfoParams);
        var (name, type) = RouteName(http, "type", context);
        var facts = new Facts();
        await foreach (var entity in Scan(http, tenant, [type]))
        {
            facts.Count++;
            foreach (var (attribute, instances) in entity.Attributes)
            {
                if (!facts.KindsByAttribute.TryGetValue(attribute, out var kinds))
                {
                    facts.KindsByAttribute[attribute] = kinds = new SortedSet<string>(StringComparer.Ordinal);
                }
                kinds.UnionWith(instances.Select(i => Model.AttributeKinds.TypeName(i.Kind)));
            }
        }
        if (facts.Count == 0)
        {
            throw NgsiLdException.NotFound($"No entity has type {name}.");
        }
        await EntityEndpoints.WriteAsync(http, media, context, w =>
        {
            w.WriteStartObject();
            w.WriteString("id", type);
            w.WriteString("type", "EntityTypeInfo");
            w.WriteString("typeName", context.CompactIri(type));
            w.WriteNumber("entityCount", facts.Count);
            w.WriteStartArray("attributeDetails");
            foreach (var (attribute, kinds) in facts.KindsByAttribute.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("id", attribute);
                w.WriteString("type", "Attribute");
                w.WriteString("attributeName", context.CompactIri(attribute));
                w.WriteStartArray("attributeTypes");
                foreach (var kind in kinds)
                {
                    w.WriteStringValue(kind);
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            WriteContextIfLd(w, media, context);
            w.WriteEndObject();
        });
    }

    private static async Task ListAttributes(HttpContext http)
    {
        var (tenant, context, media) = await PrepareAsync(http, ListParams);
        var details = NgsiLdHttp.BoolParam(http, "details");
        var attributes = await CollectAttributesAsync(http, tenant, only: null);
        await AddRemoteNamesAsync(http, tenant, context, details, "/attributes", "attributeList", Registrations.RegistrationOperations.RetrieveAttrTypes, attributes);
        await WriteListAsync(http, media, context, details, "AttributeList", "attributeList", attributes,
            "Attribute", "attributeName", "typeNames");
    }

    private static async Task AttributeInfo(HttpContext http)
    {
        var (tenant, context, media) = await PrepareAsync(http, InfoParams);
        var (name, attribute) = RouteName(http, "attrId", context);
        var attributes = await CollectAttributesAsync(http, tenant, attribute);
        if (!attributes.TryGetValue(attribute, out var facts))
        {
            throw NgsiLdException.NotFound($"No entity has attribute {name}.");
        }
        await EntityEndpoints.WriteAsync(http, media, context, w =>
        {
            w.WriteStartObject();
            w.WriteString("id", attribute);
            w.WriteString("type", "Attribute");
            w.WriteString("attributeName", context.CompactIri(attribute));
            w.WriteNumber("attributeCount", facts.Count);
            w.WriteStartArray("attributeTypes");
            foreach (var kind in facts.AttributeKinds)
            {
                w.WriteStringValue(kind);
            }
            w.WriteEndArray();
            WriteNames(w, "typeNames", facts.Names, context);
            WriteContextIfLd(w, media, context);
            w.WriteEndObject();
        });
    }

    private static async Task<SortedDictionary<string, Facts>> CollectAttributesAsync(HttpContext http, string tenant, string? only)
    {
        var attributes = new SortedDictionary<string, Facts>(StringComparer.Ordinal);
        await foreach (var entity in Scan(http, tenant, null))
        {
            foreach (var (attribute, instances) in entity.Attributes)
            {
                if (only is not null && attribute != only)
                {
                    continue;
                }
                if (!attributes.TryGetValue(attribute, out var facts))
                {
                    attributes[attribute] = facts = new Facts();
                }
                facts.Count += instances.Count;
                facts.Names.UnionWith(entity.Types);
                facts.AttributeKinds.UnionWith(instances.Select(i => Model.AttributeKinds.TypeName(i.Kind)));
            }
        }
        return attributes;
    }

    /// <summary>
    /// Writes a discovery list: without details one list object (<c>EntityTypeList</c>/<c>AttributeList</c>) of
    /// compacted names; with details an array of one object per name with the related names.
    /// </summary>
    private static Task WriteListAsync(HttpContext http, ResponseMediaType media, JsonLdContext context, bool details,
        string listType, string listMember, SortedDictionary<string, Facts> items, string itemType, string nameMember, string relatedMember) =>
        EntityEndpoints.WriteAsync(http, media, context, w =>
        {
            if (!details)
            {
                w.WriteStartObject();
                w.WriteString("id", $"urn:ngsi-ld:{listType}:{Guid.NewGuid()}");
                w.WriteString("type", listType);
                WriteNames(w, listMember, items.Keys, context);
                WriteContextIfLd(w, media, context);
                w.WriteEndObject();
                return;
            }
            w.WriteStartArray();
            foreach (var (iri, facts) in items)
            {
                w.WriteStartObject();
                w.WriteString("id", iri);
                w.WriteString("type", itemType);
                w.WriteString(nameMember, context.CompactIri(iri));
                WriteNames(w, relatedMember, facts.Names, context);
                WriteContextIfLd(w, media, context);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });

    private static void WriteNames(Utf8JsonWriter w, string member, IEnumerable<string> iris, JsonLdContext context)
    {
        w.WriteStartArray(member);
        foreach (var iri in iris)
        {
            w.WriteStringValue(context.CompactIri(iri));
        }
        w.WriteEndArray();
    }

    private static void WriteContextIfLd(Utf8JsonWriter w, ResponseMediaType media, JsonLdContext context)
    {
        if (media == ResponseMediaType.LdJson)
        {
            EntityRenderer.WriteContext(w, context);
        }
    }
}
