using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Broker.Api;
using Aeros.Broker.Distribution;
using Aeros.Broker.Errors;
using Aeros.Broker.Registrations;
using Aeros.Broker.Storage;
using Aeros.JsonLd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Broker.Entities;

/// <summary>
/// Batch operations (§6.14–6.17, §6.31): each runs as one atomic, durable write; every entity's outcome is
/// reported on its own (201/204 when all succeed, 207 BatchOperationResult otherwise).
/// </summary>
internal static class BatchEndpoints
{
    private static readonly HashSet<string> NoParams = [];
    private static readonly HashSet<string> OptionsParam = ["options"];

    public static void Map(IEndpointRouteBuilder api)
    {
        api.Post("/entityOperations/create", Create);
        api.Post("/entityOperations/upsert", Upsert);
        api.Post("/entityOperations/update", Update);
        api.Post("/entityOperations/merge", Merge);
        api.Post("/entityOperations/delete", Delete);
    }

    /// <summary>The outcome of a batch: ids that succeeded, entities that failed.</summary>
    private sealed class BatchResult
    {
        public List<string> Success { get; } = [];

        private readonly HashSet<string> _succeeded = new(StringComparer.Ordinal);

        /// <summary>Records a success once, however often the id occurs in the batch.</summary>
        public void Succeeded(string id)
        {
            if (_succeeded.Add(id))
            {
                Success.Add(id);
            }
        }
        public List<string> Created { get; } = [];
        public List<(string? Id, NgsiLdException Error)> Errors { get; } = [];

        /// <summary>Failures of context sources the batch was forwarded to (reported with their registrationId).</summary>
        public List<(string Id, RemoteFailure Failure)> RemoteFailures { get; } = [];

        public bool Failed => Errors.Count > 0 || RemoteFailures.Count > 0;
    }

    /// <summary>
    /// One element of the batch: parsed (with its JSON and context, for forwarding), or the error that stopped it.
    /// ForwardedOk: a context source took the change, so a missing local entity is no error.
    /// </summary>
    private sealed record Item(string? Id, EntityPayload? Payload, NgsiLdException? Error, JsonObject? Json = null, JsonLdContext? Context = null, bool ForwardedOk = false);

