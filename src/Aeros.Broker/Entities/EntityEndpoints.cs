using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Broker.Api;
using Aeros.Broker.Distribution;
using Aeros.Broker.Errors;
using Aeros.Broker.Model;
using Aeros.Broker.Query;
using Aeros.Broker.Registrations;
using Aeros.Broker.Storage;
using Aeros.JsonLd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Broker.Entities;

/// <summary>The /entities resource and its attributes (§6.4–6.7) and POST /entityOperations/query (§6.23).</summary>
internal static class EntityEndpoints
{
    private static readonly HashSet<string> QueryParams =
    [
        "id", "idPattern", "type", "attrs", "pick", "omit", "q", "scopeQ", "georel", "geometry", "coordinates", "geoproperty",
        "geometryProperty", "datasetId", "lang", "options", "format", "limit", "offset", "count", "local",
    ];
    private static readonly HashSet<string> RetrieveParams = ["type", "attrs", "pick", "omit", "datasetId", "lang", "geometryProperty", "options", "format", "local"];
    private static readonly HashSet<string> PostQueryParams = ["limit", "offset", "count", "options", "format", "local"];
    private static readonly HashSet<string> CreateParams = ["local"];
    private static readonly HashSet<string> TypeOnly = ["type", "local"];
    private static readonly HashSet<string> MergeParams = ["type", "format", "options", "lang", "observedAt"];
    private static readonly HashSet<string> AppendParams = ["options", "type"];
    private static readonly HashSet<string> DeleteAttrParams = ["datasetId", "deleteAll", "type"];

    public static void Map(IEndpointRouteBuilder api)
    {
        api.Post("/entities", Create);
        api.Get("/entities", QueryGet);
        api.Get("/entities/{id}", Retrieve);
        api.Delete("/entities/{id}", Delete);
        api.Put("/entities/{id}", Replace);
        api.Patch("/entities/{id}", Merge);
        api.Post("/entities/{id}/attrs", Append);
        api.Patch("/entities/{id}/attrs", Update);
        api.Patch("/entities/{id}/attrs/{attrId}", PartialUpdate);
        api.Put("/entities/{id}/attrs/{attrId}", ReplaceAttribute);
        api.Delete("/entities/{id}/attrs/{attrId}", DeleteAttribute);
        api.Post("/entityOperations/query", QueryPost);
    }

    private static NgsiLdApi Api(HttpContext http) => http.RequestServices.GetRequiredService<NgsiLdApi>();

    private static EntityService Service(HttpContext http) => http.RequestServices.GetRequiredService<EntityService>();

    /// <summary>The distributed operations, after the loop check (a request whose Via names this broker → 508).</summary>
    private static DistributedOperations Distribution(HttpContext http)
    {
        var distribution = http.RequestServices.GetRequiredService<DistributedOperations>();
        distribution.CheckLoop(http);
        return distribution;
    }

    private static async Task Create(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, CreateParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var (json, context) = await Api(http).ReadObjectAsync(http);
        var service = Service(http);
        var payload = EntityParser.ParseEntity(json, context, PayloadKind.NewEntity, service.Now());
        var location = "/ngsi-ld/v1/entities/" + payload.Id;
        if (Distribution(http).Distributes(tenant, NgsiLdHttp.BoolParam(http, "local")))
        {
            // Kept out of this method: its closures would cost the local path an allocation per request.
            if (await CreateDistributedAsync(http, tenant, service, payload, (JsonObject)json!, context, location))
            {
                return;
            }
        }
        else
        {
            await service.CreateAsync(tenant, payload, http.RequestAborted);
        }
        NgsiLdResponses.Created(http, location);
    }

    private static async Task<bool> CreateDistributedAsync(HttpContext http, string tenant, EntityService service, EntityPayload payload,
        JsonObject json, JsonLdContext context, string location)
    {
        var (written, _) = await ProvisionAsync(http, tenant, RegistrationOperations.CreateEntity, payload.Id!, payload.Types,
            [.. payload.Attributes.Keys], json, filterBody: true, context, HttpMethod.Post, "/entities", attributeResult: false,
            async claimed =>
            {
                Strip(payload, claimed);
                await service.CreateAsync(tenant, payload, http.RequestAborted);
                return null;
            }, location);
        return written;
    }

