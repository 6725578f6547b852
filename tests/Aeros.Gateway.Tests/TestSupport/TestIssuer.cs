using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aeros.Gateway.Tests.TestSupport;

/// <summary>
/// A token issuer for tests: its own RSA and EC keys, served from a real JWKS endpoint on 127.0.0.1 (with OIDC
/// discovery), counting JWKS fetches; it mints tokens (and forged ones) with any claims. Keys can be rotated.
/// </summary>
internal sealed class TestIssuer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private volatile List<(string Kid, AsymmetricAlgorithm Key)> _published = [];
    private int _jwksFetches;

    private TestIssuer(WebApplication app) => _app = app;

    public string Issuer { get; private set; } = "";

    public Uri BaseUrl { get; private set; } = null!;

    public int JwksFetches => Volatile.Read(ref _jwksFetches);

    public RSA Rsa { get; } = RSA.Create(2048);

    public string RsaKid { get; } = "rsa-" + Guid.NewGuid().ToString("N")[..8];

    public ECDsa Ec { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public string EcKid { get; } = "ec-" + Guid.NewGuid().ToString("N")[..8];

    /// <param name="realmPath">The issuer's path under the server, e.g. <c>iam/</c> or <c>realms/aeros</c>.</param>
    public static async Task<TestIssuer> StartAsync(string realmPath = "iam/")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var issuer = new TestIssuer(app);
        app.MapGet("/" + realmPath.TrimEnd('/') + "/.well-known/openid-configuration", () => Results.Json(new JsonObject
        {
            ["issuer"] = issuer.Issuer,
            ["jwks_uri"] = issuer.BaseUrl + "jwks",
        }));
        app.MapGet("/jwks", (HttpContext _) =>
        {
            Interlocked.Increment(ref issuer._jwksFetches);
            return Results.Text(issuer.JwksJson(), "application/json");
        });
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        issuer.BaseUrl = new Uri(address + "/");
        issuer.Issuer = address + "/" + realmPath;
        issuer._published = [(issuer.RsaKid, issuer.Rsa), (issuer.EcKid, issuer.Ec)];
        return issuer;
    }

    /// <summary>Publishes a new RSA key (and keeps the old ones); returns its kid and key.</summary>
    public (string Kid, RSA Key) RotateRsa()
    {
        var key = RSA.Create(2048);
        var kid = "rsa-" + Guid.NewGuid().ToString("N")[..8];
        _published = [.. _published, (kid, key)];
        return (kid, key);
    }

    public string JwksJson()
    {
        var keys = new JsonArray();
        foreach (var (kid, key) in _published)
        {
            if (key is RSA rsa)
            {
                var p = rsa.ExportParameters(false);
                keys.Add(new JsonObject { ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = kid, ["n"] = Base64Url.EncodeToString(p.Modulus), ["e"] = Base64Url.EncodeToString(p.Exponent) });
            }
            else if (key is ECDsa ec)
            {
                var p = ec.ExportParameters(false);
                keys.Add(new JsonObject { ["kty"] = "EC", ["use"] = "sig", ["crv"] = "P-256", ["kid"] = kid, ["x"] = Base64Url.EncodeToString(p.Q.X), ["y"] = Base64Url.EncodeToString(p.Q.Y) });
            }
        }
        return new JsonObject { ["keys"] = keys }.ToJsonString();
    }

    /// <summary>The claims of a normal Aeros token: issuer, audience aeros, subject, client, roles, domains, valid for 5 minutes from <paramref name="now"/>.</summary>
    public JsonObject Claims(DateTimeOffset now, string[] roles, string[] domains, string client = "client-a")
    {
        return new JsonObject
        {
            ["iss"] = Issuer,
            ["aud"] = "aeros",
            ["sub"] = client,
            ["client_id"] = client,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.AddMinutes(5).ToUnixTimeSeconds(),
            ["roles"] = new JsonArray([.. roles.Select(r => (JsonNode?)r)]),
            ["domains"] = new JsonArray([.. domains.Select(d => (JsonNode?)d)]),
        };
    }

    public string Token(DateTimeOffset now, string[] roles, string[] domains, string client = "client-a") =>
        SignRs256(Claims(now, roles, domains, client));

    public string SignRs256(JsonObject claims, string? kid = null, RSA? key = null) =>
        Sign(new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = kid ?? RsaKid }, claims,
            data => (key ?? Rsa).SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public string SignEs256(JsonObject claims) =>
        Sign(new JsonObject { ["alg"] = "ES256", ["typ"] = "JWT", ["kid"] = EcKid }, claims,
            data => Ec.SignData(data, HashAlgorithmName.SHA256));

    public static string Sign(JsonObject header, JsonObject claims, Func<byte[], byte[]> signer)
    {
        var signingInput = Part(header) + "." + Part(claims);
        return signingInput + "." + Base64Url.EncodeToString(signer(Encoding.ASCII.GetBytes(signingInput)));
    }

    public static string Part(JsonNode node) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(node.ToJsonString()));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await _app.DisposeAsync();
        Rsa.Dispose();
        Ec.Dispose();
    }
}
