using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Aeros.Security.Tokens;

/// <summary>
/// Validates bearer access tokens (JWS compact, RS256 or ES256 only): a trusted issuer, a key of that issuer's JWKS
/// whose type fixes the algorithm (so <c>alg: none</c>, HS256 with the public key as secret and any other algorithm
/// fail), the signature, the audience, and <c>exp</c>/<c>nbf</c> against <see cref="TimeProvider"/> with the
/// configured skew. A token that passed is remembered (bounded) until it expires so its signature is checked once.
/// </summary>
internal sealed class JwtValidator
{
    /// <summary>The longest token looked at (the header limit bounds it too).</summary>
    public const int MaxTokenLength = 16 * 1024;

    private const int MaxRemembered = 10_000;
    private static readonly FrozenSet<string> Algorithms = new[] { "RS256", "ES256" }.ToFrozenSet(StringComparer.Ordinal);

    private readonly FrozenDictionary<string, IssuerKeys> _issuers;
    private readonly TokenValidationOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Remembered> _remembered = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Remembered>.AlternateLookup<ReadOnlySpan<char>> _rememberedBySpan;

    /// <summary>A token that passed, with what its time checks and its key check need to be repeated per request.</summary>
    private sealed record Remembered(TokenPrincipal Principal, DateTimeOffset? NotBefore, IssuerKeys Keys, string Kid);

    /// <summary>A validator for <paramref name="options"/>; <paramref name="http"/> fetches discovery documents and JWKS.</summary>
    public JwtValidator(TokenValidationOptions options, HttpClient http, TimeProvider time, ILogger logger)
    {
        _options = options;
        _time = time;
        _rememberedBySpan = _remembered.GetAlternateLookup<ReadOnlySpan<char>>();
        _issuers = _options.Issuers.ToFrozenDictionary(
            i => i.Issuer!,
            i => new IssuerKeys(i, _options.Jwks, http, time, logger),
            StringComparer.Ordinal);
    }

    /// <summary>The key sets by issuer (tests read their fetch counts).</summary>
    public IReadOnlyDictionary<string, IssuerKeys> Issuers => _issuers;

    /// <summary>
    /// The principal of <paramref name="token"/> if it passed validation before and still passes every check that can
    /// change since: <c>exp</c> and <c>nbf</c> against the current time, and its key still published by its issuer.
    /// Null means "validate it" (<see cref="ValidateAsync"/>), not "invalid". Allocates nothing on a hit.
    /// </summary>
    public TokenPrincipal? Recall(ReadOnlySpan<char> token)
    {
        if (!_rememberedBySpan.TryGetValue(token, out var known))
        {
            return null;
        }
        var now = _time.GetUtcNow();
        if (now < known.Principal.ExpiresAt + _options.ClockSkew && !(now < known.NotBefore - _options.ClockSkew) && known.Keys.Has(known.Kid))
        {
            return known.Principal;
        }
        _rememberedBySpan.TryRemove(token, out _);
        return null;
    }