    private static async Task Retrieve(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, RetrieveParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        var media = NgsiLdHttp.Negotiate(http, allowGeoJson: true);
        var context = await Api(http).ContextAsync(http);
        var request = FromUrl(http);
        var render = request.ToRenderOptions(context, Representation(http), media);
        var type = TypeFilter(http, context);
        var service = Service(http);
        var distribution = Distribution(http);
        var entity = distribution.Distributes(tenant, request.Local)
            ? await RetrieveDistributedAsync(http, distribution, service, tenant, id, type, request, context)
            : await service.RetrieveAsync(tenant, id, type, http.RequestAborted);
        if (render.Attrs is { } attrs && !entity.Attributes.Keys.Any(attrs.Contains))
        {
            throw NgsiLdException.NotFound($"Entity {id} has none of the requested attributes.");
        }
        if (!EntityRenderer.HasVisibleMembers(entity, render))
        {
            throw NgsiLdException.NotFound($"Nothing of entity {id} is left after pick/omit.");
        }
        await WriteAsync(http, media, context, w => EntityRenderer.WriteEntity(w, entity, render));
    }

    private static Task<Entity> RetrieveDistributedAsync(HttpContext http, DistributedOperations distribution, EntityService service,
        string tenant, string id, TypeExpression? type, QueryRequest request, JsonLdContext context) =>
        distribution.RetrieveAsync(http, tenant, id, type, request, context, async () =>
        {
            try
            {
                return await service.RetrieveAsync(tenant, id, type, http.RequestAborted);
            }
            catch (NgsiLdException e) when (e.Status == StatusCodes.Status404NotFound)
            {
                return null;
            }
        });

