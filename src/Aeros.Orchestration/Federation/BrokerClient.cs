using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Aeros.Orchestration.Federation;

/// <summary>A request to a domain's broker failed (unreachable, timed out, or an unexpected answer).</summary>
internal sealed class BrokerRequestException(string message, HttpStatusCode? status = null, Exception? inner = null)
    : AerosException(message, inner)
{
    /// <summary>The HTTP status the broker answered, or null if none came.</summary>
    public HttpStatusCode? Status { get; } = status;
}

/// <summary>What happened to a registration that was put into a broker.</summary>
internal enum RegistrationOutcome
{
    Created,
    Updated,
}

/// <summary>A federation registration found in a broker.</summary>
internal sealed record RegistrationRecord(string Id, string DomainName, string Kind, Uri? Endpoint, string? Alias);

/// <summary>
/// The federator's NGSI-LD client: the few calls it makes to domain brokers (its own and its peers'). Every call
/// goes through one resilience pipeline: each attempt is bounded by <see cref="FederationOptions.RequestTimeout"/>,
/// transport errors, timeouts and 5xx answers are retried <see cref="FederationOptions.RequestRetries"/> times with
/// exponential back-off, and each retry is logged.
/// </summary>
internal sealed partial class BrokerClient
{
    /// <summary>The name of the <see cref="HttpClient"/> the federator uses.</summary>
    public const string HttpClientName = "Aeros.Federation";

    private const string Root = "ngsi-ld/v1/";
    private const int MaxDomains = 1000;

    private readonly HttpClient _http;
    private readonly ResiliencePipeline _pipeline;
    private readonly ILogger _logger;
    private readonly TimeSpan _requestTimeout;

