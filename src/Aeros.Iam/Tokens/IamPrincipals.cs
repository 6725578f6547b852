using System.Security.Claims;
using System.Text.Json;
using Aeros.Iam.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Aeros.Iam.Tokens;

/// <summary>
/// Builds the identity behind every token: <c>sub</c>, <c>client_id</c>, <c>roles</c> and <c>domains</c> (always JSON
/// arrays), audience <see cref="IamOptions.Audience"/>. Role assignments are read from the database at each issuance
/// (also at each refresh, so a removed role disappears at the next refresh); a short cache keeps the database off the
/// client-credential hot path and is cleared by every admin change.
/// </summary>
internal sealed class IamPrincipals(IDbContextFactory<IamDbContext> databases, IOptions<IamOptions> options, TimeProvider time)
{
    /// <summary>How long assignments are kept: the bound for changes made by another IAM process sharing the database.</summary>
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(5);

    private readonly Dictionary<(string Kind, string Subject), (DateTimeOffset Until, IReadOnlyList<RoleAssignment> Assignments)> _cache = [];
    private readonly Lock _gate = new();
    private long _generation;

    /// <summary>Forgets cached assignments (after an admin change).</summary>
    public void Invalidate()
    {
        lock (_gate)
        {
            _generation++;
            _cache.Clear();
        }
    }

    public async Task<IReadOnlyList<RoleAssignment>> AssignmentsAsync(string kind, string subject, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        long generation;
        lock (_gate)
        {
            if (_cache.TryGetValue((kind, subject), out var hit) && hit.Until > now)
            {
                return hit.Assignments;
            }
            generation = _generation;
        }
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var assignments = await db.RoleAssignments.AsNoTracking()
            .Where(a => a.SubjectKind == kind && a.Subject == subject)
            .ToListAsync(cancellationToken);
        lock (_gate)
        {
            // Read before an admin change that committed meanwhile: do not keep it.
            if (generation != _generation)
            {
                return assignments;
            }
            if (_cache.Count > 10_000)
            {
                _cache.Clear();
            }
            _cache[(kind, subject)] = (now + CacheLifetime, assignments);
        }
        return assignments;
    }

    /// <summary>The principal of a token for <paramref name="subject"/> (a user name, or the client id itself) issued to <paramref name="clientId"/>.</summary>
    public async Task<ClaimsPrincipal> CreateAsync(string kind, string subject, string clientId, IEnumerable<string> scopes, CancellationToken cancellationToken)
    {
        var assignments = await AssignmentsAsync(kind, subject, cancellationToken);
        var identity = new ClaimsIdentity(
            authenticationType: "aeros-iam", nameType: Claims.Name, roleType: IamClaims.Roles);
        identity.SetClaim(Claims.Subject, subject);
        identity.SetClaim(Claims.Name, subject);
        identity.SetClaim(IamClaims.ClientId, clientId);
        var (roles, domains) = Flatten(assignments);
        // JSON-array claims: the arrays stay arrays in the JWT even with a single element (the gateway's contract).
        identity.AddClaim(new Claim(IamClaims.Roles, JsonSerializer.Serialize(roles), JsonClaimValueTypes.JsonArray));
        identity.AddClaim(new Claim(IamClaims.Domains, JsonSerializer.Serialize(domains), JsonClaimValueTypes.JsonArray));
        identity.SetScopes(scopes);
        identity.SetResources(options.Value.Audience);
        identity.SetDestinations(claim => claim.Type switch
        {
            Claims.Name => [Destinations.IdentityToken],
            _ => [Destinations.AccessToken, Destinations.IdentityToken],
        });
        return new ClaimsPrincipal(identity);
    }

    /// <summary>Distinct role names (in <see cref="IamRoles.All"/> order) and domains (<c>["*"]</c> when any role applies to all).</summary>
    internal static (string[] Roles, string[] Domains) Flatten(IEnumerable<RoleAssignment> assignments)
    {
        var list = assignments.ToList();
        var roles = IamRoles.All.Where(r => list.Any(a => a.Role == r)).ToArray();
        var domains = list.Any(a => a.Domain == IamClaims.AllDomains)
            ? [IamClaims.AllDomains]
            : list.Select(a => a.Domain).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return (roles, domains);
    }
}
