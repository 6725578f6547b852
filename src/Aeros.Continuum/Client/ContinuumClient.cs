using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Aeros.Continuum;

/// <summary>
/// The typed NGSI-LD client every Aeros component uses to read and write the continuum model in a domain broker.
/// Each operation runs through one resilience pipeline: every attempt is bounded by
/// <see cref="ContinuumClientOptions.RequestTimeout"/>; connection errors, timeouts, 5xx and 429 are retried with
/// exponential back-off and jitter up to <see cref="ContinuumClientOptions.MaxAttempts"/> attempts (each retry logged);
/// any other error answer becomes a <see cref="ContinuumClientException"/> carrying the broker's problem details.
/// The aerOS @context is handled once: registered with the broker (or taken from
/// <see cref="ContinuumClientOptions.ContextUrl"/>) and referred to by a Link header on every request.
/// </summary>
public sealed partial class ContinuumClient
{
    /// <summary>The JSON-LD Link relation of a context.</summary>
    public const string ContextRelation = "http://www.w3.org/ns/json-ld#context";

    private const string Api = "ngsi-ld/v1/";
    private const string JsonMediaType = "application/json";
    private const int MaxHostedContextsCompared = 20;

    private static readonly Lazy<string> EmbeddedContext = new(LoadEmbeddedContext);

    private readonly HttpClient _http;
    private readonly ContinuumClientOptions _options;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly Uri _root;
    private readonly SemaphoreSlim _contextLock = new(1, 1);
    private volatile string? _contextUrl;

