using System.Text.Json.Nodes;
using Aeros.Broker.Api;
using Aeros.Broker.Distribution;
using Aeros.Broker.Entities;
using Aeros.Broker.Errors;
using Aeros.Broker.Model;
using Aeros.Broker.Query;
using Aeros.JsonLd;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Broker.Registrations;

/// <summary>The /csourceRegistrations resource (§6.8, §6.9) and /info/sourceIdentity (§6.33).</summary>
internal static class RegistrationEndpoints
{
    private static readonly HashSet<string> NoParams = [];
    private static readonly HashSet<string> RetrieveParams = ["options"];
    private static readonly HashSet<string> QueryParams =
    [
        "id", "idPattern", "type", "attrs", "q", "csf", "georel", "geometry", "coordinates", "geoproperty", "timerel",
        "timeAt", "endTimeAt", "timeproperty", "limit", "offset", "count", "options", "local",
    ];

    public static void Map(IEndpointRouteBuilder api)
    {
        api.Post("/csourceRegistrations", Create);
        api.Get("/csourceRegistrations", Query);
        api.Get("/csourceRegistrations/{id}", Retrieve);
        api.Patch("/csourceRegistrations/{id}", Update);
        api.Delete("/csourceRegistrations/{id}", Delete);
        api.Get("/info/sourceIdentity", Identity);
    }

    private static NgsiLdApi Api(HttpContext http) => http.RequestServices.GetRequiredService<NgsiLdApi>();

    private static RegistrationService Service(HttpContext http) => http.RequestServices.GetRequiredService<RegistrationService>();

    private static RegistrationRegistry Registry(HttpContext http) => http.RequestServices.GetRequiredService<RegistrationRegistry>();

    private static async Task Create(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, NoParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var (json, context) = await Api(http).ReadObjectAsync(http);
        var service = Service(http);
        var canonical = RegistrationParser.Canonicalize((JsonObject)json!, context, service.Now(), fragment: false);
        await CheckExistingEntitiesAsync(http, tenant, canonical);
        var registration = await service.CreateAsync(tenant, canonical, context.Source, http.RequestAborted);
        NgsiLdResponses.Created(http, "/ngsi-ld/v1/csourceRegistrations/" + registration.Id);
    }

    /// <summary>
    /// §5.9.2.4: a redirect registration may not cover an entity that exists here, an exclusive one may not claim an
    /// attribute an existing entity has (409 Conflict). Checked for registered entity ids.
    /// </summary>
    private static async Task CheckExistingEntitiesAsync(HttpContext http, string tenant, JsonObject canonical)
    {
        var mode = canonical["mode"]?.GetValue<string>();
        if (mode is not ("redirect" or "exclusive") || canonical["information"] is not JsonArray information)
        {
            return;
        }
        var entities = http.RequestServices.GetRequiredService<EntityService>();
        foreach (var info in information.OfType<JsonObject>())
        {
            var names = new[] { "propertyNames", "relationshipNames" }.SelectMany(m => info[m] is JsonArray a ? a.Select(n => n!.GetValue<string>()) : []).ToList();
            foreach (var entityInfo in info["entities"] is JsonArray list ? list.OfType<JsonObject>() : [])
            {
                if (entityInfo["id"]?.GetValue<string>() is not { } id
                    || await entities.TryGetAsync(tenant, id, http.RequestAborted) is not { } existing
                    || !existing.Types.Contains(entityInfo["type"]!.GetValue<string>()))
                {
                    continue;
                }
                var clash = mode == "redirect"
                    ? names.Count == 0 || names.Any(existing.Attributes.ContainsKey)
                    : names.Any(existing.Attributes.ContainsKey);
                if (clash)
                {
                    throw new NgsiLdException(ErrorTypes.Conflict, "Conflict", 409,
                        $"Entity {id} exists here with data a {mode} registration would hold elsewhere (Conflict).");
                }
            }
        }
    }

    private static async Task Retrieve(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, RetrieveParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        var media = NgsiLdHttp.Negotiate(http, allowGeoJson: false);
        var sysAttrs = RepresentationOptions.Parse(NgsiLdHttp.Param(http, "options"), null).SysAttrs;
        var context = await Api(http).ContextAsync(http);
        var entry = Registry(http).Get(tenant, id) ?? throw NgsiLdException.NotFound($"Registration {id} was not found.");
        await EntityEndpoints.WriteAsync(http, media, context,
            w => RegistrationRenderer.Write(w, entry, context, sysAttrs, media == ResponseMediaType.LdJson));
    }

