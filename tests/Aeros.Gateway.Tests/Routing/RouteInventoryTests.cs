using System.Net;
using Aeros.Gateway.Routing;
using Aeros.Gateway.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Gateway.Tests.Routing;

/// <summary>
/// The route inventory: every endpoint the gateway exposes (read from its endpoint data sources, YARP's included) is
/// called without a token with every method it accepts; only the allow-listed OIDC protocol endpoints may answer
/// anything but 401, and no backend is reached. Adding an unprotected route makes <see cref="FindUnprotectedAsync"/>
/// report it (second test).
/// </summary>
public sealed class RouteInventoryTests
{
    [Fact]
    public async Task Inventory_EveryRoute_UnreachableWithoutTokenExceptOidcEndpoints()
    {
        await using var fixture = await Fixture.StartAsync();

        var (checkedRoutes, violations) = await FindUnprotectedAsync(fixture.Gateway);

        Assert.Empty(violations);
        // The inventory really saw the gateway's routes (YARP's and its own), not an empty table.
        foreach (var expected in new[] { "/ngsi-ld/{**rest}", "/hlo/{**rest}", "/llo/{**rest}", "/federation/{**rest}", "/iam/{**rest}", IeSelfApiEndpoint.Pattern, "/openapi.json" })
        {
            Assert.Contains(expected, checkedRoutes);
        }
        foreach (var path in GatewayRouteMetadata.AnonymousPaths)
        {
            Assert.Contains(path, checkedRoutes);
        }
        Assert.Equal(GatewayRouteMetadata.AnonymousPaths.Count * 7, fixture.Iam.Hits); // the OIDC endpoints did pass, once per method
        Assert.Equal(0, fixture.Broker.Hits);
    }

    [Fact]
    public async Task Inventory_RouteAddedThatBypassesTheGateway_Reported()
    {
        await using var fixture = await Fixture.StartAsync(app =>
            app.MapGet("/debug/state", () => "internal state").ShortCircuit());

        var (_, violations) = await FindUnprotectedAsync(fixture.Gateway);

        Assert.Contains(violations, v => v.Contains("/debug/state", StringComparison.Ordinal));
    }

    /// <summary>Every route pattern seen, and each (pattern, method) that answered something else than 401 without a token while not allow-listed.</summary>
    private static async Task<(List<string> Routes, List<string> Violations)> FindUnprotectedAsync(GatewayUnderTest gateway)
    {
        var endpoints = gateway.App.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>().ToList();
        // Also the sources the app itself registered (WebApplication keeps them on its IEndpointRouteBuilder).
        endpoints.AddRange(((IEndpointRouteBuilder)gateway.App).DataSources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>());
        var routes = new List<string>();
        var violations = new List<string>();
        foreach (var endpoint in endpoints.DistinctBy(e => (e.RoutePattern.RawText, e.DisplayName)))
        {
            var pattern = endpoint.RoutePattern.RawText ?? "";
            routes.Add(pattern.StartsWith('/') ? pattern : "/" + pattern);
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } m ? m : ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
            var path = Concrete(endpoint);
            var allowListed = GatewayRouteMetadata.AnonymousPaths.Contains(path, StringComparer.Ordinal);
            foreach (var method in methods)
            {
                using var response = await gateway.SendAsync(new HttpMethod(method), path.TrimStart('/'), token: null, method is "POST" or "PUT" or "PATCH" ? new StringContent("{}") : null);
                if (!allowListed && response.StatusCode != HttpStatusCode.Unauthorized)
                {
                    violations.Add($"{method} {path} ({pattern}) answered {(int)response.StatusCode} without a token");
                }
            }
        }
        return (routes, violations);
    }

    /// <summary>A concrete path matching the endpoint's pattern: parameters filled with sample values.</summary>
    private static string Concrete(RouteEndpoint endpoint)
    {
        var segments = new List<string>();
        foreach (var segment in endpoint.RoutePattern.PathSegments)
        {
            var text = string.Concat(segment.Parts.Select(p => p switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternSeparatorPart separator => separator.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter => parameter.IsCatchAll ? "v1/probe" : "p1",
                _ => "",
            }));
            segments.Add(text);
        }
        return "/" + string.Join('/', segments);
    }

    private sealed class Fixture : IAsyncDisposable
    {
        public required TestIssuer Issuer { get; init; }
        public required TestBackend Broker { get; init; }
        public required TestBackend Iam { get; init; }
        public required TestBackend Other { get; init; }
        public required GatewayUnderTest Gateway { get; init; }

        public static async Task<Fixture> StartAsync(Action<WebApplication>? extra = null)
        {
            var issuer = await TestIssuer.StartAsync();
            var broker = await TestBackend.StartAsync("broker");
            var iam = await TestBackend.StartAsync("iam");
            var other = await TestBackend.StartAsync("other");
            var gateway = await GatewayUnderTest.StartAsync(o =>
            {
                o.Issuers.Add(new TrustedIssuerOptions { Issuer = issuer.Issuer });
                o.Broker.Destinations.Add(broker.Url);
                o.Hlo.Destinations.Add(broker.Url);
                o.Llo.Destinations.Add(broker.Url);
                o.Federation.Destinations.Add(broker.Url);
                o.Iam.Destinations.Add(iam.Url);
                o.InfrastructureElements["p1"] = other.Url.ToString();
            }, extra: extra);
            return new Fixture { Issuer = issuer, Broker = broker, Iam = iam, Other = other, Gateway = gateway };
        }

        public async ValueTask DisposeAsync()
        {
            await Gateway.DisposeAsync();
            await Broker.DisposeAsync();
            await Iam.DisposeAsync();
            await Other.DisposeAsync();
            await Issuer.DisposeAsync();
        }
    }
}
