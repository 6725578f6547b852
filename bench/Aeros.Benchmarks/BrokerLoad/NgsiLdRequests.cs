using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Aeros.Benchmarks.BrokerLoad;

/// <summary>
/// The NGSI-LD requests of the broker phases, each turned into an <see cref="Outcome"/> (status checked, body read
/// to the end, result counts checked for queries).
/// </summary>
internal sealed class NgsiLdRequests(HttpClient client, Uri brokerBase)
{
    private readonly Uri entities = new(brokerBase, "ngsi-ld/v1/entities");
    private readonly Uri upsert = new(brokerBase, "ngsi-ld/v1/entityOperations/upsert");
    private readonly string entitiesPrefix = new Uri(brokerBase, "ngsi-ld/v1/entities/").AbsoluteUri;
    private readonly string queryPrefix = new Uri(brokerBase, "ngsi-ld/v1/entities").AbsoluteUri
        + "?type=" + EntityGenerator.Type + "&limit=100&q=";

    /// <summary>POST /entities with one entity; expects 201.</summary>
    public async Task<Outcome> CreateAsync(byte[] entity, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(entity);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json"); // header objects are mutable: one per request
        using var response = await client.PostAsync(entities, content, cancellationToken);
        return await ExpectAsync(response, 1, cancellationToken, HttpStatusCode.Created);
    }

    /// <summary>POST /entityOperations/upsert with a batch of <paramref name="count"/> entities; expects 201 or 204.</summary>
    public async Task<Outcome> UpsertAsync(byte[] batch, int count, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(batch);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json"); // header objects are mutable: one per request
        using var response = await client.PostAsync(upsert, content, cancellationToken);
        return await ExpectAsync(response, count, cancellationToken, HttpStatusCode.Created, HttpStatusCode.NoContent);
    }

    /// <summary>GET /entities/{id}; expects 200.</summary>
    public Task<Outcome> GetAsync(string id, CancellationToken cancellationToken) =>
        GetOkAsync(client, entitiesPrefix + Uri.EscapeDataString(id), cancellationToken);

    /// <summary>GET <paramref name="url"/>; expects 200. Shared with the bare baseline so both do the same client work.</summary>
    public static async Task<Outcome> GetOkAsync(HttpClient client, string url, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(url, cancellationToken);
        return await ExpectAsync(response, 1, cancellationToken, HttpStatusCode.OK);
    }

    /// <summary>Size of the body of GET /entities/{id}, or null when it is not a 200.</summary>
    public async Task<int?> GetBodyLengthAsync(string id, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            using var response = await client.GetAsync(entitiesPrefix + Uri.EscapeDataString(id), timeout.Token);
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            return response.StatusCode == HttpStatusCode.OK ? body.Length : null;
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    /// <summary>
    /// GET /entities?type=InfrastructureElement&amp;q=...&amp;limit=100; expects 200 with a JSON array of between
    /// <paramref name="minResults"/> and <paramref name="maxResults"/> entities. Counts the results in
    /// <paramref name="results"/>.
    /// </summary>
    public async Task<Outcome> QueryAsync(string q, int minResults, int maxResults, ResultCounter results, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(queryPrefix + Uri.EscapeDataString(q), cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return Failure(response.StatusCode, body);
        }
        var count = CountArrayItems(body);
        if (count < 0)
        {
            return Outcome.Fail("not a JSON array", Excerpt(body));
        }
        results.Add(count);
        return count < minResults || count > maxResults
            ? Outcome.Fail($"{count} results (expected {minResults}..{maxResults})", $"q={q}")
            : Outcome.Ok();
    }

    private static async Task<Outcome> ExpectAsync(HttpResponseMessage response, int units, CancellationToken cancellationToken, params HttpStatusCode[] expected)
    {
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return Array.IndexOf(expected, response.StatusCode) >= 0 ? Outcome.Ok(units) : Failure(response.StatusCode, body);
    }

    private static Outcome Failure(HttpStatusCode status, byte[] body) => Outcome.Fail($"HTTP {(int)status}", Excerpt(body));

    private static string Excerpt(byte[] body) => Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300));

    /// <summary>Number of items of a top-level JSON array, or -1 when the body is not one.</summary>
    private static int CountArrayItems(byte[] body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                return -1;
            }
            var count = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                count++;
                reader.Skip();
            }
            return count;
        }
        catch (JsonException)
        {
            return -1;
        }
    }
}
