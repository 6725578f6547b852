using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Broker.Api;
using Aeros.Broker.Errors;
using Aeros.Broker.Registrations;
using Aeros.JsonLd;
using Microsoft.AspNetCore.Http;

namespace Aeros.Broker.Distribution;

/// <summary>A source's failure of a forwarded provision: its problem details, the registration, the attributes concerned.</summary>
internal sealed record RemoteFailure(string RegistrationId, int Status, string Type, string Title, string Detail, IReadOnlyCollection<string>? Attributes);

/// <summary>What forwarding a provision did, and what is left for the local store.</summary>
internal sealed class ProvisionOutcome
{
    public List<RemoteFailure> Failures { get; } = [];

    /// <summary>Attributes (expanded) held by exclusive/redirect sources: they are not written locally.</summary>
    public HashSet<string> Claimed { get; } = new(StringComparer.Ordinal);

    /// <summary>A redirect registration holds the whole entity: nothing is written locally.</summary>
    public bool WholeEntityElsewhere { get; set; }

    public bool AnyForwarded { get; set; }

    public bool AnySucceeded { get; set; }
}

internal sealed partial class DistributedOperations
{
    /// <summary>
    /// Forwards a provision (create, update, merge, replace, delete) to the matching registrations (§4.3.6.3,
    /// §5.6): inclusive ones that list the operation get the registered part of the payload as well; exclusive and
    /// redirect ones get their attributes, which are then not written locally (and answer 409 Conflict when they do
    /// not list the operation); auxiliary ones never get provisions.
    /// </summary>
    public async Task<ProvisionOutcome> ForwardProvisionAsync(HttpContext http, string tenant, string operation, string entityId,
        IReadOnlyList<string>? entityTypes, IReadOnlyCollection<string>? attributes, JsonObject? body, bool filterBody, bool bodyIsLd,
        JsonLdContext context, HttpMethod method, string pathAndQuery, Func<JsonObject?, JsonNode>? shape = null)
    {
        var outcome = new ProvisionOutcome();
        var filter = new RegistrationFilter { Ids = [entityId], EntityTypes = entityTypes, Attrs = attributes is { Count: > 0 } ? attributes : null };
        var targets = Targets(http, tenant, filter, r => r.Mode != RegistrationMode.Auxiliary);
        var sends = new List<(ForwardTarget Target, Task<ForwardResponse> Response)>();
        foreach (var target in targets)
        {
            var registration = target.Registration;
            var owns = registration.Mode is RegistrationMode.Exclusive or RegistrationMode.Redirect;
            var concerned = target.Attributes is null ? attributes : attributes?.Where(target.Attributes.Contains).ToList() ?? [.. target.Attributes];
            if (owns)
            {
                if (target.Attributes is null)
                {
                    outcome.WholeEntityElsewhere = true;
                }
                else
                {
                    outcome.Claimed.UnionWith(concerned ?? []);
                }
            }
            if (!registration.Supports(operation))
            {
                if (owns)
                {
                    outcome.Failures.Add(new RemoteFailure(registration.Id, 409, ErrorTypes.Conflict, "Conflict",
                        $"Registration {registration.Id} ({registration.Mode.ToString().ToLowerInvariant()}) holds this data but does not allow {operation}.", concerned));
                }
                continue;
            }
            byte[]? bytes = null;
            JsonObject? part = null;
            if (body is not null)
            {
                part = new JsonObject();
                foreach (var (member, value) in body)
                {
                    if (member is "id" or "type" or "@context" or "scope" or "@id" or "@type"
                        || !filterBody || target.Attributes is null || target.Attributes.Contains(context.ExpandTerm(member)))
                    {
                        part[member] = value?.DeepClone();
                    }
                }
            }
            var sent = shape is not null ? shape(part) : part;
            if (sent is not null)
            {
                bytes = Encoding.UTF8.GetBytes(sent.ToJsonString());
            }
            outcome.AnyForwarded = true;
            var forward = new ForwardRequest(method, pathAndQuery, bytes, bodyIsLd ? NgsiLdHttp.ApplicationLdJson : NgsiLdHttp.ApplicationJson);
            sends.Add((target, client.SendAsync(http, target.Entry, forward, context, http.RequestAborted)));
        }
        foreach (var (target, task) in sends)
        {
            var response = await task;
            if (response.IsSuccess && response.Status != StatusCodes.Status207MultiStatus)
            {
                client.Record(target.Entry, null);
                outcome.AnySucceeded = true;
                continue;
            }
            var failure = Failure(target, response, attributes);
            // A source that answers is working even when it refuses the data (e.g. 404, 409).
            client.Record(target.Entry, response.Error is null && response.Status < 500 ? null : failure.Detail);
            outcome.Failures.Add(failure);
        }
        return outcome;
    }

