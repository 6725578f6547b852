using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aeros.Broker.Errors;
using Aeros.Broker.Query;
using Aeros.JsonLd;

namespace Aeros.Broker.Entities;

/// <summary>The filters and projection of a query, gathered from URL parameters or a POST Query body.</summary>
internal sealed class QueryRequest
{
    public string? Ids { get; set; }
    public string? IdPattern { get; set; }
    public string? Type { get; set; }
    public List<string>? Attrs { get; set; }
    public string? Pick { get; set; }
    public string? Omit { get; set; }
    public string? Q { get; set; }
    public string? ScopeQ { get; set; }
    public string? GeoRel { get; set; }
    public string? Geometry { get; set; }
    public string? Coordinates { get; set; }
    public string? GeoProperty { get; set; }
    public string? GeometryProperty { get; set; }
    public string? Lang { get; set; }
    public List<string>? DatasetIds { get; set; }
    public List<(string? Id, string? IdPattern, string? Type)>? Selectors { get; set; }
    public bool Local { get; set; }

    /// <summary>Checks the minimal-selector rule (§5.7.2) and builds the store's query model.</summary>
    public EntityQuery ToEntityQuery(JsonLdContext context, int limit, int offset, bool count)
    {
        var hasSelector = Type is not null || Attrs is not null || Q is not null || GeoRel is not null || Geometry is not null
            || Selectors is { Count: > 0 } && Selectors.Any(s => s.Type is not null);
        if (!hasSelector && !Local)
        {
            throw NgsiLdException.BadRequestData("A query needs at least one of type, attrs, q or a geo-query (id or idPattern alone are not enough).");
        }
        List<string>? ids = null;
        if (Ids is not null)
        {
            ids = [.. Ids.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
            foreach (var id in ids)
            {
                if (!NgsiNames.IsUri(id))
                {
                    throw NgsiLdException.BadRequestData($"'{id}' in id is not a URI.");
                }
            }
        }
        if (IdPattern is not null)
        {
            ValidatePattern(IdPattern);
        }
        GeoQuery? geo = null;
        if (GeoRel is not null || Geometry is not null || Coordinates is not null)
        {
            if (GeoRel is null || Geometry is null || Coordinates is null)
            {
                throw NgsiLdException.BadRequestData("A geo-query needs georel, geometry and coordinates together.");
            }
            geo = GeoQuery.Parse(GeoRel, Geometry, Coordinates, context.ExpandTerm(GeoProperty ?? "location"));
        }
        List<EntitySelector>? selectors = null;
        if (Selectors is not null)
        {
            selectors = [];
            foreach (var (id, pattern, type) in Selectors)
            {
                if (id is not null && !NgsiNames.IsUri(id))
                {
                    throw NgsiLdException.BadRequestData($"'{id}' in entities is not a URI.");
                }
                if (pattern is not null)
                {
                    ValidatePattern(pattern);
                }
                selectors.Add(new EntitySelector(id, pattern, type is null ? null : TypeExpression.Parse(type, context.ExpandTerm)));
            }
        }
        return new EntityQuery
        {
            Types = Type is null ? null : TypeExpression.Parse(Type, context.ExpandTerm),
            Ids = ids,
            IdPattern = IdPattern,
            Selectors = selectors,
            Q = Q is null ? null : QExpression.Parse(Q, context.ExpandTerm),
            ScopeQ = ScopeQ is null ? null : ScopeExpression.Parse(ScopeQ),
            Geo = geo,
            RequireAnyAttribute = ExpandedAttrs(context),
            Limit = limit,
            Offset = offset,
            Count = count,
        };
    }

    /// <summary>The expanded names of <c>attrs</c>, validated (id/type are not attributes, §4.6).</summary>
    public List<string>? ExpandedAttrs(JsonLdContext context)
    {
        if (Attrs is null)
        {
            return null;
        }
        var result = new List<string>();
        foreach (var attr in Attrs)
        {
            if (NgsiNames.IsReservedEntityMember(attr) || !NgsiNames.IsValidName(attr))
            {
                throw NgsiLdException.BadRequestData($"'{attr}' in attrs is not an attribute name.");
            }
            result.Add(context.ExpandTerm(attr));
        }
        return result;
    }

    /// <summary>Builds the render options (projection, lang, datasetId, representation).</summary>
    public RenderOptions ToRenderOptions(JsonLdContext context, RepresentationOptions representation, Api.ResponseMediaType media)
    {
        if (Attrs is not null && (Pick is not null || Omit is not null))
        {
            throw NgsiLdException.BadRequestData("attrs cannot be combined with pick or omit.");
        }
        var attrs = ExpandedAttrs(context);
        return new RenderOptions
        {
            Context = context,
            Format = representation.Format,
            SysAttrs = representation.SysAttrs,
            IncludeContext = media is Api.ResponseMediaType.LdJson or Api.ResponseMediaType.GeoJson,
            GeoJson = media == Api.ResponseMediaType.GeoJson,
            GeometryProperty = context.ExpandTerm(GeometryProperty ?? "location"),
            Attrs = attrs is null ? null : new HashSet<string>(attrs, StringComparer.Ordinal),
            Projection = Projection.Parse(Pick, Omit, context.ExpandTerm),
            Lang = Lang is null ? null : LanguageFilter.Parse(Lang),
            DatasetIds = DatasetIds is null ? null : new HashSet<string>(DatasetIds, StringComparer.Ordinal),
        };
    }

    private static void ValidatePattern(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.NonBacktracking, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw NgsiLdException.BadRequestData($"idPattern '{pattern}' is not a valid regular expression: {e.Message}");
        }
        catch (NotSupportedException e)
        {
            throw NgsiLdException.BadRequestData($"idPattern '{pattern}' uses a construct this broker does not support: {e.Message}");
        }
    }

