using System.Net;
using System.Net.Sockets;
using System.Text;
using Aeros.Gateway.Tests.TestSupport;
using Aeros.Gateway.Tests.Tokens;
using Aeros.Testing;

namespace Aeros.Gateway.Tests.Pipeline;

/// <summary>Size and rate limits: 413, 431, 429 (per client), 503 (per route) as problem details, never reaching the backend.</summary>
public sealed class LimitTests
{
    [Fact]
    public async Task Request_OversizedHeaders_431AndNoBackendCall()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await TokenAttackTests.StartGatewayAsync(issuer, broker, o => o.Limits.MaxRequestHeadersBytes = 4096);
        using var request = new HttpRequestMessage(HttpMethod.Get, "ngsi-ld/v1/entities");
        request.Headers.Authorization = new("Bearer", issuer.Token(DateTimeOffset.UtcNow, ["DomainAdministrator"], ["domain1"]));
        request.Headers.Add("X-Padding", new string('a', 5000));

        using var response = await gateway.Client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal((HttpStatusCode)431, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, broker.Hits);
    }

    [Fact]
    public async Task Request_BodyOverLimit_413AndNoBackendCall()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await TokenAttackTests.StartGatewayAsync(issuer, broker, o => o.Limits.MaxRequestBodyBytes = 10_000);
        var token = issuer.Token(DateTimeOffset.UtcNow, ["DomainAdministrator"], ["domain1"]);

        using var declared = await gateway.SendAsync(HttpMethod.Post, "ngsi-ld/v1/entities", token, new ByteArrayContent(new byte[10_001]));
        using var fits = await gateway.SendAsync(HttpMethod.Post, "ngsi-ld/v1/entities", token, new ByteArrayContent(new byte[10_000]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
        Assert.Equal("application/problem+json", declared.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        Assert.Equal(1, broker.Hits);
    }

    [Fact]
    public async Task Request_ChunkedBodyOverLimit_413AndNoBackendCall()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await TokenAttackTests.StartGatewayAsync(issuer, broker, o => o.Limits.MaxRequestBodyBytes = 10_000);
        var token = issuer.Token(DateTimeOffset.UtcNow, ["DomainAdministrator"], ["domain1"]);

        // Raw HTTP so that the body really goes chunked, without Content-Length.
        using var socket = new TcpClient();
        await socket.ConnectAsync(gateway.Url.Host, gateway.Url.Port).WaitAsync(TimeSpan.FromSeconds(30));
        var stream = socket.GetStream();
        var head = $"POST /ngsi-ld/v1/entities HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        var chunk = Encoding.ASCII.GetBytes("1000\r\n" + new string('x', 0x1000) + "\r\n");
        for (var i = 0; i < 4; i++)
        {
            await stream.WriteAsync(chunk).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }
        await stream.WriteAsync("0\r\n\r\n"u8.ToArray()).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        var answer = Encoding.ASCII.GetString(buffer, 0, read);

        Assert.StartsWith("HTTP/1.1 413", answer, StringComparison.Ordinal);
        Assert.Equal(0, broker.Hits);
    }

    [Fact]
    public async Task Request_FloodFromOneClient_429WithRetryAfterWhileOtherClientPasses()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await TokenAttackTests.StartGatewayAsync(issuer, broker, o =>
        {
            o.Limits.ClientBurst = 20;
            o.Limits.ClientRequestsPerSecond = 0.01; // practically no refill during the test
        });
        var now = DateTimeOffset.UtcNow;
        var flooder = issuer.Token(now, ["DomainAdministrator"], ["domain1"], client: "flooder");
        var quiet = issuer.Token(now, ["DomainAdministrator"], ["domain1"], client: "quiet");

        var statuses = new List<HttpStatusCode>();
        string? retryAfter = null;
        for (var i = 0; i < 50; i++)
        {
            using var r = await gateway.GetAsync("ngsi-ld/v1/entities", flooder);
            statuses.Add(r.StatusCode);
            if (r.StatusCode == HttpStatusCode.TooManyRequests)
            {
                retryAfter ??= r.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            }
        }
        var hitsAfterFlood = broker.Hits;
        using var other = await gateway.GetAsync("ngsi-ld/v1/entities", quiet);

        Assert.Equal(20, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(30, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.NotNull(retryAfter);
        Assert.True(double.Parse(retryAfter!, System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal(20, hitsAfterFlood);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Request_RouteAtConcurrencyLimit_503WithRetryAfterAndNoBackendCall()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await TokenAttackTests.StartGatewayAsync(issuer, broker, o => o.Broker.MaxConcurrentRequests = 1);
        var token = issuer.Token(DateTimeOffset.UtcNow, ["DomainAdministrator"], ["domain1"]);
        broker.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var held = gateway.GetAsync("ngsi-ld/v1/entities/held", token);
        await TestDeadline.Until(() => broker.Hits == 1, "the first request reached the backend");
        using (var rejected = await gateway.GetAsync("ngsi-ld/v1/entities/second", token))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, rejected.StatusCode);
            Assert.NotNull(rejected.Headers.RetryAfter);
            Assert.Equal("application/problem+json", rejected.Content.Headers.ContentType?.MediaType);
        }
        broker.Gate.SetResult();
        using var first = await held.Within("the held request finishing");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(1, broker.Hits);
    }

    [Fact]
    public async Task Request_RouteAboveRate_503()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await TokenAttackTests.StartGatewayAsync(issuer, broker, o => o.Broker.RequestsPerSecond = 0.5);
        var now = DateTimeOffset.UtcNow;

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            // Different clients: it is the route's limit that answers, not a client's.
            using var r = await gateway.GetAsync("ngsi-ld/v1/entities", issuer.Token(now, ["DomainAdministrator"], ["domain1"], client: $"c{i}"));
            statuses.Add(r.StatusCode);
        }

        Assert.Contains(HttpStatusCode.ServiceUnavailable, statuses);
        Assert.Equal(statuses.Count(s => s == HttpStatusCode.OK), broker.Hits);
        Assert.True(broker.Hits < 10);
    }
}