    private static async Task QueryGet(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, QueryParams);
        var request = FromUrl(http);
        await RunQueryAsync(http, request, await Api(http).ContextAsync(http), null);
    }

    private static async Task QueryPost(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, PostQueryParams);
        var (json, context) = await Api(http).ReadObjectAsync(http);
        var request = QueryRequest.FromBody(json);
        request.Local = NgsiLdHttp.BoolParam(http, "local");
        await RunQueryAsync(http, request, context, (JsonObject)json!);
    }

    private static async Task RunQueryAsync(HttpContext http, QueryRequest request, JsonLdContext context, JsonObject? postBody)
    {
        var tenant = NgsiLdHttp.Tenant(http);
        var media = NgsiLdHttp.Negotiate(http, allowGeoJson: true);
        var options = Api(http).Options;
        var count = NgsiLdHttp.BoolParam(http, "count");
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
        var render = request.ToRenderOptions(context, Representation(http), media);
        var query = request.ToEntityQuery(context, limit, offset, count);
        var service = Service(http);
        var distribution = Distribution(http);
        var page = distribution.Distributes(tenant, request.Local)
            ? await QueryDistributedAsync(http, distribution, service, tenant, request, query, context, postBody)
            : await service.QueryAsync(tenant, WithProjection(query, render), http.RequestAborted);
        if (page.TotalCount is { } total)
        {
            http.Response.Headers["NGSILD-Results-Count"] = total.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        NgsiLdResponses.AddPaginationLinks(http, limit, offset, page.Entities.Count, page.TotalCount);
        await WriteAsync(http, media, context, w => EntityRenderer.WriteEntities(w, page.Entities, render));
    }

    /// <summary>
    /// Tells the store which attributes the response renders (attrs, pick, omit; GeoJSON also needs its geometry), so
    /// that it may leave the others out of what it reads.
    /// </summary>
    private static EntityQuery WithProjection(EntityQuery query, RenderOptions render)
    {
        HashSet<string>? keep = render.Attrs is { } attrs ? new HashSet<string>(attrs, StringComparer.Ordinal) : null;
        HashSet<string>? drop = null;
        if (render.Projection is { } projection)
        {
            if (projection.Picked is { } picked)
            {
                keep = new HashSet<string>(picked, StringComparer.Ordinal);
                if (projection.Omitted is { } omittedToo)
                {
                    keep.ExceptWith(omittedToo);
                }
            }
            else if (projection.Omitted is { } omitted)
            {
                drop = new HashSet<string>(omitted, StringComparer.Ordinal);
            }
        }
        if (keep is null && drop is null)
        {
            return query;
        }
        if (render.GeoJson)
        {
            keep?.Add(render.GeometryProperty);
            drop?.Remove(render.GeometryProperty);
        }
        // Every other member as given: a copy listing members would silently drop one added later.
        return query with { KeepAttributes = keep, DropAttributes = drop };
    }

    private static Task<QueryPage> QueryDistributedAsync(HttpContext http, DistributedOperations distribution, EntityService service,
        string tenant, QueryRequest request, EntityQuery query, JsonLdContext context, JsonObject? postBody) =>
        distribution.QueryAsync(http, tenant, request, query, context, postBody, q => service.QueryAsync(tenant, q, http.RequestAborted));

    private static async Task Delete(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, TypeOnly);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        var context = await Api(http).ContextAsync(http);
        var type = TypeFilter(http, context);
        var service = Service(http);
        if (Distribution(http).Distributes(tenant, NgsiLdHttp.BoolParam(http, "local")))
        {
            if (await DeleteDistributedAsync(http, tenant, service, id, type, context))
            {
                return;
            }
        }
        else
        {
            await service.DeleteAsync(tenant, id, type, http.RequestAborted);
        }
        NgsiLdResponses.NoContent(http);
    }

    private static async Task<bool> DeleteDistributedAsync(HttpContext http, string tenant, EntityService service, string id, TypeExpression? type, JsonLdContext context)
    {
        var (written, _) = await ProvisionAsync(http, tenant, RegistrationOperations.DeleteEntity, id, await TypesOfAsync(http, tenant, id, type),
            null, null, filterBody: false, context, HttpMethod.Delete, "/entities/" + DistributedOperations.EscapeId(id), attributeResult: false,
            async _ =>
            {
                await service.DeleteAsync(tenant, id, type, http.RequestAborted);
                return null;
            });
        return written;
    }

    private static async Task Replace(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, TypeOnly);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        var (json, context) = await Api(http).ReadObjectAsync(http);
        var service = Service(http);
        var payload = EntityParser.ParseEntity(json, context, PayloadKind.Replacement, service.Now());
        var type = TypeFilter(http, context);
        if (Distribution(http).Distributes(tenant, false))
        {
            if (await ReplaceDistributedAsync(http, tenant, service, id, payload, type, (JsonObject)json!, context))
            {
                return;
            }
        }
        else
        {
            await service.ReplaceAsync(tenant, id, payload, type, http.RequestAborted);
        }
        NgsiLdResponses.NoContent(http);
    }

    private static async Task<bool> ReplaceDistributedAsync(HttpContext http, string tenant, EntityService service, string id, EntityPayload payload,
        TypeExpression? type, JsonObject json, JsonLdContext context)
    {
        var (written, _) = await ProvisionAsync(http, tenant, RegistrationOperations.ReplaceEntity, id, payload.Types,
            [.. payload.Attributes.Keys], json, filterBody: true, context, HttpMethod.Put, EntityPath(http, id, null), attributeResult: false,
            async claimed =>
            {
                Strip(payload, claimed);
                await service.ReplaceAsync(tenant, id, payload, type, http.RequestAborted);
                return null;
            });
        return written;
    }

    private static async Task Merge(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, MergeParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        var (json, context) = await Api(http).ReadObjectAsync(http, allowMergePatch: true);
        var representation = RepresentationOptions.Parse(NgsiLdHttp.Param(http, "options"), NgsiLdHttp.Param(http, "format"));
        var observedAt = NgsiLdHttp.Param(http, "observedAt");
        if (observedAt is not null && !NgsiNames.TryParseDateTime(observedAt, out _))
        {
            throw NgsiLdException.BadRequestData("observedAt must be an ISO 8601 date-time.");
        }
        var lang = NgsiLdHttp.Param(http, "lang");
        var service = Service(http);
        var now = service.Now();
        var payload = EntityParser.ParseEntity(json, context, PayloadKind.Patch, now);
        if (payload.Id is not null && payload.Id != id)
        {
            throw NgsiLdException.BadRequestData($"The payload's id {payload.Id} differs from the entity id {id} in the URL.");
        }
        var type = TypeFilter(http, context);
        Task<UpdateOutcome> MergeLocally() => service.ModifyAsync(tenant, id, type, entity =>
        {
            if (representation.Format == EntityFormat.KeyValues)
            {
                AdaptSimplified(entity, payload);
            }
            ApplyMergeParameters(payload, observedAt, lang);
            var outcome = EntityMutations.Merge(entity, payload, now);
            return (outcome, outcome.Changed);
        }, http.RequestAborted);
        var distribution = Distribution(http);
        if (distribution.Distributes(tenant, false))
        {
            var (written, _) = await ProvisionAsync(http, tenant, RegistrationOperations.MergeEntity, id,
                payload.Types.Count > 0 ? payload.Types : await TypesOfAsync(http, tenant, id, type),
                [.. payload.Attributes.Keys], (JsonObject)json!, filterBody: true, context, HttpMethod.Patch, EntityPath(http, id, null), attributeResult: false,
                async claimed =>
                {
                    Strip(payload, claimed);
                    await MergeLocally();
                    return null;
                });
            if (written)
            {
                return;
            }
        }
        else
        {
            await MergeLocally();
        }
        NgsiLdResponses.NoContent(http);
    }

    /// <summary>With format=keyValues, values arrive bare: keep each existing attribute's type (§5.5.12).</summary>
    private static void AdaptSimplified(Entity entity, EntityPayload payload)
    {
        foreach (var (name, instances) in payload.Attributes)
        {
            if (!entity.Attributes.TryGetValue(name, out var existing) || existing.Count == 0)
            {
                continue;
            }
            foreach (var instance in instances)
            {
                var kind = existing[0].Kind;
                if (instance.Kind == kind || EntityParser.IsDeletion(instance))
                {
                    continue;
                }
                if (instance.Kind != AttributeKind.Property)
                {
                    throw NgsiLdException.BadRequestData($"Attribute '{name}' is a {AttributeKinds.TypeName(kind)}; a merge cannot change its type.");
                }
                instance.Kind = kind;
            }
        }
    }

    private static void ApplyMergeParameters(EntityPayload payload, string? observedAt, string? lang)
    {
        foreach (var instance in payload.Attributes.Values.SelectMany(i => i))
        {
            if (observedAt is not null && instance.ObservedAt is null)
            {
                instance.ObservedAt = observedAt;
            }
            if (lang is not null && instance.Kind == AttributeKind.Property && instance.Value is JsonValue text
                && text.GetValueKind() == JsonValueKind.String && !EntityParser.IsDeletion(instance))
            {
                instance.Kind = AttributeKind.LanguageProperty;
                instance.Value = new JsonObject { [lang] = text.DeepClone() };
            }
        }
    }

    private static async Task Append(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, AppendParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        var noOverwrite = RepresentationOptions.Parse(NgsiLdHttp.Param(http, "options"), null, "noOverwrite").Flags.Contains("noOverwrite");
        var (json, context) = await Api(http).ReadObjectAsync(http);
        var service = Service(http);
        var now = service.Now();
        var payload = EntityParser.ParseEntity(json, context, PayloadKind.Append, now);
        var type = TypeFilter(http, context);
        Task<UpdateOutcome> AppendLocally() => service.ModifyAsync(tenant, id, type, entity =>
        {
            var result = EntityMutations.Append(entity, payload, noOverwrite, now);
            return (result, result.Changed);
        }, http.RequestAborted);
        await UpdateAttributesAsync(http, tenant, RegistrationOperations.AppendAttrs, id, type, payload, (JsonObject)json!, context, HttpMethod.Post, AppendLocally);
    }

    private static async Task Update(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, TypeOnly);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        var (json, context) = await Api(http).ReadObjectAsync(http, allowMergePatch: true);
        var service = Service(http);
        var now = service.Now();
        var payload = EntityParser.ParseEntity(json, context, PayloadKind.Patch, now);
        var type = TypeFilter(http, context);
        Task<UpdateOutcome> UpdateLocally() => service.ModifyAsync(tenant, id, type, entity =>
        {
            var result = EntityMutations.Update(entity, payload, now);
            return (result, result.Changed);
        }, http.RequestAborted);
        await UpdateAttributesAsync(http, tenant, RegistrationOperations.UpdateAttrs, id, type, payload, (JsonObject)json!, context, HttpMethod.Patch, UpdateLocally);
    }

    private static async Task PartialUpdate(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, TypeOnly);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        var attrName = AttributeName(http);
        var (json, context) = await Api(http).ReadObjectAsync(http, allowMergePatch: true);
        var fragment = (JsonObject)json!;
        if (fragment.Count == 0)
        {
            throw NgsiLdException.BadRequestData("The attribute fragment is empty.");
        }
        var name = context.ExpandTerm(attrName);
        var service = Service(http);
        var now = service.Now();
        var type = TypeFilter(http, context);
        Task LocalChange() => service.ModifyAsync(tenant, id, type, entity =>
        {
            var datasetId = fragment["datasetId"] is JsonValue dv && dv.TryGetValue<string>(out var d) ? d : null;
            var current = entity.Attributes.FindInstance(name, datasetId)
                ?? throw NgsiLdException.NotFound($"Entity {id} has no {(datasetId is null ? "default instance" : $"instance {datasetId}")} of attribute '{attrName}'.");
            // Complete the fragment with the current type and value so it parses; only given members are applied.
            var given = new HashSet<string>(fragment.Select(m => m.Key), StringComparer.Ordinal);
            var completed = (JsonObject)fragment.DeepClone();
            var valueMember = AttributeKinds.ValueMember(current.Kind);
            if (!completed.ContainsKey("type") && !AttributeKinds.ValueMembers.Any(completed.ContainsKey))
            {
                completed["type"] = AttributeKinds.TypeName(current.Kind);
                completed[valueMember] = current.Kind == AttributeKind.VocabProperty ? "x" : current.Value?.DeepClone();
            }
            var parsed = EntityParser.ParseInstance(attrName, completed, context, allowNull: true, now, depth: 0);
            if (!given.Contains("type") && parsed.Kind != current.Kind && given.Contains(AttributeKinds.ValueMember(parsed.Kind)))
            {
                // A concise fragment ({"value": ...}) of a GeoProperty or other kind keeps the attribute's kind.
                if (AttributeKinds.ValueMember(parsed.Kind) == valueMember)
                {
                    parsed.Kind = current.Kind;
                }
                else
                {
                    throw NgsiLdException.BadRequestData($"Attribute '{attrName}' is a {AttributeKinds.TypeName(current.Kind)}; a partial update cannot change its type.");
                }
            }
            EntityMutations.PartialUpdate(entity, name, parsed, given, now);
            return (true, true);
        }, http.RequestAborted);
        if (await AttributeProvisionAsync(http, tenant, RegistrationOperations.UpdateAttrs, id, type, name, attrName, fragment, context, HttpMethod.Patch, LocalChange))
        {
            return;
        }
        await LocalChange();
        NgsiLdResponses.NoContent(http);
    }

    private static async Task ReplaceAttribute(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, TypeOnly);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        var attrName = AttributeName(http);
        if (attrName == "scope")
        {
            throw NgsiLdException.BadRequestData("scope is not an attribute; replace the entity or append scopes instead.");
        }
        var (json, context) = await Api(http).ReadObjectAsync(http);
        var name = context.ExpandTerm(attrName);
        var service = Service(http);
        var now = service.Now();
        var instances = EntityParser.ParseAttribute(attrName, StripContext(json), context, allowNull: false, now);
        var type = TypeFilter(http, context);
        Task LocalChange() => service.ModifyAsync(tenant, id, type, entity =>
        {
            EntityMutations.ReplaceAttribute(entity, name, instances, instances.Count == 1 ? instances[0].DatasetId : null, now);
            return (true, true);
        }, http.RequestAborted);
        if (await AttributeProvisionAsync(http, tenant, RegistrationOperations.ReplaceAttrs, id, type, name, attrName, (JsonObject)json!, context, HttpMethod.Put, LocalChange))
        {
            return;
        }
        await LocalChange();
        NgsiLdResponses.NoContent(http);
    }

    private static async Task DeleteAttribute(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, DeleteAttrParams);
        var tenant = NgsiLdHttp.Tenant(http);
        var id = NgsiLdApi.PathId(http);
        var attrName = AttributeName(http);
        var datasetId = NgsiLdHttp.Param(http, "datasetId");
        if (datasetId is not null && !NgsiNames.IsUri(datasetId))
        {
            throw NgsiLdException.BadRequestData("datasetId must be a URI.");
        }
        var deleteAll = NgsiLdHttp.BoolParam(http, "deleteAll");
        var context = await Api(http).ContextAsync(http);
        var service = Service(http);
        var now = service.Now();
        var type = TypeFilter(http, context);
        Task LocalChange() => service.ModifyAsync(tenant, id, type, entity =>
        {
            if (attrName == "scope")
            {
                if (entity.Scopes is null)
                {
                    throw NgsiLdException.NotFound($"Entity {id} has no scope.");
                }
                entity.Scopes = null;
                entity.ModifiedAt = now;
            }
            else
            {
                EntityMutations.DeleteAttribute(entity, context.ExpandTerm(attrName), datasetId, deleteAll, now);
            }
            return (true, true);
        }, http.RequestAborted);
        if (attrName != "scope"
            && await AttributeProvisionAsync(http, tenant, RegistrationOperations.DeleteAttrs, id, type, context.ExpandTerm(attrName), attrName, null, context, HttpMethod.Delete, LocalChange))
        {
            return;
        }
        await LocalChange();
        NgsiLdResponses.NoContent(http);
    }

    /// <summary>
    /// Runs a provision with forwarding (§5.6 with registrations): forwards to the matching registrations, then does
    /// the local part (without attributes that exclusive/redirect sources hold). When no source failed, the caller
    /// answers as usual (Written is false); otherwise a 207 with every failure is written here.
    /// </summary>
    private static async Task<(bool Written, UpdateOutcome? Local)> ProvisionAsync(HttpContext http, string tenant, string operation, string id,
        IReadOnlyList<string>? types, IReadOnlyCollection<string>? attributes, JsonObject? body, bool filterBody, JsonLdContext context,
        HttpMethod method, string path, bool attributeResult, Func<IReadOnlySet<string>, Task<UpdateOutcome?>> local, string? location = null)
    {
        var distribution = http.RequestServices.GetRequiredService<DistributedOperations>();
        var bodyIsLd = http.Request.ContentType?.StartsWith(NgsiLdHttp.ApplicationLdJson, StringComparison.OrdinalIgnoreCase) == true;
        var outcome = await distribution.ForwardProvisionAsync(http, tenant, operation, id, types, attributes,
            body, filterBody, bodyIsLd, context, method, path);
        var names = attributes ?? [];
        var skipLocal = outcome.WholeEntityElsewhere || (outcome.Claimed.Count > 0 && names.Count > 0 && names.All(outcome.Claimed.Contains));
        UpdateOutcome? localResult = null;
        NgsiLdException? localError = null;
        if (!skipLocal)
        {
            try
            {
                localResult = await local(outcome.Claimed);
            }
            catch (NgsiLdException e) when (outcome.AnyForwarded || outcome.Failures.Count > 0)
            {
                // An entity that lives only at a source is not found locally: that is no failure when a source took it.
                if (!(e.Status == StatusCodes.Status404NotFound && outcome.AnySucceeded))
                {
                    localError = e;
                }
            }
            catch (UnknownTenantException) when (outcome.AnySucceeded)
            {
                // The tenant exists only at the source.
            }
        }
        // Reaching here with a local error means something was forwarded: part of the request was done, so the
        // answer is a 207 naming what failed (D001_03_01_inc: local 409 while the source created the entity).
        if (outcome.Failures.Count == 0 && localError is null)
        {
            return (false, localResult);
        }
        if (location is not null)
        {
            // A 207 of Create Entity still says where the entity is (§6.4.3.1).
            http.Response.Headers.Location = location;
        }
        if (attributeResult)
        {
            var localNames = names.Where(n => !outcome.Claimed.Contains(n)).ToList();
            await DistributedOperations.WriteUpdateResultAsync(http, context, names, outcome.Failures, localError, localNames,
                localResult?.NotUpdated.Select(n => (n.Name, n.Reason)).ToList() ?? []);
        }
        else
        {
            await DistributedOperations.WriteBatchResultAsync(http, id, outcome.AnySucceeded || (!skipLocal && localError is null), outcome.Failures, localError);
        }
        return (true, localResult);
    }

    /// <summary>Append or update attributes, forwarded when the tenant has registrations.</summary>
    private static async Task UpdateAttributesAsync(HttpContext http, string tenant, string operation, string id, TypeExpression? type,
        EntityPayload payload, JsonObject json, JsonLdContext context, HttpMethod method, Func<Task<UpdateOutcome>> local)
    {
        var distribution = Distribution(http);
        if (!distribution.Distributes(tenant, false))
        {
            await WriteUpdateResultAsync(http, await local(), context);
            return;
        }
        var (written, outcome) = await ProvisionAsync(http, tenant, operation, id, await TypesOfAsync(http, tenant, id, type),
            [.. payload.Attributes.Keys], json, filterBody: true, context, method, EntityPath(http, id, ""), attributeResult: true,
            async claimed =>
            {
                Strip(payload, claimed);
                return await local();
            });
        if (!written)
        {
            await WriteUpdateResultAsync(http, outcome ?? new UpdateOutcome(), context);
        }
    }

    /// <summary>
    /// An operation on one attribute, forwarded (with the local change) when the tenant has registrations: true
    /// when it answered; false when the caller should run the change locally as usual.
    /// </summary>
    private static async Task<bool> AttributeProvisionAsync(HttpContext http, string tenant, string operation, string id, TypeExpression? type,
        string name, string attrName, JsonObject? body, JsonLdContext context, HttpMethod method, Func<Task> local)
    {
        var distribution = Distribution(http);
        if (!distribution.Distributes(tenant, false))
        {
            return false;
        }
        var (written, _) = await ProvisionAsync(http, tenant, operation, id, await TypesOfAsync(http, tenant, id, type),
            [name], body, filterBody: false, context, method, EntityPath(http, id, Uri.EscapeDataString(attrName)), attributeResult: true,
            async _ =>
            {
                await local();
                return null;
            });
        if (!written)
        {
            NgsiLdResponses.NoContent(http);
        }
        return true;
    }

    /// <summary>The entity's types for matching registrations: from <c>type=</c>, else from the local copy, else unknown.</summary>
    private static async Task<IReadOnlyList<string>?> TypesOfAsync(HttpContext http, string tenant, string id, TypeExpression? type)
    {
        if (type is not null && !type.IsWildcard)
        {
            return type.AllTypes;
        }
        return (await Service(http).TryGetAsync(tenant, id, http.RequestAborted))?.Types;
    }

    /// <summary>The path to forward: <c>/entities/{id}</c>, <c>/entities/{id}/attrs/{attr}</c>, with the request's parameters.</summary>
    private static string EntityPath(HttpContext http, string id, string? attribute) =>
        "/entities/" + DistributedOperations.EscapeId(id) + (attribute is null ? "" : "/attrs/" + attribute) + http.Request.QueryString.Value;

    private static void Strip(EntityPayload payload, IReadOnlySet<string> claimed)
    {
        foreach (var name in claimed)
        {
            payload.Attributes.Remove(name);
        }
    }

    private static JsonNode? StripContext(JsonNode? json)
    {
        if (json is JsonObject o && o.ContainsKey("@context"))
        {
            var copy = (JsonObject)o.DeepClone();
            copy.Remove("@context");
            return copy;
        }
        return json;
    }

    private static string AttributeName(HttpContext http)
    {
        var name = http.Request.RouteValues["attrId"] as string ?? "";
        if (name.Contains('%'))
        {
            name = Uri.UnescapeDataString(name);
        }
        if (!NgsiNames.IsValidName(name) || (name != "scope" && NgsiNames.IsReservedEntityMember(name)))
        {
            throw NgsiLdException.BadRequestData($"'{name}' is not a valid attribute name.");
        }
        return name;
    }

    private static async Task WriteUpdateResultAsync(HttpContext http, UpdateOutcome outcome, JsonLdContext context)
    {
        if (outcome.NotUpdated.Count == 0)
        {
            NgsiLdResponses.NoContent(http);
            return;
        }
        string Compact(string name) => name == EntityMutations.ScopeMember ? name : context.CompactIri(name);
        await NgsiLdResponses.WriteJsonAsync(http, StatusCodes.Status207MultiStatus, NgsiLdHttp.ApplicationJson, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("updated");
            foreach (var name in outcome.Updated)
            {
                w.WriteStringValue(Compact(name));
            }
            w.WriteEndArray();
            w.WriteStartArray("notUpdated");
            foreach (var (name, reason) in outcome.NotUpdated)
            {
                w.WriteStartObject();
                w.WriteString("attributeName", Compact(name));
                w.WriteString("reason", reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>Writes a 200 in the negotiated media type with the context as Link header or in the body.</summary>
    internal static Task WriteAsync(HttpContext http, ResponseMediaType media, JsonLdContext context, Action<Utf8JsonWriter> write)
    {
        var contentType = media switch
        {
            ResponseMediaType.LdJson => NgsiLdHttp.ApplicationLdJson,
            ResponseMediaType.GeoJson => NgsiLdHttp.ApplicationGeoJson,
            _ => NgsiLdHttp.ApplicationJson,
        };
        if (media == ResponseMediaType.Json)
        {
            http.Response.Headers.Append("Link", NgsiLdHttp.ContextLinkHeader(http, context));
        }
        return NgsiLdResponses.WriteJsonAsync(http, StatusCodes.Status200OK, contentType, write);
    }

    private static RepresentationOptions Representation(HttpContext http) =>
        RepresentationOptions.Parse(NgsiLdHttp.Param(http, "options"), NgsiLdHttp.Param(http, "format"));

    private static TypeExpression? TypeFilter(HttpContext http, JsonLdContext context)
    {
        var type = NgsiLdHttp.Param(http, "type");
        return type is null ? null : TypeExpression.Parse(type, context.ExpandTerm);
    }

    private static QueryRequest FromUrl(HttpContext http)
    {
        var attrs = NgsiLdHttp.Param(http, "attrs");
        var datasetIds = NgsiLdHttp.Param(http, "datasetId");
        return new QueryRequest
        {
            Ids = NgsiLdHttp.Param(http, "id"),
            IdPattern = NgsiLdHttp.Param(http, "idPattern"),
            Type = NgsiLdHttp.Param(http, "type"),
            Attrs = attrs is null ? null : [.. attrs.Split(',', StringSplitOptions.TrimEntries)],
            Pick = NgsiLdHttp.Param(http, "pick"),
            Omit = NgsiLdHttp.Param(http, "omit"),
            Q = NgsiLdHttp.Param(http, "q"),
            ScopeQ = NgsiLdHttp.Param(http, "scopeQ"),
            GeoRel = NgsiLdHttp.Param(http, "georel"),
            Geometry = NgsiLdHttp.Param(http, "geometry"),
            Coordinates = NgsiLdHttp.Param(http, "coordinates"),
            GeoProperty = NgsiLdHttp.Param(http, "geoproperty"),
            GeometryProperty = NgsiLdHttp.Param(http, "geometryProperty"),
            Lang = NgsiLdHttp.Param(http, "lang"),
            DatasetIds = datasetIds is null ? null : [.. datasetIds.Split(',', StringSplitOptions.TrimEntries)],
            Local = NgsiLdHttp.BoolParam(http, "local"),
        };
    }
}
