using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;
using Aeros.Continuum;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Hlo;

/// <summary>The answer of another domain's HLO: success, its HTTP status (0: not reached) and a one-line detail.</summary>
internal sealed record ForwardResult(bool Ok, int Status, string Detail);

/// <summary>
/// Calls another domain's HLO at its Domain entity's <c>publicUrl</c> + <c>/hlo/v1/services/{id}</c>, marking the call as
/// coming from this domain (<see cref="HeaderName"/>) so the receiver never hands the service on. Unauthenticated until
/// the continuum has security (issue 6; ADR 0008).
/// </summary>
internal sealed class HandoffClient(IHttpClientFactory httpClients, IOptions<HloOptions> options)
{
    /// <summary>The name of the <see cref="HttpClient"/> used for hand-offs.</summary>
    public const string HttpClientName = "Aeros.Hlo.Handoff";

    /// <summary>The header that marks a request as a hand-off from the named domain.</summary>
    public const string HeaderName = "Aeros-Handoff-From";

    /// <summary>Sends <paramref name="method"/> for <paramref name="serviceId"/> to the HLO of <paramref name="domainUrn"/>.</summary>
    public async Task<ForwardResult> ForwardAsync(ContinuumClient client, string domainUrn, HttpMethod method, string serviceId, string? blueprint,
        string fromDomain, CancellationToken cancellationToken)
    {
        Domain? domain;
        try
        {
            domain = await client.GetAsync<Domain>(domainUrn, cancellationToken);
        }
        catch (ContinuumClientException e)
        {
            return new ForwardResult(false, 0, $"cannot read {domainUrn}: {e.Message}");
        }
        if (domain?.PublicUrl is not { } publicUrl || !Uri.TryCreate(publicUrl.TrimEnd('/') + "/hlo/v1/services/" + Uri.EscapeDataString(serviceId), UriKind.Absolute, out var url))
        {
            return new ForwardResult(false, 0, $"{domainUrn} has no usable publicUrl");
        }
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Add(HeaderName, fromDomain);
        if (blueprint is not null)
        {
            request.Content = new StringContent(blueprint, Encoding.UTF8, "application/yaml");
        }
        var http = httpClients.CreateClient(HttpClientName);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.HandoffTimeout);
        try
        {
            using var response = await http.SendAsync(request, timeout.Token);
            var ok = response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK or HttpStatusCode.NoContent;
            var detail = ok ? "accepted" : $"{(int)response.StatusCode} from {url}: {await DetailAsync(response, timeout.Token)}";
            return new ForwardResult(ok, (int)response.StatusCode, detail);
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new ForwardResult(false, 0, $"{url} unreachable: {e.Message}");
        }
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            if (JsonNode.Parse(text) is JsonObject problem && problem["detail"] is JsonValue d && d.TryGetValue<string>(out var detail))
            {
                return detail;
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return text.Length > 200 ? text[..200] : text;
    }
}
