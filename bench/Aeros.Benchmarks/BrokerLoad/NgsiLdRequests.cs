using System.Buffers;
using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Aeros.Benchmarks.BrokerLoad;

/// <summary>
/// The requests of the phases as <see cref="HttpPhase"/>s, whichever client sends them: paths written as bytes
/// without formatting strings, each response turned into an <see cref="Outcome"/> (status checked, result counts
/// checked for queries).
/// </summary>
internal static class NgsiLdRequests
{
    /// <summary>The bare server answers any path under this one.</summary>
    public static readonly byte[] BareEntityPrefix = "/entity/"u8.ToArray();

    private static readonly byte[] EntitiesPath = "/ngsi-ld/v1/entities"u8.ToArray();
    private static readonly byte[] EntityPrefix = "/ngsi-ld/v1/entities/"u8.ToArray();
    private static readonly byte[] UpsertPath = "/ngsi-ld/v1/entityOperations/upsert"u8.ToArray();
    private static readonly byte[] QueryPrefix = Encoding.ASCII.GetBytes($"/ngsi-ld/v1/entities?type={EntityGenerator.Type}&limit=100&q=");
    private static readonly byte[] HostnameQueryPrefix = Encoding.ASCII.GetBytes(Uri.EscapeDataString($"hostname==\"{EntityGenerator.HostnamePrefix}"));
    private static readonly byte[] HostnameQuerySuffix = Encoding.ASCII.GetBytes(Uri.EscapeDataString("\""));

    /// <summary>POST /entities with entity <paramref name="entity"/>(i); expects 201, then calls <paramref name="created"/>(i).</summary>
    public static HttpPhase Create(Func<long, byte[]> entity, Action<long> created) => new(
        HttpVerb.Post,
        (i, path) =>
        {
            path.Write(EntitiesPath);
            return entity(i);
        },
        (i, status, body) =>
        {
            if (status != (int)HttpStatusCode.Created)
            {
                return Failure(status, body);
            }
            created(i);
            return Outcome.Ok();
        });

    /// <summary>
    /// POST /entityOperations/upsert with <paramref name="batch"/>(i), <paramref name="count"/>(i) entities;
    /// expects 201 or 204, then calls <paramref name="upserted"/>(i).
    /// </summary>
    public static HttpPhase Upsert(Func<long, byte[]> batch, Func<long, int> count, Action<long> upserted) => new(
        HttpVerb.Post,
        (i, path) =>
        {
            path.Write(UpsertPath);
            return batch(i);
        },
        (i, status, body) =>
        {
            if (status is not ((int)HttpStatusCode.Created or (int)HttpStatusCode.NoContent))
            {
                return Failure(status, body);
            }
            upserted(i);
            return Outcome.Ok(count(i));
        });

    /// <summary>GET /entities/{id of entity pick()}; expects 200.</summary>
    public static HttpPhase GetById(Func<long> pick) => GetOk(EntityPrefix, pick);

    /// <summary>
    /// GET <paramref name="prefix"/>{escaped id of entity pick()}; expects 200. Shared with the bare baseline so that
    /// both do the same client work.
    /// </summary>
    public static HttpPhase GetOk(byte[] prefix, Func<long> pick) => new(
        HttpVerb.Get,
        (_, path) =>
        {
            path.Write(prefix);
            EntityGenerator.WriteEscapedId(pick(), path);
            return default;
        },
        (_, status, body) => status == (int)HttpStatusCode.OK ? Outcome.Ok() : Failure(status, body));

    /// <summary>Query with the constant <paramref name="q"/>; expects between <paramref name="minResults"/> and <paramref name="maxResults"/> results.</summary>
    public static HttpPhase Query(string q, int minResults, int maxResults, ResultCounter results)
    {
        var path = QueryPrefix.Concat(Encoding.ASCII.GetBytes(Uri.EscapeDataString(q))).ToArray();
        return Query((_, writer) =>
        {
            writer.Write(path);
            return default;
        }, minResults, maxResults, results, $"q={q}");
    }

    /// <summary>Query <c>q=hostname=="ie-&lt;pick()&gt;"</c>; expects exactly one result.</summary>
    public static HttpPhase HostnameQuery(Func<long> pick, ResultCounter results) => Query((_, writer) =>
    {
        writer.Write(QueryPrefix);
        writer.Write(HostnameQueryPrefix);
        var digits = writer.GetSpan(20);
        Utf8Formatter.TryFormat(pick(), digits, out var written);
        writer.Advance(written);
        writer.Write(HostnameQuerySuffix);
        return default;
    }, 1, 1, results, $"q=hostname==\"{EntityGenerator.HostnamePrefix}<i>\"");

    /// <summary>
    /// GET /entities?type=InfrastructureElement&amp;limit=100&amp;q=...; expects 200 with a JSON array of between
    /// <paramref name="minResults"/> and <paramref name="maxResults"/> entities. Counts the results in
    /// <paramref name="results"/>.
    /// </summary>
    private static HttpPhase Query(RequestWriter request, int minResults, int maxResults, ResultCounter results, string what) => new(
        HttpVerb.Get,
        request,
        (_, status, body) =>
        {
            if (status != (int)HttpStatusCode.OK)
            {
                return Failure(status, body);
            }
            var count = CountArrayItems(body);
            if (count < 0)
            {
                return Outcome.Fail("not a JSON array", Excerpt(body));
            }
            results.Add(count);
            return count < minResults || count > maxResults
                ? Outcome.Fail($"{count} results (expected {minResults}..{maxResults})", what)
                : Outcome.Ok();
        },
        WantsBody: true);

    /// <summary>Size of the body of GET /entities/{id}, or null when it is not a 200.</summary>
    public static async Task<int?> GetBodyLengthAsync(HttpClient client, Uri brokerBase, string id, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            using var response = await client.GetAsync(new Uri(brokerBase, "ngsi-ld/v1/entities/").AbsoluteUri + Uri.EscapeDataString(id), timeout.Token);
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            return response.StatusCode == HttpStatusCode.OK ? body.Length : null;
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    private static Outcome Failure(int status, ReadOnlySpan<byte> body) => Outcome.Fail($"HTTP {status}", Excerpt(body));

    private static string Excerpt(ReadOnlySpan<byte> body) => Encoding.UTF8.GetString(body[..Math.Min(body.Length, 300)]);

    /// <summary>Number of items of a top-level JSON array, or -1 when the body is not one.</summary>
    private static int CountArrayItems(ReadOnlySpan<byte> body)
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