    private static async Task Query(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, QueryParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var media = NgsiLdHttp.Negotiate(http, allowGeoJson: false);
        var sysAttrs = RepresentationOptions.Parse(NgsiLdHttp.Param(http, "options"), null).SysAttrs;
        var context = await Api(http).ContextAsync(http);
        var options = Api(http).Options;
        var count = NgsiLdHttp.BoolParam(http, "count");
        _ = NgsiLdHttp.BoolParam(http, "local");
        var limit = NgsiLdHttp.IntParam(http, "limit") ?? options.PageSize;
        var offset = NgsiLdHttp.IntParam(http, "offset") ?? 0;
        if (limit > options.MaxPageSize)
        {
            throw NgsiLdException.TooManyResults($"limit {limit} is above the maximum page size {options.MaxPageSize}.");
        }
        if (limit == 0 && !count)
        {
            throw NgsiLdException.BadRequestData("limit=0 is only allowed together with count=true.");
        }
        var criteria = DiscoveryCriteria.Parse(http, context);
        await http.RequestServices.GetRequiredService<EntityService>().EnsureTenantAsync(tenant, http.RequestAborted);
        var now = Service(http).Now();
        var registrations = Registry(http).For(tenant);
        criteria.UseIdsForRegistrations(registrations.Select(e => e.Registration.Id));
        var matches = registrations.Where(e => !e.Registration.IsExpired(now) && criteria.Matches(e.Registration)).ToList();
        var page = matches.Skip(offset).Take(limit).ToList();
        if (count)
        {
            http.Response.Headers["NGSILD-Results-Count"] = matches.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        NgsiLdResponses.AddPaginationLinks(http, limit, offset, page.Count, matches.Count);
        await EntityEndpoints.WriteAsync(http, media, context, w =>
        {
            w.WriteStartArray();
            foreach (var entry in page)
            {
                RegistrationRenderer.Write(w, entry, context, sysAttrs, media == ResponseMediaType.LdJson);
            }
            w.WriteEndArray();
        });
    }

    private static async Task Update(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, NoParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        var (json, context) = await Api(http).ReadObjectAsync(http, allowMergePatch: true);
        var service = Service(http);
        var fragment = RegistrationParser.Canonicalize((JsonObject)json!, context, service.Now(), fragment: true);
        if (fragment.Count == 0)
        {
            throw NgsiLdException.BadRequestData("The update fragment changes nothing.");
        }
        await service.UpdateAsync(tenant, id, fragment, http.RequestAborted);
        NgsiLdResponses.NoContent(http);
    }

    private static async Task Delete(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, NoParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        await Service(http).DeleteAsync(tenant, id, http.RequestAborted);
        NgsiLdResponses.NoContent(http);
    }

    private static Task Identity(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, NoParams);
        var media = NgsiLdHttp.Negotiate(http, allowGeoJson: false);
        var identity = http.RequestServices.GetRequiredService<SourceIdentity>();
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var context = JsonLdContext.Core;
        return EntityEndpoints.WriteAsync(http, media, context, w =>
        {
            w.WriteStartObject();
            w.WriteString("id", "urn:ngsi-ld:ContextSourceIdentity:" + identity.Alias);
            w.WriteString("type", "ContextSourceIdentity");
            w.WriteString("contextSourceUptime", System.Xml.XmlConvert.ToString(TimeSpan.FromSeconds(Math.Floor((now - identity.StartedAt).TotalSeconds))));
            w.WriteString("contextSourceTimeAt", NgsiNames.FormatTimestamp(now));
            w.WriteString("contextSourceAlias", identity.Alias);
            w.WriteStartObject("contextSourceExtras");
            w.WriteString("broker", "Aeros");
            w.WriteEndObject();
            if (media == ResponseMediaType.LdJson)
            {
                EntityRenderer.WriteContext(w, context);
            }
            w.WriteEndObject();
        });
    }
}