    /// <summary>Reads the NGSI-LD Query body of POST /entityOperations/query (§5.2.23).</summary>
    public static QueryRequest FromBody(JsonNode? body)
    {
        if (body is not JsonObject query)
        {
            throw NgsiLdException.BadRequestData("The body must be an NGSI-LD Query object.");
        }
        if (query["type"] is not JsonValue tv || !tv.TryGetValue<string>(out var type) || type != "Query")
        {
            throw NgsiLdException.BadRequestData("The Query body must have \"type\": \"Query\".");
        }
        var request = new QueryRequest();
        foreach (var (member, value) in query)
        {
            switch (member)
            {
                case "type" or "@context":
                    break;
                case "entities":
                    if (value is not JsonArray entities || entities.Count == 0)
                    {
                        throw NgsiLdException.BadRequestData("entities must be a non-empty array of {id, idPattern, type}.");
                    }
                    request.Selectors = [];
                    foreach (var entity in entities)
                    {
                        if (entity is not JsonObject e)
                        {
                            throw NgsiLdException.BadRequestData("Every element of entities must be an object.");
                        }
                        request.Selectors.Add((OptionalString(e, "id"), OptionalString(e, "idPattern"), OptionalString(e, "type")));
                    }
                    break;
                case "attrs":
                    request.Attrs = StringList(value, member);
                    break;
                case "pick":
                    request.Pick = string.Join(',', StringList(value, member));
                    break;
                case "omit":
                    request.Omit = string.Join(',', StringList(value, member));
                    break;
                case "q":
                    request.Q = RequiredString(value, member);
                    break;
                case "scopeQ":
                    request.ScopeQ = RequiredString(value, member);
                    break;
                case "lang":
                    request.Lang = RequiredString(value, member);
                    break;
                case "datasetId":
                    request.DatasetIds = StringList(value, member);
                    break;
                case "geometryProperty":
                    request.GeometryProperty = RequiredString(value, member);
                    break;
                case "geoQ":
                    if (value is not JsonObject geoQ)
                    {
                        throw NgsiLdException.BadRequestData("geoQ must be an object with geometry, coordinates and georel.");
                    }
                    request.GeoRel = OptionalString(geoQ, "georel");
                    request.Geometry = OptionalString(geoQ, "geometry");
                    request.GeoProperty = OptionalString(geoQ, "geoproperty");
                    request.Coordinates = geoQ["coordinates"] switch
                    {
                        null => null,
                        JsonValue s when s.GetValueKind() == JsonValueKind.String => s.GetValue<string>(),
                        JsonArray a => a.ToJsonString(),
                        _ => throw NgsiLdException.BadRequestData("geoQ.coordinates must be an array or a string."),
                    };
                    break;
                case "csf" or "temporalQ" or "join" or "joinLevel" or "containedBy" or "expandValues" or "jsonKeys":
                    throw NgsiLdException.OperationNotSupported($"Query member '{member}' is not supported by this broker.");
                default:
                    throw NgsiLdException.BadRequestData($"'{member}' is not a member of an NGSI-LD Query.");
            }
        }
        return request;
    }

    private static string? OptionalString(JsonObject o, string member) => o[member] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw NgsiLdException.BadRequestData($"'{member}' must be a string."),
    };

    private static string RequiredString(JsonNode? value, string member) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw NgsiLdException.BadRequestData($"'{member}' must be a string.");

    private static List<string> StringList(JsonNode? value, string member) => value switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => [.. v.GetValue<string>().Split(',', StringSplitOptions.TrimEntries)],
        JsonArray a when a.All(x => x is JsonValue xv && xv.GetValueKind() == JsonValueKind.String) => [.. a.Select(x => x!.GetValue<string>())],
        _ => throw NgsiLdException.BadRequestData($"'{member}' must be a string or an array of strings."),
    };
}
