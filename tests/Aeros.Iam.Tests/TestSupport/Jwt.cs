using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Aeros.Iam.Tests.TestSupport;

/// <summary>Reads and validates JWTs the way an independent validator (the gateway) would: from the published JWKS.</summary>
internal static class Jwt
{
    public static JsonObject Header(string token) => Decode(token.Split('.')[0]);

    public static JsonObject Payload(string token) => Decode(token.Split('.')[1]);

    public static async Task<JsonWebKeySet> FetchJwksAsync(HttpClient http) =>
        new(await http.GetStringAsync("iam/.well-known/jwks").Within("fetching the JWKS"));

    /// <summary>Validates signature (RS256 only), issuer, audience and lifetime against <paramref name="jwks"/>.</summary>
    public static async Task<TokenValidationResult> ValidateAsync(string token, JsonWebKeySet jwks, string issuer, string audience = "aeros")
    {
        var handler = new JsonWebTokenHandler { MapInboundClaims = false };
        return await handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = audience,
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ClockSkew = TimeSpan.FromSeconds(30),
        }).Within("validating a token");
    }

    private static JsonObject Decode(string part)
    {
        var padded = part.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        return JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(padded)))!.AsObject();
    }
}