/// <summary>
/// The filters of GET /csourceRegistrations (§5.10.2): entity selection (id, idPattern, type, attrs) against the
/// registered information, <c>q</c>/<c>csf</c> on context source properties, a geo-query against <c>location</c>
/// (or <c>observationSpace</c>/<c>operationSpace</c>), a temporal query against the intervals.
/// </summary>
internal sealed class DiscoveryCriteria
{
    private RegistrationFilter Filter { get; set; } = new();
    private QExpression? Q { get; init; }
    private QExpression? Csf { get; init; }
    private GeoQuery? Geo { get; init; }
    private string? TimeRel { get; init; }
    private DateTimeOffset TimeAt { get; init; }
    private DateTimeOffset? EndTimeAt { get; init; }
    private bool ManagementInterval { get; init; }

    public static DiscoveryCriteria Parse(HttpContext http, JsonLdContext context)
    {
        var type = NgsiLdHttp.Param(http, "type");
        var attrs = NgsiLdHttp.Param(http, "attrs");
        // §5.10.2 asks for type or attrs; the suite also queries by id alone (037_10_01) or q alone (037_10_02), so
        // only a query without any filter is refused (037_02_01).
        string[] filters = ["type", "attrs", "id", "idPattern", "q", "csf", "georel", "timerel"];
        if (!filters.Any(http.Request.Query.ContainsKey))
        {
            throw NgsiLdException.BadRequestData("Querying registrations needs a filter: type or attrs (or id, idPattern, q, csf, a geo- or temporal query).");
        }
        var ids = NgsiLdHttp.Param(http, "id")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var id in ids ?? [])
        {
            if (!NgsiNames.IsUri(id))
            {
                throw NgsiLdException.BadRequestData($"'{id}' in id is not a URI.");
            }
        }
        var idPattern = NgsiLdHttp.Param(http, "idPattern");
        if (idPattern is not null)
        {
            RegistrationParser.ValidatePattern(idPattern);
        }
        List<string>? expandedAttrs = null;
        if (attrs is not null)
        {
            expandedAttrs = [];
            foreach (var attr in attrs.Split(',', StringSplitOptions.TrimEntries))
            {
                if (!NgsiNames.IsValidName(attr) || NgsiNames.IsReservedEntityMember(attr))
                {
                    throw NgsiLdException.BadRequestData($"'{attr}' in attrs is not an attribute name.");
                }
                expandedAttrs.Add(context.ExpandTerm(attr));
            }
        }
        var georel = NgsiLdHttp.Param(http, "georel");
        var geometry = NgsiLdHttp.Param(http, "geometry");
        var coordinates = NgsiLdHttp.Param(http, "coordinates");
        GeoQuery? geo = null;
        if (georel is not null || geometry is not null || coordinates is not null)
        {
            if (georel is null || geometry is null || coordinates is null)
            {
                throw NgsiLdException.BadRequestData("A geo-query needs georel, geometry and coordinates together.");
            }
            var geoProperty = NgsiLdHttp.Param(http, "geoproperty") ?? "location";
            if (geoProperty is not ("location" or "observationSpace" or "operationSpace"))
            {
                throw NgsiLdException.BadRequestData("geoproperty of a registration query must be location, observationSpace or operationSpace.");
            }
            geo = GeoQuery.Parse(georel, geometry, coordinates, geoProperty);
        }
        var timerel = NgsiLdHttp.Param(http, "timerel");
        var timeAtText = NgsiLdHttp.Param(http, "timeAt");
        var endTimeAtText = NgsiLdHttp.Param(http, "endTimeAt");
        var timeProperty = NgsiLdHttp.Param(http, "timeproperty") ?? "observedAt";
        DateTimeOffset timeAt = default;
        DateTimeOffset? endTimeAt = null;
        if (timerel is not null || timeAtText is not null || endTimeAtText is not null)
        {
            if (timerel is not ("before" or "after" or "between"))
            {
                throw NgsiLdException.BadRequestData("timerel must be before, after or between.");
            }
            if (!NgsiNames.TryParseDateTime(timeAtText, out timeAt))
            {
                throw NgsiLdException.BadRequestData("A temporal query needs timeAt as an ISO 8601 date-time.");
            }
            if (timerel == "between")
            {
                if (!NgsiNames.TryParseDateTime(endTimeAtText, out var end) || end <= timeAt)
                {
                    throw NgsiLdException.BadRequestData("timerel=between needs endTimeAt, after timeAt.");
                }
                endTimeAt = end;
            }
        }
        if (timeProperty is not ("observedAt" or "createdAt" or "modifiedAt"))
        {
            throw NgsiLdException.BadRequestData("timeproperty must be observedAt, createdAt or modifiedAt.");
        }
        var q = NgsiLdHttp.Param(http, "q");
        var csf = NgsiLdHttp.Param(http, "csf");
        return new DiscoveryCriteria
        {
            Filter = new RegistrationFilter
            {
                Ids = ids,
                IdPattern = idPattern,
                Types = type is null ? null : TypeExpression.Parse(type, context.ExpandTerm),
                Attrs = expandedAttrs,
            },
            Q = q is null ? null : QExpression.Parse(q, context.ExpandTerm),
            Csf = csf is null ? null : QExpression.Parse(csf, context.ExpandTerm),
            Geo = geo,
            TimeRel = timerel,
            TimeAt = timeAt,
            EndTimeAt = endTimeAt,
            ManagementInterval = timeProperty is "createdAt" or "modifiedAt",
        };
    }

    private HashSet<string>? RegistrationIds { get; set; }

    /// <summary>
    /// <c>id</c> names registered entities (§5.10.2) — unless it names registrations of the tenant, as the suite's
    /// 037_10_01 uses it: then it selects those registrations.
    /// </summary>
    public void UseIdsForRegistrations(IEnumerable<string> registrationIds)
    {
        if (Filter.Ids is { Count: > 0 } ids && registrationIds.Any(ids.Contains))
        {
            RegistrationIds = [.. ids];
            Filter = new RegistrationFilter { Types = Filter.Types, Attrs = Filter.Attrs, IdPattern = Filter.IdPattern };
        }
    }

    public bool Matches(ContextSourceRegistration registration)
    {
        if ((RegistrationIds is not null && !RegistrationIds.Contains(registration.Id))
            || !registration.Information.Any(info => RegistrationMatcher.InfoMatches(info, Filter)))
        {
            return false;
        }
        if (Q is not null || Csf is not null || Geo is not null)
        {
            var properties = PropertiesEntity(registration);
            if ((Q is not null && !Q.Matches(properties)) || (Csf is not null && !Csf.Matches(properties))
                || (Geo is not null && !Geo.Matches(properties)))
            {
                return false;
            }
        }
        var interval = ManagementInterval ? registration.ManagementInterval : registration.ObservationInterval;
        if (TimeRel is null)
        {
            // Without a temporal query only registrations of current ("latest") data match (§5.12).
            return registration.ObservationInterval is null && registration.ManagementInterval is null;
        }
        return interval is not null && TimeRel switch
        {
            "before" => interval.StartAt < TimeAt,
            "after" => interval.EndAt is null || interval.EndAt > TimeAt,
            _ => interval.Overlaps(TimeAt, EndTimeAt),
        };
    }

    /// <summary>The registration's properties as an entity, so that q, csf and geo-queries apply as they do to entities.</summary>
    internal static Entity PropertiesEntity(ContextSourceRegistration registration)
    {
        var entity = new Entity { Id = registration.Id, Types = [RegistrationParser.TypeName] };
        foreach (var (name, value) in registration.Properties)
        {
            var plain = value is JsonObject o && o.ContainsKey("value") ? o["value"] : value;
            entity.Attributes[name] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = plain?.DeepClone() }];
        }
        foreach (var member in new[] { "location", "observationSpace", "operationSpace" })
        {
            if (registration.Document[member] is { } geometry)
            {
                entity.Attributes[member] = [new NgsiAttribute { Kind = AttributeKind.GeoProperty, Value = geometry.DeepClone() }];
            }
        }
        foreach (var member in new[] { "registrationName", "description", "contextSourceAlias", "tenant" })
        {
            if (registration.Document[member] is { } text)
            {
                entity.Attributes[context(member)] = [new NgsiAttribute { Kind = AttributeKind.Property, Value = text.DeepClone() }];
            }
        }
        return entity;

        static string context(string member) => JsonLdContext.Core.ExpandTerm(member);
    }
}