    private static async Task<(List<Item> Items, DateTimeOffset Now)> ReadEntitiesAsync(HttpContext http, PayloadKind kind)
    {
        var api = http.RequestServices.GetRequiredService<NgsiLdApi>();
        var body = await NgsiLdHttp.ReadBodyAsync(http, api.Options, allowMergePatch: false, http.RequestAborted);
        if (body.Json is not JsonArray array)
        {
            throw NgsiLdException.BadRequestData("A batch body must be a JSON array of entities.");
        }
        if (array.Count == 0)
        {
            throw NgsiLdException.BadRequestData("A batch body must not be empty.");
        }
        // The Link context; an element's own @context in a JSON body is a per-entity error (003_06_01: 207).
        var shared = body.IsLdJson ? null : NgsiLdHttp.UserContext(http, null);
        if (body.IsLdJson && NgsiLdHttp.LinkContextUrl(http) is not null)
        {
            throw NgsiLdException.BadRequestData("A JSON-LD body carries its own @context; it must not come with a Link header.");
        }
        var now = http.RequestServices.GetRequiredService<EntityService>().Now();
        var items = new List<Item>(array.Count);
        foreach (var element in array)
        {
            var id = element is JsonObject o && o["id"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            try
            {
                if (!body.IsLdJson && element is JsonObject withContext && withContext.ContainsKey("@context"))
                {
                    throw NgsiLdException.BadRequestData("An application/json body must not contain @context; use application/ld+json or a Link header.");
                }
                var userContext = body.IsLdJson ? NgsiLdHttp.BodyContext(element) : shared;
                var context = await NgsiLdHttp.ResolveAsync(api.Resolver, userContext, http.RequestAborted);
                var payload = EntityParser.ParseEntity(element, context, kind, now);
                if (payload.Id is null)
                {
                    throw NgsiLdException.BadRequestData("Every entity of a batch needs an id.");
                }
                items.Add(new Item(payload.Id, payload, null, (JsonObject)element!, context));
            }
            catch (NgsiLdException e)
            {
                items.Add(new Item(id, null, e));
            }
        }
        return (items, now);
    }

    private static async Task<BatchResult> RunAsync(HttpContext http, List<Item> items, bool createTenant, Action<IEntityWriteSession, Item, BatchResult> apply,
        string operation)
    {
        var tenant = NgsiLdHttp.Tenant(http);
        var service = http.RequestServices.GetRequiredService<EntityService>();
        var distribution = http.RequestServices.GetRequiredService<DistributedOperations>();
        distribution.CheckLoop(http);
        var result = new BatchResult();
        foreach (var item in items.Where(i => i.Error is not null))
        {
            result.Errors.Add((item.Id, item.Error!));
        }
        var valid = items.Where(i => i.Error is null).ToList();
        if (distribution.Distributes(tenant, false) && valid.Count > 0)
        {
            valid = await ForwardAsync(http, tenant, operation, valid, result);
        }
        if (!createTenant && (valid.Count > 0 || result.RemoteFailures.Count == 0))
        {
            await service.EnsureTenantAsync(tenant, http.RequestAborted);
        }
        if (valid.Count == 0)
        {
            return result;
        }
        return await service.BatchAsync(tenant, createTenant, session =>
        {
            foreach (var item in valid)
            {
                try
                {
                    apply(session, item, result);
                }
                catch (NgsiLdException e) when (e.Status == StatusCodes.Status404NotFound && item.ForwardedOk)
                {
                    // The entity lives at a source that took the change; there is nothing local to change.
                    result.Succeeded(item.Id!);
                }
                catch (NgsiLdException e)
                {
                    result.Errors.Add((item.Id, e));
                }
            }
            return result;
        }, http.RequestAborted);
    }

    /// <summary>
    /// Forwards each entity of a batch to the registrations that match it (one single-entity batch per source and
    /// entity, in parallel); returns the items that still have a local part (claimed attributes stripped).
    /// </summary>
    private static async Task<List<Item>> ForwardAsync(HttpContext http, string tenant, string operation, List<Item> valid, BatchResult result)
    {
        var distribution = http.RequestServices.GetRequiredService<DistributedOperations>();
        var service = http.RequestServices.GetRequiredService<EntityService>();
        var api = http.RequestServices.GetRequiredService<NgsiLdApi>();
        var context = valid[0].Context ?? await api.ContextAsync(http);
        var bodyIsLd = http.Request.ContentType?.StartsWith(NgsiLdHttp.ApplicationLdJson, StringComparison.OrdinalIgnoreCase) == true;
        var path = "/entityOperations/" + operation.Replace("Batch", "", StringComparison.Ordinal) + http.Request.QueryString.Value;
        var forwards = new List<(Item Item, Task<ProvisionOutcome> Outcome)>();
        foreach (var item in valid)
        {
            var types = item.Payload is { Types.Count: > 0 } p ? p.Types : (await service.TryGetAsync(tenant, item.Id!, http.RequestAborted))?.Types;
            var id = item.Id!;
            forwards.Add((item, distribution.ForwardProvisionAsync(http, tenant, operation, id, types, item.Payload?.Attributes.Keys.ToList(),
                item.Json, filterBody: true, bodyIsLd, item.Context ?? context, HttpMethod.Post, path,
                part => part is null ? new JsonArray(id) : new JsonArray(part))));
        }
        var local = new List<Item>();
        foreach (var (item, task) in forwards)
        {
            var outcome = await task;
            foreach (var failure in outcome.Failures)
            {
                result.RemoteFailures.Add((item.Id!, failure));
            }
            var names = item.Payload?.Attributes.Keys.ToList() ?? [];
            var elsewhere = outcome.WholeEntityElsewhere || (outcome.Claimed.Count > 0 && names.Count > 0 && names.All(outcome.Claimed.Contains));
            if (elsewhere)
            {
                if (outcome.AnySucceeded)
                {
                    result.Succeeded(item.Id!);
                }
                continue;
            }
            foreach (var name in outcome.Claimed)
            {
                item.Payload?.Attributes.Remove(name);
            }
            local.Add(outcome.AnySucceeded ? item with { ForwardedOk = true } : item);
        }
        return local;
    }

    private static async Task Create(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, NoParams);
        var (items, now) = await ReadEntitiesAsync(http, PayloadKind.NewEntity);
        var result = await RunAsync(http, items, createTenant: true, (session, item, r) =>
        {
            if (!session.Insert(EntityMutations.NewEntity(item.Payload!, now)))
            {
                throw NgsiLdException.AlreadyExists($"Entity {item.Id} already exists.");
            }
            r.Succeeded(item.Id!);
        }, "createBatch");
        if (!result.Failed)
        {
            await WriteIdsAsync(http, result.Success);
            return;
        }
        await WriteBatchResultAsync(http, result);
    }

