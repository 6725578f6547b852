using Aeros.Iam.Keys;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Aeros.Iam.Admin;

/// <summary>Who calls the admin API, from a validated access token.</summary>
internal sealed record AdminCaller(string Subject, IReadOnlySet<string> Roles, IReadOnlySet<string> Domains)
{
    public bool IsContinuumAdministrator => Roles.Contains(IamRoles.ContinuumAdministrator);

    public bool IsDomainAdministrator => Roles.Contains(IamRoles.DomainAdministrator);

    /// <summary>May act on <paramref name="domain"/>: a continuum administrator anywhere, a domain administrator in its domains (never on <c>*</c>).</summary>
    public bool Administers(string domain) =>
        IsContinuumAdministrator
        || (IsDomainAdministrator && domain != IamClaims.AllDomains && (Domains.Contains(IamClaims.AllDomains) || Domains.Contains(domain)));
}

/// <summary>
/// Validates bearer tokens for the admin API against the IAM's own published keys: RS256 only, issuer, audience,
/// lifetime (30 s skew), type <c>at+jwt</c>. It reads the key store directly, so a rotation applies at once.
/// </summary>
internal sealed class AdminTokenValidator(SigningKeyStore keys, IamIssuer issuer, IOptions<IamOptions> options)
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public async Task<AdminCaller?> ValidateAsync(string token)
    {
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = issuer.Value.AbsoluteUri,
            ValidAudience = options.Value.Audience,
            IssuerSigningKeys = keys.Current.Published.Select(k => (SecurityKey)k.Key).ToList(),
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ValidTypes = ["at+jwt"],
            ClockSkew = TimeSpan.FromSeconds(30),
            RequireExpirationTime = true,
            RequireSignedTokens = true,
        };
        var result = await _handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid || result.ClaimsIdentity.FindFirst(IamClaims.Subject)?.Value is not { } subject)
        {
            return null;
        }
        var roles = result.ClaimsIdentity.FindAll(IamClaims.Roles).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        var domains = result.ClaimsIdentity.FindAll(IamClaims.Domains).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        return new AdminCaller(subject, roles, domains);
    }
}