    /// <summary>
    /// Creates the client. <paramref name="http"/>'s base address (else <see cref="ContinuumClientOptions.BrokerUrl"/>)
    /// is the broker's root URL, e.g. <c>http://127.0.0.1:9090</c>. Invalid options throw, listing every error.
    /// </summary>
    public ContinuumClient(HttpClient http, ContinuumClientOptions options, TimeProvider timeProvider, ILogger<ContinuumClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var errors = ContinuumClientOptionsValidator.Errors(options, http.BaseAddress is not null);
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid ContinuumClientOptions: " + string.Join(" ", errors), nameof(options));
        }
        _http = http;
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        var root = (http.BaseAddress ?? options.BrokerUrl)!.ToString();
        _root = new Uri(root.EndsWith('/') ? root : root + "/");
        _contextUrl = options.ContextUrl?.ToString();

        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider };
        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                ShouldHandle = new PredicateBuilder()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .Handle<TransientStatusException>(),
                OnRetry = args =>
                {
                    LogRetry(_logger, args.AttemptNumber + 1, options.MaxAttempts, args.RetryDelay.TotalMilliseconds, Reason(args.Outcome.Exception));
                    return default;
                },
            });
        }
        builder.AddTimeout(options.RequestTimeout);
        _pipeline = builder.Build();
    }

    /// <summary>The broker's root URL this client talks to.</summary>
    public Uri BrokerUrl => _root;

    /// <summary>The aerOS @context (<c>shared/fixtures/aeros-datamodel/context.jsonld</c>) shipped with this assembly.</summary>
    public static string AerosContextJson => EmbeddedContext.Value;

    /// <summary>Creates or replaces <paramref name="entity"/> (batch upsert of one entity: attributes not in the record are removed).</summary>
    public Task UpsertAsync<T>(T entity, CancellationToken cancellationToken = default) where T : ContinuumEntity =>
        UpsertAsync(entity, UpsertMode.Replace, cancellationToken);

    /// <summary>
    /// Creates <paramref name="entity"/>, or with an existing one replaces it (<see cref="UpsertMode.Replace"/>) or
    /// writes the record's attributes over it and keeps the others (<see cref="UpsertMode.Update"/>: what other
    /// components wrote, e.g. a trust score, survives).
    /// </summary>
    public Task UpsertAsync<T>(T entity, UpsertMode mode, CancellationToken cancellationToken = default) where T : ContinuumEntity
    {
        ArgumentNullException.ThrowIfNull(entity);
        return UpsertManyAsync([entity], mode, cancellationToken);
    }

    /// <summary>Creates or replaces every entity of <paramref name="entities"/> in one batch upsert.</summary>
    public Task UpsertManyAsync(IEnumerable<ContinuumEntity> entities, CancellationToken cancellationToken = default) =>
        UpsertManyAsync(entities, UpsertMode.Replace, cancellationToken);

    /// <summary>Creates, replaces or updates (<paramref name="mode"/>) every entity of <paramref name="entities"/> in one batch upsert.</summary>
    public async Task UpsertManyAsync(IEnumerable<ContinuumEntity> entities, UpsertMode mode, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entities);
        var batch = new JsonArray(entities.Select(e => (JsonNode)ContinuumMapper.ToNgsiLd(e)).ToArray());
        if (batch.Count == 0)
        {
            return;
        }
        var path = mode == UpsertMode.Update ? "entityOperations/upsert?options=update" : "entityOperations/upsert";
        using var response = await SendAsync("upsert", HttpMethod.Post, path, batch, cancellationToken);
        switch (response.StatusCode)
        {
            case HttpStatusCode.Created or HttpStatusCode.NoContent:
                return;
            case HttpStatusCode.MultiStatus:
                var body = await ReadJsonAsync(response, cancellationToken) as JsonObject;
                var first = (body?["errors"] as JsonArray)?.FirstOrDefault() as JsonObject;
                throw new ContinuumClientException(
                    $"upsert: the broker rejected {(body?["errors"] as JsonArray)?.Count ?? 0} of {batch.Count} entities; first: {first?["entityId"]}: {first?["error"]?["detail"] ?? first?["error"]?["title"]}",
                    response.StatusCode, first?["error"] as JsonObject);
            default:
                throw await ErrorAsync("upsert", response, cancellationToken);
        }
    }

    /// <summary>
    /// Merges the non-null attributes of <paramref name="partial"/> into the existing entity with its id (others are
    /// kept; enumerations are written as URN relationships). Throws (404) when the entity does not exist.
    /// </summary>
    public Task MergeAsync<T>(T partial, CancellationToken cancellationToken = default) where T : ContinuumEntity
    {
        ArgumentNullException.ThrowIfNull(partial);
        var fragment = ContinuumMapper.ToNgsiLd(partial);
        fragment.Remove("id");
        fragment.Remove("type");
        return MergeFragmentAsync(partial.Id, fragment, cancellationToken);
    }

    /// <summary>
    /// Merges attributes into the entity <paramref name="id"/> (NGSI-LD merge entity). Values: a <see cref="JsonObject"/>
    /// with a <c>type</c> is a whole attribute; strings, numbers, booleans, other JSON are Property values;
    /// <see cref="InfrastructureElementStatus"/>, <see cref="CpuArchitecture"/>, <see cref="InfrastructureElementTier"/>,
    /// <see cref="ServiceComponentStatus"/> and <see cref="DomainStatus"/> become URN Relationships; other enumerations
    /// their names; <see cref="DateTimeOffset"/> a DateTime; <see cref="GeoGeometry"/> a GeoProperty; null deletes the attribute.
    /// Throws (404) when the entity does not exist.
    /// </summary>
    public Task MergeAsync(string id, IReadOnlyDictionary<string, object?> attributes, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        return MergeFragmentAsync(id, ContinuumMapper.ToFragment(attributes), cancellationToken);
    }

    /// <summary>The entity <paramref name="id"/> read as <typeparamref name="T"/>, or null when the broker has none (404).</summary>
    public Task<T?> GetAsync<T>(string id, CancellationToken cancellationToken = default) where T : ContinuumEntity =>
        GetAsync<T>(id, local: false, cancellationToken);

    /// <summary>
    /// The entity <paramref name="id"/> read as <typeparamref name="T"/>, or null (404). With <paramref name="local"/> the
    /// broker answers from its own store only (NGSI-LD <c>local=true</c>: no forwarding to other domains).
    /// </summary>
    public async Task<T?> GetAsync<T>(string id, bool local, CancellationToken cancellationToken = default) where T : ContinuumEntity
    {
        var entity = await GetRawAsync(id, local, cancellationToken);
        return entity is null ? null : ContinuumMapper.FromNgsiLd<T>(entity);
    }

    /// <summary>The entity <paramref name="id"/> as the broker returns it (normalized, aerOS short names), or null (404).</summary>
    public Task<JsonObject?> GetRawAsync(string id, CancellationToken cancellationToken = default) =>
        GetRawAsync(id, local: false, cancellationToken);

    /// <summary>The entity <paramref name="id"/> as the broker returns it, or null (404); <paramref name="local"/>: from the broker's own store only.</summary>
    public async Task<JsonObject?> GetRawAsync(string id, bool local, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        using var response = await SendAsync("get", HttpMethod.Get, "entities/" + Uri.EscapeDataString(id) + (local ? "?local=true" : ""), null, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw await ErrorAsync("get", response, cancellationToken);
        }
        return await ReadJsonAsync(response, cancellationToken) as JsonObject
            ?? throw new ContinuumClientException("get: the broker answered something other than an entity.", response.StatusCode);
    }

    /// <summary>
    /// Every entity of <typeparamref name="T"/>'s type matching the NGSI-LD query <paramref name="q"/> (null: all),
    /// read page by page (<see cref="ContinuumClientOptions.PageSize"/>) up to <paramref name="maxResults"/>
    /// (default <see cref="ContinuumClientOptions.MaxQueryResults"/>).
    /// </summary>
    public Task<IReadOnlyList<T>> QueryAsync<T>(string? q = null, int? maxResults = null, CancellationToken cancellationToken = default) where T : ContinuumEntity =>
        QueryAsync<T>(q, local: false, maxResults, cancellationToken);

    /// <summary>
    /// As <see cref="QueryAsync{T}(string?, int?, CancellationToken)"/>; with <paramref name="local"/> the broker answers from
    /// its own store only (NGSI-LD <c>local=true</c>: no forwarding to other domains).
    /// </summary>
    public async Task<IReadOnlyList<T>> QueryAsync<T>(string? q, bool local, int? maxResults = null, CancellationToken cancellationToken = default) where T : ContinuumEntity
    {
        var raw = await QueryRawAsync(ContinuumMapper.EntityType<T>(), q, local, maxResults, cancellationToken);
        return raw.Select(ContinuumMapper.FromNgsiLd<T>).ToList();
    }

    /// <summary>Entities of <paramref name="entityType"/> matching <paramref name="q"/>, as the broker returns them.</summary>
    public Task<IReadOnlyList<JsonObject>> QueryRawAsync(string entityType, string? q = null, int? maxResults = null, CancellationToken cancellationToken = default) =>
        QueryRawAsync(entityType, q, local: false, maxResults, cancellationToken);

    /// <summary>Entities of <paramref name="entityType"/> matching <paramref name="q"/>; <paramref name="local"/>: from the broker's own store only.</summary>
    public async Task<IReadOnlyList<JsonObject>> QueryRawAsync(string entityType, string? q, bool local, int? maxResults = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(entityType);
        var max = maxResults ?? _options.MaxQueryResults;
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1, nameof(maxResults));
        var results = new List<JsonObject>();
        // Bounded: each page adds PageSize entities or ends the loop.
        while (results.Count < max)
        {
            var limit = Math.Min(_options.PageSize, max - results.Count);
            var path = $"entities?type={Uri.EscapeDataString(entityType)}&limit={limit}&offset={results.Count}"
                + (q is null ? "" : "&q=" + Uri.EscapeDataString(q)) + (local ? "&local=true" : "");
            using var response = await SendAsync("query", HttpMethod.Get, path, null, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw await ErrorAsync("query", response, cancellationToken);
            }
            if (await ReadJsonAsync(response, cancellationToken) is not JsonArray page)
            {
                throw new ContinuumClientException("query: the broker answered something other than an array.", response.StatusCode);
            }
            results.AddRange(page.OfType<JsonObject>());
            if (page.Count < limit)
            {
                break;
            }
        }
        return results;
    }

    /// <summary>Deletes the entity <paramref name="id"/>; false when it did not exist.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        using var response = await SendAsync("delete", HttpMethod.Delete, "entities/" + Uri.EscapeDataString(id), null, cancellationToken);
        switch (response.StatusCode)
        {
            case HttpStatusCode.NoContent:
                return true;
            case HttpStatusCode.NotFound:
                return false;
            // Forwarded to other domains that do not hold the entity (see MergeFragmentAsync): done if it is gone here.
            case HttpStatusCode.MultiStatus when await GetRawAsync(id, local: true, cancellationToken) is null:
                return true;
            default:
                throw await ErrorAsync("delete", response, cancellationToken);
        }
    }

    /// <summary>Creates the subscription and returns its id.</summary>
    public async Task<string> SubscribeAsync(ContinuumSubscription subscription, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        if (!subscription.Endpoint.IsAbsoluteUri)
        {
            throw new ArgumentException("The endpoint must be an absolute URL.", nameof(subscription));
        }
        var body = new JsonObject { ["type"] = "Subscription" };
        if (subscription.Id is not null)
        {
            body["id"] = subscription.Id;
        }
        if (subscription.Description is not null)
        {
            body["description"] = subscription.Description;
        }
        body["entities"] = new JsonArray(new JsonObject { ["type"] = subscription.EntityType });
        if (subscription.Q is not null)
        {
            body["q"] = subscription.Q;
        }
        if (subscription.WatchedAttributes is { Count: > 0 } watched)
        {
            body["watchedAttributes"] = Strings(watched);
        }
        if (subscription.Throttling is { } throttling)
        {
            body["throttling"] = throttling.TotalSeconds;
        }
        var notification = new JsonObject
        {
            ["format"] = "normalized",
            ["endpoint"] = new JsonObject { ["uri"] = subscription.Endpoint.ToString(), ["accept"] = JsonMediaType },
        };
        if (subscription.NotifiedAttributes is { Count: > 0 } notified)
        {
            notification["attributes"] = Strings(notified);
        }
        body["notification"] = notification;
        using var response = await SendAsync("subscribe", HttpMethod.Post, "subscriptions", body, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw await ErrorAsync("subscribe", response, cancellationToken);
        }
        if (subscription.Id is not null)
        {
            return subscription.Id;
        }
        var location = response.Headers.Location?.ToString()
            ?? throw new ContinuumClientException("subscribe: the broker answered 201 without a Location.", response.StatusCode);
        return Uri.UnescapeDataString(location[(location.LastIndexOf('/') + 1)..]);
    }

    /// <summary>Deletes the subscription <paramref name="id"/>; false when it did not exist.</summary>
    public async Task<bool> UnsubscribeAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        using var response = await SendAsync("unsubscribe", HttpMethod.Delete, "subscriptions/" + Uri.EscapeDataString(id), null, cancellationToken);
        return response.StatusCode switch
        {
            HttpStatusCode.NoContent => true,
            HttpStatusCode.NotFound => false,
            _ => throw await ErrorAsync("unsubscribe", response, cancellationToken),
        };
    }

    /// <summary>Whether the broker answers now: one attempt, bounded by the request timeout, no retry.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_root, Api + "info/sourceIdentity"));
            AddTenant(request);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return (int)response.StatusCode < 500;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task MergeFragmentAsync(string id, JsonObject fragment, CancellationToken cancellationToken)
    {
        if (fragment.Count == 0)
        {
            return;
        }
        using var response = await SendAsync("merge", HttpMethod.Patch, "entities/" + Uri.EscapeDataString(id), fragment, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return;
        }
        // In a federated domain the broker also forwards the merge to the other domains' brokers (their registrations
        // allow updates); those that do not hold the entity answer 404 and the broker reports 207 with this broker's
        // success. When this broker succeeded and every error is such a 404 of a context source, the merge took place here.
        if (response.StatusCode == HttpStatusCode.MultiStatus && await ReadJsonAsync(response, cancellationToken) is JsonObject result)
        {
            if (result["success"] is JsonArray success && success.Any(n => n is JsonValue v && v.TryGetValue<string>(out var done) && done == id)
                && result["errors"] is JsonArray errors && errors.All(e => e?["error"] is JsonObject error && error["registrationId"] is not null
                    && error["status"] is JsonValue status && status.TryGetValue<int>(out var code) && code == 404))
            {
                return;
            }
            throw new ContinuumClientException($"merge: the broker did not take every part of the merge of {id}: {result.ToJsonString()}", response.StatusCode);
        }
        throw await ErrorAsync("merge", response, cancellationToken);
    }

    /// <summary>
    /// Sends one request through the pipeline and returns the (buffered) answer, which is not a 5xx/429. Throws
    /// <see cref="ContinuumClientException"/> when every attempt failed.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(string operation, HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        var text = body?.ToJsonString();
        try
        {
            return await _pipeline.ExecuteAsync(async token =>
            {
                var link = await ContextUrlAsync(token);
                using var request = new HttpRequestMessage(method, new Uri(_root, Api + path));
                if (text is not null)
                {
                    request.Content = new StringContent(text, Encoding.UTF8, JsonMediaType);
                }
                request.Headers.TryAddWithoutValidation("Link", $"<{link}>; rel=\"{ContextRelation}\"; type=\"application/ld+json\"");
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(JsonMediaType));
                AddTenant(request);
                var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, token);
                await ThrowIfTransientAsync(response, token);
                return response;
            }, cancellationToken);
        }
        catch (TransientStatusException e)
        {
            LogFailed(_logger, operation, _options.MaxAttempts, e.Message);
            throw new ContinuumClientException($"{operation}: {e.Message}", e.Status, e.Problem, e);
        }
        catch (HttpRequestException e)
        {
            LogFailed(_logger, operation, _options.MaxAttempts, e.Message);
            throw new ContinuumClientException($"{operation}: the broker at {_root} is unreachable: {e.Message}", null, null, e);
        }
        catch (TimeoutRejectedException e)
        {
            LogFailed(_logger, operation, _options.MaxAttempts, e.Message);
            throw new ContinuumClientException($"{operation}: the broker at {_root} did not answer within {_options.RequestTimeout.TotalMilliseconds} ms.", null, null, e);
        }
    }

    private async Task ThrowIfTransientAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var transient = status >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests;
        if (!transient && status < 400 && response.StatusCode != HttpStatusCode.MultiStatus)
        {
            return;
        }
        var problem = await ReadJsonAsync(response, cancellationToken) as JsonObject;
        if (_options.ContextUrl is null && ContextMissing(problem))
        {
            // The broker lost the hosted context (deleted, or a new data directory): register it again and retry.
            _contextUrl = null;
            LogContextLost(_logger, _root);
            transient = true;
            problem = problem?["errors"] is JsonArray { Count: > 0 } errors ? errors[0]?["error"]?.DeepClone() as JsonObject ?? problem : problem;
        }
        if (transient)
        {
            response.Dispose();
            throw new TransientStatusException((HttpStatusCode)status, problem);
        }
    }

    // The error itself, or one entity error of a batch answer (207), says the @context could not be loaded.
    private static bool ContextMissing(JsonObject? problem) =>
        IsContextError(problem?["type"])
        || (problem?["errors"] is JsonArray errors && errors.Any(e => IsContextError(e?["error"]?["type"])));

    private static bool IsContextError(JsonNode? type) =>
        type is JsonValue v && v.TryGetValue<string>(out var s) && s.EndsWith("LdContextNotAvailable", StringComparison.Ordinal);

    /// <summary>The URL of the aerOS context for the Link header, registering it with the broker the first time.</summary>
    private async ValueTask<string> ContextUrlAsync(CancellationToken cancellationToken)
    {
        if (_contextUrl is { } known)
        {
            return known;
        }
        await _contextLock.WaitAsync(cancellationToken);
        try
        {
            if (_contextUrl is { } raced)
            {
                return raced;
            }
            var url = await FindHostedContextAsync(cancellationToken) ?? await RegisterContextAsync(cancellationToken);
            _contextUrl = url;
            return url;
        }
        finally
        {
            _contextLock.Release();
        }
    }

    // Reuses an identical hosted context so that restarting clients do not pile up copies in the broker.
    private async Task<string?> FindHostedContextAsync(CancellationToken cancellationToken)
    {
        using var list = await SendPlainAsync(HttpMethod.Get, Api + "jsonldContexts?kind=Hosted", null, cancellationToken);
        if (list.StatusCode != HttpStatusCode.OK || await ReadJsonAsync(list, cancellationToken) is not JsonArray urls)
        {
            return null;
        }
        var ours = JsonNode.Parse(AerosContextJson);
        foreach (var node in urls.Take(MaxHostedContextsCompared))
        {
            if (node is not JsonValue v || !v.TryGetValue<string>(out var url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
            {
                continue;
            }
            using var hosted = await SendPlainAsync(HttpMethod.Get, uri.PathAndQuery.TrimStart('/'), null, cancellationToken);
            if (hosted.StatusCode == HttpStatusCode.OK && JsonNode.DeepEquals(await ReadJsonAsync(hosted, cancellationToken), ours))
            {
                LogContextReused(_logger, url);
                return url;
            }
        }
        return null;
    }

    private async Task<string> RegisterContextAsync(CancellationToken cancellationToken)
    {
        using var response = await SendPlainAsync(HttpMethod.Post, Api + "jsonldContexts", AerosContextJson, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created || response.Headers.Location is null)
        {
            throw await ErrorAsync("registering the aerOS @context", response, cancellationToken);
        }
        var url = new Uri(_root, response.Headers.Location).ToString();
        LogContextRegistered(_logger, url);
        return url;
    }

    private async Task<HttpResponseMessage> SendPlainAsync(HttpMethod method, string path, string? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_root, path));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, JsonMediaType);
        }
        AddTenant(request);
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await ThrowIfTransientAsync(response, cancellationToken);
        return response;
    }

    private void AddTenant(HttpRequestMessage request)
    {
        if (_options.Tenant is { } tenant)
        {
            request.Headers.TryAddWithoutValidation("NGSILD-Tenant", tenant);
        }
    }

    private static async Task<ContinuumClientException> ErrorAsync(string operation, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var problem = await ReadJsonAsync(response, cancellationToken) as JsonObject;
        var detail = problem?["detail"]?.ToString() ?? problem?["title"]?.ToString() ?? response.ReasonPhrase ?? "";
        return new ContinuumClientException($"{operation}: the broker answered {(int)response.StatusCode}: {detail}", response.StatusCode, problem);
    }

    private static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (text.Length == 0)
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    private static string Reason(Exception? e) => e switch
    {
        null => "failed",
        TimeoutRejectedException => "timed out",
        _ => e.Message,
    };

    private static string LoadEmbeddedContext()
    {
        using var stream = typeof(ContinuumClient).Assembly.GetManifestResourceStream("Aeros.Continuum.aeros-context.jsonld")
            ?? throw new InvalidOperationException("The embedded aerOS @context is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>A 5xx or 429 answer: retried, and reported with its problem details when the attempts run out.</summary>
    private sealed class TransientStatusException(HttpStatusCode status, JsonObject? problem)
        : Exception($"the broker answered {(int)status}: {problem?["detail"] ?? problem?["title"] ?? status.ToString()}")
    {
        public HttpStatusCode Status { get; } = status;

        public JsonObject? Problem { get; } = problem;
    }
}