    private static async Task Upsert(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, OptionsParam);
        var mode = RepresentationOptions.Parse(NgsiLdHttp.Param(http, "options"), null, "update", "replace").Flags;
        if (mode.Count > 1)
        {
            throw NgsiLdException.BadRequestData("options can be update or replace, not both.");
        }
        var update = mode.Contains("update");
        var (items, now) = await ReadEntitiesAsync(http, PayloadKind.NewEntity);
        var result = await RunAsync(http, items, createTenant: true, (session, item, r) =>
        {
            var existing = session.Get(item.Id!);
            if (existing is null)
            {
                session.Insert(EntityMutations.NewEntity(item.Payload!, now));
                r.Created.Add(item.Id!);
            }
            else if (update)
            {
                EntityMutations.Append(existing, item.Payload!, noOverwrite: false, now);
                session.Update(existing);
            }
            else
            {
                session.Update(EntityMutations.Replace(existing, item.Payload!, now));
            }
            r.Succeeded(item.Id!);
        }, "upsertBatch");
        if (result.Failed)
        {
            await WriteBatchResultAsync(http, result);
        }
        else if (result.Created.Count > 0)
        {
            await WriteIdsAsync(http, result.Created);
        }
        else
        {
            NgsiLdResponses.NoContent(http);
        }
    }

    private static async Task Update(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, OptionsParam);
        var noOverwrite = RepresentationOptions.Parse(NgsiLdHttp.Param(http, "options"), null, "noOverwrite").Flags.Contains("noOverwrite");
        var (items, now) = await ReadEntitiesAsync(http, PayloadKind.Append);
        var result = await RunAsync(http, items, createTenant: false, (session, item, r) =>
        {
            var existing = session.Get(item.Id!) ?? throw NgsiLdException.NotFound($"Entity {item.Id} was not found.");
            var outcome = EntityMutations.Append(existing, item.Payload!, noOverwrite, now);
            if (outcome.Changed)
            {
                session.Update(existing);
            }
            if (outcome.NotUpdated.Count > 0)
            {
                throw NgsiLdException.BadRequestData(
                    $"Entity {item.Id}: not overwritten (noOverwrite): {string.Join(", ", outcome.NotUpdated.Select(n => n.Name))}.");
            }
            r.Succeeded(item.Id!);
        }, "updateBatch");
        await WriteOutcomeAsync(http, result);
    }

    private static async Task Merge(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, NoParams);
        var (items, now) = await ReadEntitiesAsync(http, PayloadKind.Patch);
        var result = await RunAsync(http, items, createTenant: false, (session, item, r) =>
        {
            var existing = session.Get(item.Id!) ?? throw NgsiLdException.NotFound($"Entity {item.Id} was not found.");
            if (EntityMutations.Merge(existing, item.Payload!, now).Changed)
            {
                session.Update(existing);
            }
            r.Succeeded(item.Id!);
        }, "mergeBatch");
        await WriteOutcomeAsync(http, result);
    }

    private static async Task Delete(HttpContext http)
    {
        NgsiLdHttp.CheckParameters(http, NoParams);
        var api = http.RequestServices.GetRequiredService<NgsiLdApi>();
        var body = await NgsiLdHttp.ReadBodyAsync(http, api.Options, allowMergePatch: false, http.RequestAborted);
        if (body.Json is not JsonArray array || array.Count == 0)
        {
            throw NgsiLdException.BadRequestData("The body must be a non-empty JSON array of entity ids.");
        }
        var items = new List<Item>(array.Count);
        foreach (var element in array)
        {
            var id = element is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            items.Add(NgsiNames.IsUri(id)
                ? new Item(id, null, null)
                : new Item(id ?? element?.ToJsonString(), null, NgsiLdException.BadRequestData($"{element?.ToJsonString() ?? "null"} is not an entity id (URI).")));
        }
        var result = await RunAsync(http, items, createTenant: false, (session, item, r) =>
        {
            if (!session.Delete(item.Id!))
            {
                throw NgsiLdException.NotFound($"Entity {item.Id} was not found.");
            }
            r.Succeeded(item.Id!);
        }, "deleteBatch");
        await WriteOutcomeAsync(http, result);
    }

    private static Task WriteOutcomeAsync(HttpContext http, BatchResult result)
    {
        if (!result.Failed)
        {
            NgsiLdResponses.NoContent(http);
            return Task.CompletedTask;
        }
        return WriteBatchResultAsync(http, result);
    }

    private static Task WriteIdsAsync(HttpContext http, List<string> ids) =>
        NgsiLdResponses.WriteJsonAsync(http, StatusCodes.Status201Created, NgsiLdHttp.ApplicationJson, w =>
        {
            w.WriteStartArray();
            foreach (var id in ids)
            {
                w.WriteStringValue(id);
            }
            w.WriteEndArray();
        });

    private static Task WriteBatchResultAsync(HttpContext http, BatchResult result) =>
        NgsiLdResponses.WriteJsonAsync(http, StatusCodes.Status207MultiStatus, NgsiLdHttp.ApplicationJson, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("success");
            foreach (var id in result.Success)
            {
                w.WriteStringValue(id);
            }
            w.WriteEndArray();
            w.WriteStartArray("errors");
            foreach (var (id, error) in result.Errors)
            {
                w.WriteStartObject();
                if (id is not null)
                {
                    w.WriteString("entityId", id);
                }
                w.WritePropertyName("error");
                NgsiLdResponses.WriteProblem(w, error);
                w.WriteEndObject();
            }
            foreach (var (id, failure) in result.RemoteFailures)
            {
                w.WriteStartObject();
                w.WriteString("entityId", id);
                w.WritePropertyName("error");
                DistributedOperations.WriteProblem(w, failure);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
}
