using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;

namespace Aeros.Security.Tokens;

/// <summary>
/// One public signing key from a JWKS, usable only with the algorithm its type fixes: an RSA key (2048 bits or more)
/// verifies RS256 only, a P-256 key ES256 only. That pinning is what defeats RS256→HS256 confusion: no key is ever an
/// HMAC secret.
/// </summary>
/// <remarks>Never disposed: a replaced JWKS may still be verifying in-flight requests; the GC reclaims old keys.</remarks>
internal sealed class SigningKey
{
    private readonly RSA? _rsa;
    private readonly ECDsa? _ec;

    private SigningKey(string kid, string algorithm, RSA? rsa, ECDsa? ec)
    {
        Kid = kid;
        Algorithm = algorithm;
        _rsa = rsa;
        _ec = ec;
    }

    public string Kid { get; }

    /// <summary><c>RS256</c> or <c>ES256</c>.</summary>
    public string Algorithm { get; }

    /// <summary>Verifies <paramref name="signature"/> over <paramref name="data"/> with this key's one algorithm.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) => Algorithm switch
    {
        "RS256" => _rsa!.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        "ES256" => signature.Length == 64 && _ec!.VerifyData(data, signature, HashAlgorithmName.SHA256),
        _ => false,
    };

    /// <summary>
    /// Reads the signature keys of a JWKS document; keys of other types, other uses or weak sizes are skipped
    /// (and named in <paramref name="skipped"/>).
    /// </summary>
    public static Dictionary<string, SigningKey> ParseJwks(ReadOnlySpan<byte> json, List<string> skipped)
    {
        var keys = new Dictionary<string, SigningKey>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(json.ToArray());
        if (!document.RootElement.TryGetProperty("keys", out var array) || array.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("the JWKS has no 'keys' array");
        }
        foreach (var jwk in array.EnumerateArray())
        {
            var kid = String(jwk, "kid");
            if (kid is null)
            {
                skipped.Add("a key without kid");
                continue;
            }
            if (String(jwk, "use") is { } use && use != "sig")
            {
                continue; // an encryption key
            }
            var alg = String(jwk, "alg");
            try
            {
                switch (String(jwk, "kty"))
                {
                    case "RSA" when alg is null or "RS256":
                        var rsa = RSA.Create();
                        rsa.ImportParameters(new RSAParameters { Modulus = Bytes(jwk, "n"), Exponent = Bytes(jwk, "e") });
                        if (rsa.KeySize < 2048)
                        {
                            skipped.Add($"{kid}: RSA key of {rsa.KeySize} bits");
                            rsa.Dispose();
                            continue;
                        }
                        keys[kid] = new SigningKey(kid, "RS256", rsa, null);
                        break;
                    case "EC" when (alg is null or "ES256") && String(jwk, "crv") == "P-256":
                        var ec = ECDsa.Create(new ECParameters
                        {
                            Curve = ECCurve.NamedCurves.nistP256,
                            Q = new ECPoint { X = Bytes(jwk, "x"), Y = Bytes(jwk, "y") },
                        });
                        keys[kid] = new SigningKey(kid, "ES256", null, ec);
                        break;
                    default:
                        skipped.Add($"{kid}: unsupported key type or algorithm");
                        break;
                }
            }
            catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
            {
                skipped.Add($"{kid}: {e.Message}");
            }
        }
        return keys;
    }

    private static string? String(JsonElement jwk, string name) =>
        jwk.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static byte[] Bytes(JsonElement jwk, string name) =>
        String(jwk, name) is { } text ? Base64Url.DecodeFromChars(text) : throw new FormatException($"'{name}' is missing");
}