    private static RemoteFailure Failure(ForwardTarget target, ForwardResponse response, IReadOnlyCollection<string>? attributes)
    {
        var concerned = target.Attributes is null ? attributes : [.. target.Attributes];
        var id = target.Registration.Id;
        if (response.Error is not null)
        {
            return new RemoteFailure(id, StatusCodes.Status504GatewayTimeout, ErrorTypes.InternalError, "Context source not reachable",
                $"Context source {target.Registration.Endpoint}: {response.Error}", concerned);
        }
        string type = ErrorTypes.InternalError, title = "Context source failed", detail = $"Context source {target.Registration.Endpoint} answered HTTP {response.Status}.";
        var status = response.Status;
        try
        {
            var parsed = response.Body.Length > 0 ? JsonNode.Parse(response.Body) : null;
            // A batch answers 207 with a BatchOperationResult: its first error is the source's problem.
            if (parsed is JsonObject result && result["errors"] is JsonArray { Count: > 0 } errors && errors[0]?["error"] is JsonObject inner)
            {
                parsed = inner;
            }
            if (parsed is JsonObject problem)
            {
                type = problem["type"] is JsonValue t && t.TryGetValue<string>(out var ts) ? ts : type;
                status = problem["status"] is JsonValue st && st.TryGetValue<int>(out var sts) && response.Status == StatusCodes.Status207MultiStatus ? sts : status;
                title = problem["title"] is JsonValue ti && ti.TryGetValue<string>(out var tis) ? tis : title;
                detail = problem["detail"] is JsonValue d && d.TryGetValue<string>(out var ds) ? $"Context source {target.Registration.Endpoint}: {ds}" : detail;
            }
        }
        catch (JsonException)
        {
            detail += " (the body was not JSON)";
        }
        return new RemoteFailure(id, status, type, title, detail, concerned);
    }

    /// <summary>Writes a 207 BatchOperationResult for one entity (§5.2.16) with each failure's registrationId.</summary>
    public static Task WriteBatchResultAsync(HttpContext http, string entityId, bool success, IReadOnlyList<RemoteFailure> failures, NgsiLdException? localError)
    {
        return NgsiLdResponses.WriteJsonAsync(http, StatusCodes.Status207MultiStatus, NgsiLdHttp.ApplicationJson, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("success");
            if (success)
            {
                w.WriteStringValue(entityId);
            }
            w.WriteEndArray();
            w.WriteStartArray("errors");
            foreach (var failure in failures)
            {
                w.WriteStartObject();
                w.WriteString("entityId", entityId);
                w.WritePropertyName("error");
                WriteProblem(w, failure.Type, failure.Title, failure.Status, failure.Detail, failure.RegistrationId);
                w.WriteEndObject();
            }
            if (localError is not null)
            {
                w.WriteStartObject();
                w.WriteString("entityId", entityId);
                w.WritePropertyName("error");
                WriteProblem(w, localError.Type, localError.Title, localError.Status, localError.Detail, null);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>Writes a 207 UpdateResult (§5.2.18): attributes updated, and each not updated with reason and registrationId.</summary>
    public static Task WriteUpdateResultAsync(HttpContext http, JsonLdContext context, IReadOnlyCollection<string> attributes,
        IReadOnlyList<RemoteFailure> failures, NgsiLdException? localError, IReadOnlyCollection<string> localAttributes,
        IReadOnlyList<(string Name, string Reason)> localNotUpdated)
    {
        var notUpdated = new List<(string Name, string Reason, string? RegistrationId)>();
        foreach (var failure in failures)
        {
            foreach (var name in failure.Attributes ?? attributes)
            {
                notUpdated.Add((name, $"{failure.Status} {failure.Title}: {failure.Detail}", failure.RegistrationId));
            }
        }
        if (localError is not null)
        {
            notUpdated.AddRange(localAttributes.Select(n => (n, $"{localError.Status} {localError.Title}: {localError.Detail}", (string?)null)));
        }
        notUpdated.AddRange(localNotUpdated.Select(n => (n.Name, n.Reason, (string?)null)));
        var failed = notUpdated.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        return NgsiLdResponses.WriteJsonAsync(http, StatusCodes.Status207MultiStatus, NgsiLdHttp.ApplicationJson, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("updated");
            foreach (var name in attributes.Where(a => !failed.Contains(a)))
            {
                w.WriteStringValue(context.CompactIri(name));
            }
            w.WriteEndArray();
            w.WriteStartArray("notUpdated");
            foreach (var (name, reason, registrationId) in notUpdated)
            {
                w.WriteStartObject();
                w.WriteString("attributeName", context.CompactIri(name));
                w.WriteString("reason", reason);
                if (registrationId is not null)
                {
                    w.WriteString("registrationId", registrationId);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>Writes a source's failure as problem details with its registrationId.</summary>
    public static void WriteProblem(Utf8JsonWriter w, RemoteFailure failure) =>
        WriteProblem(w, failure.Type, failure.Title, failure.Status, failure.Detail, failure.RegistrationId);

    private static void WriteProblem(Utf8JsonWriter w, string type, string title, int status, string detail, string? registrationId)
    {
        w.WriteStartObject();
        w.WriteString("type", type);
        w.WriteString("title", title);
        w.WriteNumber("status", status);
        w.WriteString("detail", detail);
        if (registrationId is not null)
        {
            w.WriteString("registrationId", registrationId);
        }
        w.WriteEndObject();
    }
}
