using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aeros.Cli.Client;

/// <summary>
/// The client commands' view of one domain host: its HLO API (<c>/hlo/v1/services</c>) and the LLO's component logs
/// (<c>/llo/v1/components/{id}/logs</c>). Every request is bounded by the <see cref="HttpClient"/>'s timeout; a host
/// that does not answer becomes an <see cref="HloClientException"/> with <see cref="HloClientException.Unreachable"/>.
/// </summary>
internal sealed class HloClient
{
    /// <summary>The HLO API under a domain host's root.</summary>
    public const string HloRoot = "hlo/v1/";

    /// <summary>The LLO API under a domain host's root.</summary>
    public const string LloRoot = "llo/v1/";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly HttpClient _http;

    /// <summary>A client of the domain host at <paramref name="domainUrl"/>.</summary>
    public HloClient(HttpClient http, Uri domainUrl)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(domainUrl);
        _http = http;
        DomainUrl = domainUrl.AbsoluteUri.EndsWith('/') ? domainUrl : new Uri(domainUrl.AbsoluteUri + "/");
    }

    /// <summary>The domain host's root URL (ends with '/').</summary>
    public Uri DomainUrl { get; }

    /// <summary><c>POST</c> (or <c>PUT</c> when <paramref name="replace"/>) the blueprint <paramref name="text"/> as service <paramref name="serviceId"/>.</summary>
    public async Task<HloSubmitResult> SubmitAsync(string serviceId, string text, bool replace, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(replace ? HttpMethod.Put : HttpMethod.Post, ServiceUrl(serviceId))
        {
            Content = new StringContent(text, Encoding.UTF8),
        };
        // A JSON blueprint starts with '{'; anything else is sent as YAML (the HLO accepts both).
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(text.TrimStart().StartsWith('{') ? "application/json" : "application/yaml");
        var (status, body) = await SendAsync(request, cancellationToken);
        if (status is 200 or 201 or 202)
        {
            return new HloSubmitResult(status, (string?)(body as JsonObject)?["status"], [], null);
        }
        var errors = new List<HloValidationError>();
        if (status == 400 && body?["errors"] is JsonArray list)
        {
            foreach (var e in list)
            {
                errors.Add(e is JsonObject o
                    ? new HloValidationError(Int(o["line"]), Int(o["column"]), (string?)o["path"], (string?)o["message"] ?? o.ToJsonString())
                    : new HloValidationError(0, 0, null, e?.ToString() ?? ""));
            }
        }
        return new HloSubmitResult(status, null, errors, Describe(body));
    }

    /// <summary>Every service the HLO knows.</summary>
    public async Task<IReadOnlyList<HloServiceSummary>> ListAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(DomainUrl, HloRoot + "services"));
        var (status, body) = await SendAsync(request, cancellationToken);
        Expect(status, body, 200, "listing the services");
        if (body is not JsonArray list)
        {
            throw new HloClientException("listing the services: the answer is not a JSON array.", status);
        }
        // components is a count; a list of ids (an older shape) is counted.
        return [.. list.OfType<JsonObject>().Where(s => s["id"] is JsonValue).Select(s => new HloServiceSummary((string)s["id"]!, (string?)s["domainHandler"],
            s["components"] switch { JsonArray ids => ids.Count, JsonValue v when v.TryGetValue<int>(out var n) => n, _ => 0 }, (string?)s["status"]))];
    }

    /// <summary>The service <paramref name="serviceId"/>, or null when the HLO does not know it (404).</summary>
    public async Task<HloService?> GetAsync(string serviceId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ServiceUrl(serviceId));
        var (status, body) = await SendAsync(request, cancellationToken);
        if (status == 404)
        {
            return null;
        }
        Expect(status, body, 200, $"reading service {serviceId}");
        return Deserialize<HloService>(body, $"service {serviceId}");
    }

    /// <summary>Asks the HLO to remove the service; false when it does not know it (404).</summary>
    public async Task<bool> DeleteAsync(string serviceId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, ServiceUrl(serviceId));
        var (status, body) = await SendAsync(request, cancellationToken);
        if (status == 404)
        {
            return false;
        }
        if (status is not (200 or 202 or 204))
        {
            throw new HloClientException($"{request.RequestUri} answered {status}: {Describe(body)}", status);
        }
        return true;
    }

    /// <summary>The last <paramref name="tail"/> log lines of the component's workload; null when the component is unknown (404).</summary>
    public async Task<ComponentLogs?> LogsAsync(string componentId, int tail, CancellationToken cancellationToken)
    {
        var url = new Uri(DomainUrl, string.Create(CultureInfo.InvariantCulture, $"{LloRoot}components/{Uri.EscapeDataString(componentId)}/logs?tail={tail}"));
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        var (status, body) = await SendAsync(request, cancellationToken);
        if (status == 404)
        {
            return null;
        }
        Expect(status, body, 200, $"reading the logs of {componentId}");
        return Deserialize<ComponentLogs>(body, "the logs");
    }

    /// <summary>The problem's errors (or detail, title, body) in one line.</summary>
    internal static string Describe(JsonNode? body)
    {
        if (body?["errors"] is JsonArray { Count: > 0 } errors)
        {
            return string.Join("; ", errors.Select(e => e is JsonObject o && o["message"] is { } m ? m.ToString() : e?.ToString()));
        }
        return (string?)body?["detail"] ?? (string?)body?["title"] ?? body?.ToJsonString() ?? "(no body)";
    }

    private Uri ServiceUrl(string serviceId) => new(DomainUrl, HloRoot + "services/" + Uri.EscapeDataString(serviceId));

    private static void Expect(int status, JsonNode? body, int expected, string what)
    {
        if (status != expected)
        {
            throw new HloClientException($"{what}: the domain host answered {status}: {Describe(body)}", status);
        }
    }

    private static T? Deserialize<T>(JsonNode? body, string what)
    {
        try
        {
            return body is null ? default : body.Deserialize<T>(Json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new HloClientException($"{what}: the answer does not have the expected shape: {e.Message}", 200, e);
        }
    }

    private static int Int(JsonNode? node) => node is JsonValue v && v.TryGetValue<int>(out var i) ? i : 0;

    private async Task<(int Status, JsonNode? Body)> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new HloClientException($"the domain host at {DomainUrl} is not reachable ({e.Message}); is it running ('aeros status')?", null, e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HloClientException($"the domain host at {DomainUrl} did not answer within {_http.Timeout.TotalSeconds:0} s.", null, e);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonNode? body = null;
            if (text.Length > 0)
            {
                try
                {
                    body = JsonNode.Parse(text);
                }
                catch (JsonException)
                {
                    body = JsonValue.Create(text);
                }
            }
            // The HLO's own 404s are problem details; an empty 404 means the route itself is missing.
            if (response.StatusCode == HttpStatusCode.NotFound && (body is null || request.Method == HttpMethod.Post))
            {
                throw new HloClientException($"{request.RequestUri} does not exist: is the HLO running on {DomainUrl}?", 404);
            }
            return ((int)response.StatusCode, body);
        }
    }
}