    public BrokerClient(HttpClient http, IOptions<FederationOptions> options, TimeProvider timeProvider, ILogger<BrokerClient> logger)
    {
        _http = http;
        _logger = logger;
        var o = options.Value;
        _requestTimeout = o.RequestTimeout;
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider };
        if (o.RequestRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = o.RequestRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(Math.Min(200, o.RetryBaseDelay.TotalMilliseconds)),
                ShouldHandle = new PredicateBuilder()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .Handle<TransientStatusException>(),
                OnRetry = args =>
                {
                    LogRetry(_logger, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, args.Outcome.Exception?.Message ?? "failed");
                    return default;
                },
            });
        }
        builder.AddTimeout(o.RequestTimeout);
        _pipeline = builder.Build();
    }

    /// <summary>The <c>contextSourceAlias</c> of the broker at <paramref name="baseUrl"/>, or null if it has none (404/501).</summary>
    public async Task<string?> GetAliasAsync(Uri baseUrl, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, baseUrl, "info/sourceIdentity", null, cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.NotImplemented)
        {
            return null;
        }
        var body = await ExpectJsonAsync(response, baseUrl, "reading the source identity", cancellationToken);
        return body?["contextSourceAlias"] is JsonValue v && v.TryGetValue<string>(out var alias) && alias.Length > 0 ? alias : null;
    }

    /// <summary>The Domain entities the broker at <paramref name="baseUrl"/> sees (with <paramref name="local"/>, only its own data).</summary>
    public async Task<IReadOnlyList<DomainRecord>> QueryDomainsAsync(Uri baseUrl, bool local, CancellationToken cancellationToken)
    {
        var path = $"entities?type={Uri.EscapeDataString(ContinuumTerms.Domain)}&limit={MaxDomains}" + (local ? "&local=true" : "");
        using var response = await SendAsync(HttpMethod.Get, baseUrl, path, null, cancellationToken);
        var body = await ExpectJsonAsync(response, baseUrl, "querying Domain entities", cancellationToken);
        if (body is not JsonArray array)
        {
            throw new BrokerRequestException($"{baseUrl} answered the Domain query with something other than an array.");
        }
        return array.Select(DomainRecord.FromEntity).OfType<DomainRecord>().ToList();
    }

    /// <summary>The Domain entity of <paramref name="domainName"/> as the broker holds it itself, or null if it holds none.</summary>
    public async Task<DomainRecord?> GetDomainAsync(Uri baseUrl, string domainName, CancellationToken cancellationToken) =>
        DomainRecord.FromEntity(await GetDomainEntityAsync(baseUrl, domainName, cancellationToken));

    /// <summary>The Domain entity (normalized, expanded names) the broker holds itself, or null if it holds none.</summary>
    public async Task<JsonObject?> GetDomainEntityAsync(Uri baseUrl, string domainName, CancellationToken cancellationToken)
    {
        var path = $"entities/{Uri.EscapeDataString(ContinuumTerms.DomainId(domainName))}?local=true";
        using var response = await SendAsync(HttpMethod.Get, baseUrl, path, null, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        return await ExpectJsonAsync(response, baseUrl, "reading the Domain entity", cancellationToken) as JsonObject;
    }

    /// <summary>Creates or updates (keeping other attributes) an entity in the broker at <paramref name="baseUrl"/>.</summary>
    public async Task UpsertEntityAsync(Uri baseUrl, JsonObject entity, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, baseUrl, "entityOperations/upsert?options=update", new JsonArray(entity.DeepClone()), cancellationToken);
        if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.NoContent))
        {
            throw await UnexpectedAsync(response, baseUrl, "writing the Domain entity", cancellationToken);
        }
    }

    /// <summary>Creates a registration; if it exists (409), updates it to the same content.</summary>
    public async Task<RegistrationOutcome> PutRegistrationAsync(Uri baseUrl, JsonObject registration, CancellationToken cancellationToken)
    {
        var id = registration["id"]!.GetValue<string>();
        using (var created = await SendAsync(HttpMethod.Post, baseUrl, "csourceRegistrations", registration, cancellationToken))
        {
            if (created.StatusCode == HttpStatusCode.Created)
            {
                return RegistrationOutcome.Created;
            }
            if (created.StatusCode != HttpStatusCode.Conflict)
            {
                throw await UnexpectedAsync(created, baseUrl, $"creating registration {id}", cancellationToken);
            }
        }
        using var updated = await SendAsync(HttpMethod.Patch, baseUrl, "csourceRegistrations/" + Uri.EscapeDataString(id),
            FederationRegistrations.UpdateFragment(registration), cancellationToken);
        if (updated.StatusCode != HttpStatusCode.NoContent)
        {
            throw await UnexpectedAsync(updated, baseUrl, $"updating registration {id}", cancellationToken);
        }
        return RegistrationOutcome.Updated;
    }

    /// <summary>Deletes a registration; false if there was none.</summary>
    public async Task<bool> DeleteRegistrationAsync(Uri baseUrl, string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, baseUrl, "csourceRegistrations/" + Uri.EscapeDataString(id), null, cancellationToken);
        return response.StatusCode switch
        {
            HttpStatusCode.NoContent or HttpStatusCode.OK => true,
            HttpStatusCode.NotFound => false,
            _ => throw await UnexpectedAsync(response, baseUrl, $"deleting registration {id}", cancellationToken),
        };
    }

    /// <summary>The federation registrations (<c>urn:aerios:federation:*</c>) held by the broker at <paramref name="baseUrl"/>.</summary>
    public async Task<IReadOnlyList<RegistrationRecord>> ListFederationRegistrationsAsync(Uri baseUrl, CancellationToken cancellationToken)
    {
        var path = $"csourceRegistrations?type={Uri.EscapeDataString(ContinuumTerms.Domain)}&limit={MaxDomains}";
        using var response = await SendAsync(HttpMethod.Get, baseUrl, path, null, cancellationToken);
        var body = await ExpectJsonAsync(response, baseUrl, "listing registrations", cancellationToken);
        if (body is not JsonArray array)
        {
            throw new BrokerRequestException($"{baseUrl} answered the registration query with something other than an array.");
        }
        var list = new List<RegistrationRecord>();
        foreach (var item in array)
        {
            var id = item?["id"] is JsonValue idValue && idValue.TryGetValue<string>(out var s) ? s : null;
            if (!FederationRegistrations.TryParseId(id, out var name, out var kind))
            {
                continue;
            }
            Uri? endpoint = item?["endpoint"] is JsonValue e && e.TryGetValue<string>(out var text)
                && Uri.TryCreate(text, UriKind.Absolute, out var url) && FederationOptionsValidator.IsHttpUrl(url) ? url : null;
            var alias = item?["contextSourceAlias"] is JsonValue a && a.TryGetValue<string>(out var aliasText) ? aliasText : null;
            list.Add(new RegistrationRecord(id!, name, kind, endpoint, alias));
        }
        return list;
    }

    /// <summary>
    /// Asks the federator of the domain at <paramref name="domainUrl"/> for a pass now (<c>POST /federation/v1/sync</c>).
    /// One attempt; a domain without a federation API or not answering is simply left to its own resync.
    /// </summary>
    public async Task NudgeAsync(Uri domainUrl, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_requestTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(WithSlash(domainUrl), "federation/v1/sync"));
            using var response = await _http.SendAsync(request, timeout.Token);
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogNudgeFailed(_logger, domainUrl, e.Message);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri baseUrl, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        var url = new Uri(WithSlash(baseUrl), Root + path);
        var payload = body?.ToJsonString();
        try
        {
            return await _pipeline.ExecuteAsync(async token =>
            {
                using var request = new HttpRequestMessage(method, url);
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                if (payload is not null)
                {
                    request.Content = new StringContent(payload, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
                }
                var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, token);
                if ((int)response.StatusCode >= 500 && response.StatusCode != HttpStatusCode.NotImplemented)
                {
                    var detail = await DetailAsync(response, token);
                    response.Dispose();
                    throw new TransientStatusException($"{method} {url} answered {(int)response.StatusCode}: {detail}", response.StatusCode);
                }
                return response;
            }, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new BrokerRequestException($"{method} {url} failed: {e.Message}", null, e);
        }
        catch (TimeoutRejectedException e)
        {
            throw new BrokerRequestException($"{method} {url} timed out.", null, e);
        }
        catch (TransientStatusException e)
        {
            throw new BrokerRequestException(e.Message, e.Status, e);
        }
    }

    private static async Task<JsonNode?> ExpectJsonAsync(HttpResponseMessage response, Uri baseUrl, string what, CancellationToken cancellationToken)
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw await UnexpectedAsync(response, baseUrl, what, cancellationToken);
        }
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new BrokerRequestException($"{baseUrl} answered invalid JSON while {what}.", response.StatusCode, e);
        }
    }

    private static async Task<BrokerRequestException> UnexpectedAsync(HttpResponseMessage response, Uri baseUrl, string what, CancellationToken cancellationToken) =>
        new($"{baseUrl} answered {(int)response.StatusCode} while {what}: {await DetailAsync(response, cancellationToken)}", response.StatusCode);

    /// <summary>The problem details' <c>detail</c> (or title, or the start of the body) for a log line.</summary>
    private static async Task<string> DetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (HttpRequestException)
        {
            return "(no body)";
        }
        try
        {
            if (JsonNode.Parse(text) is JsonObject problem)
            {
                var detail = problem["detail"] ?? problem["title"] ?? problem["type"];
                if (detail is JsonValue v && v.TryGetValue<string>(out var s))
                {
                    return s;
                }
            }
        }
        catch (JsonException)
        {
        }
        return text.Length > 200 ? text[..200] : text.Length == 0 ? "(no body)" : text;
    }

    private static Uri WithSlash(Uri baseUrl) =>
        baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");

    [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "Could not ask the federator at {Url} for a pass: {Reason}")]
    private static partial void LogNudgeFailed(ILogger logger, Uri url, string reason);

    [LoggerMessage(EventId = 3100, Level = LogLevel.Debug, Message = "Federation request retry {Attempt} in {DelayMs} ms after: {Reason}")]
    private static partial void LogRetry(ILogger logger, int attempt, double delayMs, string reason);

    /// <summary>A 5xx answer, retried like a transport error.</summary>
    private sealed class TransientStatusException(string message, HttpStatusCode status) : Exception(message)
    {
        public HttpStatusCode Status { get; } = status;
    }
}