    /// <summary>Validates <paramref name="token"/>; the error never contains the token.</summary>
    public async ValueTask<TokenValidation> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (token.Length > MaxTokenLength)
        {
            return TokenValidation.Fail("The token is too long.");
        }
        if (Recall(token) is { } recalled)
        {
            return new TokenValidation(recalled, null);
        }
        var now = _time.GetUtcNow();
        var firstDot = token.IndexOf('.', StringComparison.Ordinal);
        var secondDot = firstDot < 0 ? -1 : token.IndexOf('.', firstDot + 1);
        if (firstDot <= 0 || secondDot < 0 || token.IndexOf('.', secondDot + 1) >= 0)
        {
            return TokenValidation.Fail("The token is not a signed JWT (three base64url parts).");
        }
        if (!TryDecode(token.AsSpan(0, firstDot), out var headerBytes) || !TryDecode(token.AsSpan(firstDot + 1, secondDot - firstDot - 1), out var payloadBytes)
            || !TryDecode(token.AsSpan(secondDot + 1), out var signature))
        {
            return TokenValidation.Fail("The token is not valid base64url.");
        }
        string alg;
        string kid;
        try
        {
            using var header = JsonDocument.Parse(headerBytes);
            var root = header.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return TokenValidation.Fail("The token header is not a JSON object.");
            }
            alg = Str(root, "alg") ?? "";
            if (!Algorithms.Contains(alg))
            {
                return TokenValidation.Fail($"The token's algorithm '{Truncate(alg)}' is not accepted (RS256 or ES256 only).");
            }
            if (root.TryGetProperty("crit", out _))
            {
                return TokenValidation.Fail("The token has critical header parameters this validator does not understand.");
            }
            kid = Str(root, "kid") ?? "";
            if (kid.Length is 0 or > 256)
            {
                return TokenValidation.Fail("The token header has no usable kid.");
            }
        }
        catch (JsonException)
        {
            return TokenValidation.Fail("The token header is not valid JSON.");
        }

        JsonDocument payload;
        try
        {
            payload = JsonDocument.Parse(payloadBytes);
        }
        catch (JsonException)
        {
            return TokenValidation.Fail("The token payload is not valid JSON.");
        }
        using (payload)
        {
            var claims = payload.RootElement;
            if (claims.ValueKind != JsonValueKind.Object)
            {
                return TokenValidation.Fail("The token payload is not a JSON object.");
            }
            var iss = Str(claims, "iss");
            if (iss is null || !_issuers.TryGetValue(iss, out var keys))
            {
                return TokenValidation.Fail("The token's issuer is not trusted.");
            }
            var key = await keys.GetAsync(kid, cancellationToken);
            if (key is null)
            {
                return TokenValidation.Fail("The token's signing key (kid) is unknown to its issuer.");
            }
            if (key.Algorithm != alg)
            {
                return TokenValidation.Fail("The token's algorithm does not match its key.");
            }
            var signedLength = secondDot;
            var signed = ArrayPool<byte>.Shared.Rent(signedLength);
            try
            {
                var n = Encoding.ASCII.GetBytes(token.AsSpan(0, signedLength), signed);
                if (!key.Verify(signed.AsSpan(0, n), signature))
                {
                    return TokenValidation.Fail("The token's signature is invalid.");
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(signed);
            }
            var issuer = keys.Issuer;
            if (!HasAudience(claims, issuer.Audience ?? _options.Audience))
            {
                return TokenValidation.Fail("The token is not meant for this audience.");
            }
            if (!TryTime(claims, "exp", out var exp))
            {
                return TokenValidation.Fail("The token has no expiry (exp).");
            }
            if (now >= exp + _options.ClockSkew)
            {
                return TokenValidation.Fail("The token has expired.");
            }
            DateTimeOffset? notBefore = null;
            if (claims.TryGetProperty("nbf", out _))
            {
                if (!TryTime(claims, "nbf", out var nbf))
                {
                    return TokenValidation.Fail("The token's nbf is not a number.");
                }
                if (now < nbf - _options.ClockSkew)
                {
                    return TokenValidation.Fail("The token is not valid yet (nbf).");
                }
                notBefore = nbf;
            }
            var sub = Str(claims, "sub");
            var client = Str(claims, "client_id") ?? Str(claims, "azp") ?? sub;
            if (client is null)
            {
                return TokenValidation.Fail("The token names neither a subject nor a client.");
            }
            var principal = new TokenPrincipal(iss, sub ?? client, client, Roles(claims, issuer), Domains(claims, issuer.DomainsClaim), exp);
            if (_remembered.Count >= MaxRemembered)
            {
                _remembered.Clear(); // crude but bounded: a flood of distinct valid tokens costs verifications, not memory
            }
            _remembered[token] = new Remembered(principal, notBefore, keys, kid);
            return new TokenValidation(principal, null);
        }
    }

    private static List<string> Roles(JsonElement claims, TrustedIssuerOptions issuer)
    {
        var raw = new List<string>();
        if (issuer.Kind == IssuerKinds.Keycloak)
        {
            if (claims.TryGetProperty("realm_access", out var realm) && realm.ValueKind == JsonValueKind.Object
                && realm.TryGetProperty("roles", out var realmRoles))
            {
                AddStrings(realmRoles, raw);
            }
            if (claims.TryGetProperty("resource_access", out var resources) && resources.ValueKind == JsonValueKind.Object)
            {
                foreach (var client in issuer.RoleClients)
                {
                    if (resources.TryGetProperty(client, out var access) && access.ValueKind == JsonValueKind.Object
                        && access.TryGetProperty("roles", out var clientRoles))
                    {
                        AddStrings(clientRoles, raw);
                    }
                }
            }
        }
        else if (claims.TryGetProperty("roles", out var roles))
        {
            AddStrings(roles, raw);
        }
        if (issuer.RoleMap.Count == 0)
        {
            return [.. raw.Distinct(StringComparer.Ordinal)];
        }
        var mapped = new List<string>();
        foreach (var r in raw)
        {
            if (issuer.RoleMap.TryGetValue(r, out var ours) && !mapped.Contains(ours))
            {
                mapped.Add(ours);
            }
        }
        return mapped;
    }

    private static List<string> Domains(JsonElement claims, string claim)
    {
        var domains = new List<string>();
        if (claims.TryGetProperty(claim, out var value))
        {
            if (value.ValueKind == JsonValueKind.String)
            {
                domains.AddRange(value.GetString()!.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries));
            }
            else
            {
                AddStrings(value, domains);
            }
        }
        return domains;
    }

    private static void AddStrings(JsonElement value, List<string> into)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            into.Add(value.GetString()!);
        }
        else if (value.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in value.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String)
                {
                    into.Add(item.GetString()!);
                }
            }
        }
    }

    private static bool HasAudience(JsonElement claims, string audience)
    {
        if (!claims.TryGetProperty("aud", out var aud))
        {
            return false;
        }
        if (aud.ValueKind == JsonValueKind.String)
        {
            return aud.ValueEquals(audience);
        }
        if (aud.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in aud.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String && item.ValueEquals(audience))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static bool TryTime(JsonElement claims, string name, out DateTimeOffset time)
    {
        time = default;
        if (!claims.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var seconds)
            || double.IsNaN(seconds) || seconds < 0 || seconds > 253_402_300_799) // year 9999
        {
            return false;
        }
        time = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
        return true;
    }

    private static string? Str(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Truncate(string s) => s.Length <= 16 ? s : s[..16] + "…";

    private static bool TryDecode(ReadOnlySpan<char> part, out byte[] bytes)
    {
        bytes = [];
        if (part.IsEmpty)
        {
            return true;
        }
        if (!Base64Url.IsValid(part, out var length))
        {
            return false;
        }
        bytes = new byte[length];
        return Base64Url.TryDecodeFromChars(part, bytes, out var written) && written == length;
    }
}
