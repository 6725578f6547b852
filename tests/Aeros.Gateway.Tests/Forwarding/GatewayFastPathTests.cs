using System.Net;
using Aeros.Gateway.Forwarding;
using Aeros.Gateway.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Aeros.Gateway.Tests.Forwarding;

/// <summary>
/// The fast path (ADR 0017): the backend prefixes are served before endpoint routing, with the same checks; what it
/// does not take (another casing, the IAM, YARP's forwarder) still goes through routing and the routed checks.
/// </summary>
public sealed class GatewayFastPathTests
{
    [Fact]
    public async Task Request_BackendPrefix_ServedBeforeRoutingOtherCasingRouted()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        // An endpoint somebody mapped under the broker's prefix, without gateway metadata: routing would prefer it.
        await using var gateway = await StartAsync(issuer, broker, fastPath: true,
            app => app.MapGet("/ngsi-ld/shadow", () => "shadow"));
        var token = issuer.Token(DateTimeOffset.UtcNow, ["ServiceDeveloper"], ["domain1"]);

        using var fast = await gateway.GetAsync("ngsi-ld/shadow", token);
        using var routed = await gateway.GetAsync("NGSI-LD/shadow", token);
        using var anonymous = await gateway.GetAsync("ngsi-ld/shadow", null);

        Assert.Equal(HttpStatusCode.OK, fast.StatusCode);
        Assert.True(fast.Headers.Contains(GatewayHeaders.GatewayLatency));
        Assert.True(fast.Headers.Contains(GatewayHeaders.UpstreamLatency));
        // Routing found the endpoint without gateway metadata: refused after authentication (fail closed).
        Assert.Equal(HttpStatusCode.NotFound, routed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(1, broker.Hits);
        Assert.Equal(new[] { "broker" }, gateway.App.Services.GetRequiredService<GatewayFastPath>().Apis);
        Assert.Contains(gateway.Logs.Lines, l => l.EventId == 6560 && l.Message.Contains("broker", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Request_FastPathOff_SameRequestGoesThroughRouting()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await StartAsync(issuer, broker, fastPath: false,
            app => app.MapGet("/ngsi-ld/shadow", () => "shadow"));
        var token = issuer.Token(DateTimeOffset.UtcNow, ["ServiceDeveloper"], ["domain1"]);

        using var shadowed = await gateway.GetAsync("ngsi-ld/shadow", token);
        using var proxied = await gateway.GetAsync("ngsi-ld/v1/entities", token);

        Assert.Equal(HttpStatusCode.NotFound, shadowed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
        Assert.Equal(1, broker.Hits);
        Assert.Empty(gateway.App.Services.GetRequiredService<GatewayFastPath>().Apis);
    }

    [Fact]
    public async Task FastPath_YarpForwarderOrIam_NotServed()
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var iam = await TestBackend.StartAsync("iam");
        await using var yarp = await GatewayUnderTest.StartAsync(o =>
        {
            o.Issuers.Add(new TrustedIssuerOptions { Issuer = issuer.Issuer });
            o.Broker.Destinations.Add(broker.Url);
            o.Forwarder = GatewayForwarders.Yarp;
        });
        await using var raw = await GatewayUnderTest.StartAsync(o =>
        {
            o.Issuers.Add(new TrustedIssuerOptions { Issuer = issuer.Issuer });
            o.Broker.Destinations.Add(broker.Url);
            o.Iam.Destinations.Add(iam.Url);
        });

        // The IAM's OIDC endpoints stay anonymous (routing), its other paths need a token as before.
        using var discovery = await raw.GetAsync("iam/.well-known/openid-configuration", null);
        using var admin = await raw.GetAsync("iam/admin/users", null);

        Assert.Empty(yarp.App.Services.GetRequiredService<GatewayFastPath>().Apis);
        Assert.Equal(new[] { "broker" }, raw.App.Services.GetRequiredService<GatewayFastPath>().Apis);
        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, admin.StatusCode);
        Assert.Equal(1, iam.Hits);
    }

    [Fact]
    public async Task Request_FastPathBackendDown_502ProblemDetails()
    {
        await using var issuer = await TestIssuer.StartAsync();
        // A port nobody listens on: bind, note it, close.
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var gateway = await GatewayUnderTest.StartAsync(o =>
        {
            o.Issuers.Add(new TrustedIssuerOptions { Issuer = issuer.Issuer });
            o.Broker.Destinations.Add(new Uri($"http://127.0.0.1:{port}/"));
        });

        using var response = await gateway.GetAsync("ngsi-ld/v1/entities", issuer.Token(DateTimeOffset.UtcNow, ["ServiceDeveloper"], ["domain1"]));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Request_InlineScheduling_KestrelOptionFollowsAndRequestsForwarded(bool inline)
    {
        await using var issuer = await TestIssuer.StartAsync();
        await using var broker = await TestBackend.StartAsync("broker");
        await using var gateway = await GatewayUnderTest.StartAsync(o =>
        {
            o.Issuers.Add(new TrustedIssuerOptions { Issuer = issuer.Issuer });
            o.Broker.Destinations.Add(broker.Url);
            o.InlineScheduling = inline;
        });
        var token = issuer.Token(DateTimeOffset.UtcNow, ["ServiceDeveloper"], ["domain1"]);

        // Concurrent requests on several connections: the inline path must not serialise or lose any of them.
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => gateway.GetAsync($"ngsi-ld/v1/entities/urn:e:{i}", token)));
        using var denied = await gateway.SendAsync(HttpMethod.Delete, "ngsi-ld/v1/entities/urn:e:1", token);

        Assert.Equal(inline, gateway.App.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal(20, broker.Hits);
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }

    private static Task<GatewayUnderTest> StartAsync(TestIssuer issuer, TestBackend broker, bool fastPath, Action<WebApplication>? extra = null) =>
        GatewayUnderTest.StartAsync(o =>
        {
            o.Issuers.Add(new TrustedIssuerOptions { Issuer = issuer.Issuer });
            o.Broker.Destinations.Add(broker.Url);
            o.FastPath = fastPath;
        }, extra: extra);
}
