using System.Buffers;
using System.Net.Http.Headers;
using System.Text;

namespace Aeros.Benchmarks.BrokerLoad;

/// <summary>The HTTP methods the phases use.</summary>
internal enum HttpVerb
{
    Get,
    Post,
}

/// <summary>
/// Writes the request of operation <paramref name="index"/>: its path and query (ASCII, already escaped, starting
/// with <c>/</c>) into <paramref name="pathAndQuery"/>; returns the body (empty for none, else sent as
/// <c>application/json</c>).
/// </summary>
internal delegate ReadOnlyMemory<byte> RequestWriter(long index, IBufferWriter<byte> pathAndQuery);

/// <summary>
/// Judges the response to operation <paramref name="index"/>. <paramref name="body"/> is the whole body when the
/// phase asks for it (<see cref="HttpPhase.WantsBody"/>); otherwise it may be only its start (enough for an error
/// excerpt), or empty.
/// </summary>
internal delegate Outcome ResponseCheck(long index, int status, ReadOnlySpan<byte> body);

/// <summary>What one phase sends and how it judges the answers, whichever client sends it.</summary>
internal sealed record HttpPhase(HttpVerb Verb, RequestWriter Request, ResponseCheck Check, bool WantsBody = false);

/// <summary>A closed-loop load client bound to one server.</summary>
internal interface ILoadClient : IDisposable
{
    /// <summary>Runs <paramref name="phase"/> until <paramref name="maxOperations"/> or <paramref name="duration"/>.</summary>
    Task<LoadResult> RunAsync(HttpPhase phase, long maxOperations, TimeSpan duration, CancellationToken cancellationToken);
}

/// <summary>The phases sent with <see cref="HttpClient"/> through <see cref="LoadGenerator"/> (<c>--client httpclient</c>).</summary>
internal sealed class HttpClientLoadClient(HttpClient client, Uri baseAddress, int concurrency) : ILoadClient
{
    private readonly LoadGenerator load = new(concurrency);
    private readonly string origin = baseAddress.GetLeftPart(UriPartial.Authority);

    public Task<LoadResult> RunAsync(HttpPhase phase, long maxOperations, TimeSpan duration, CancellationToken cancellationToken) =>
        load.RunAsync(async (i, ct) =>
        {
            var path = new ArrayBufferWriter<byte>(128);
            var body = phase.Request(i, path);
            using var request = new HttpRequestMessage(phase.Verb == HttpVerb.Post ? HttpMethod.Post : HttpMethod.Get,
                origin + Encoding.ASCII.GetString(path.WrittenSpan));
            if (!body.IsEmpty || phase.Verb == HttpVerb.Post)
            {
                request.Content = new ReadOnlyMemoryContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json"); // mutable: one per request
            }
            using var response = await client.SendAsync(request, ct);
            var bytes = await response.Content.ReadAsByteArrayAsync(ct);
            return phase.Check(i, (int)response.StatusCode, bytes);
        }, maxOperations, duration, cancellationToken);

    public void Dispose()
    {
        // The HttpClient belongs to the command.
    }
}
