using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Aeros.Benchmarks.TokenIssuance;

/// <summary>
/// The baseline of <c>token-issuance</c> (hidden subcommand): a bare Kestrel endpoint that reads the same form, checks
/// the client secret by plain comparison, and signs a comparable RS256 JWT (same claims) — the cost of HTTP plus one
/// signature, without OpenIddict, a database or a KDF.
/// </summary>
internal static class BareTokenServer
{
    public const string Command = "bare-token-server";
    public const string ClientId = "bench-client";
    public const string Secret = "bench-secret-bench-secret";

    public static async Task<int> RunAsync(string[] args)
    {
        var urls = args.SkipWhile(a => a != "--urls").Skip(1).FirstOrDefault() ?? "http://127.0.0.1:0";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(urls);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var key = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "bench" };
        var credentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256);
        var handler = new JsonWebTokenHandler();
        app.MapPost("/iam/connect/token", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            if (form["grant_type"] != "client_credentials" || form["client_id"] != ClientId || form["client_secret"] != Secret)
            {
                return Results.Json(new { error = "invalid_client" }, statusCode: 401);
            }
            var now = DateTime.UtcNow;
            var token = handler.CreateToken(new SecurityTokenDescriptor
            {
                Issuer = "http://127.0.0.1/iam/",
                Audience = "aeros",
                IssuedAt = now,
                NotBefore = now,
                Expires = now.AddMinutes(10),
                SigningCredentials = credentials,
                TokenType = "at+jwt",
                Subject = new ClaimsIdentity([new Claim("sub", ClientId), new Claim("client_id", ClientId), new Claim("jti", Guid.NewGuid().ToString())]),
                Claims = new Dictionary<string, object>
                {
                    ["roles"] = JsonSerializer.SerializeToElement(new[] { "Agent" }),
                    ["domains"] = JsonSerializer.SerializeToElement(new[] { "domain1" }),
                },
            });
            return Results.Json(new { access_token = token, token_type = "Bearer", expires_in = 600 });
        });
        await app.StartAsync();
        Console.WriteLine("bare token server listening");
        await app.WaitForShutdownAsync();
        return 0;
    }
}
