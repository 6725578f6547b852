namespace Aeros.Security.Tokens;

/// <summary>
/// What a <see cref="JwtValidator"/> checks: the trusted issuers (and how their keys are fetched), the audience and the
/// clock skew. The gateway fills it from its options; the agent from its <c>Security</c> options.
/// </summary>
public sealed class TokenValidationOptions
{
    /// <summary>Default of <see cref="Audience"/>: the audience the embedded IAM puts in its access tokens.</summary>
    public const string DefaultAudience = "aeros";

    /// <summary>Default of <see cref="ClockSkew"/>: 30 s.</summary>
    public static readonly TimeSpan DefaultClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>The audience every token must carry (<c>aud</c>), unless its issuer sets its own.</summary>
    public string Audience { get; set; } = DefaultAudience;

    /// <summary>How far <c>exp</c> and <c>nbf</c> may be off this machine's clock (at most 5 minutes).</summary>
    public TimeSpan ClockSkew { get; set; } = DefaultClockSkew;

    /// <summary>The issuers whose tokens are accepted.</summary>
    public IReadOnlyList<TrustedIssuerOptions> Issuers { get; set; } = [];

    /// <summary>How the issuers' signing keys are fetched.</summary>
    public JwksOptions Jwks { get; set; } = new();
}

/// <summary>An issuer whose tokens the gateway accepts: the embedded IAM or an external Keycloak realm.</summary>
public sealed class TrustedIssuerOptions
{
    /// <summary>The exact <c>iss</c> value, e.g. <c>http://127.0.0.1:9090/iam/</c> or <c>https://kc.example/realms/aeros</c>.</summary>
    public string? Issuer { get; set; }

    /// <summary>The JWKS URL. Null: taken from <c>&lt;issuer&gt;/.well-known/openid-configuration</c> (<c>jwks_uri</c>).</summary>
    public Uri? JwksUri { get; set; }

    /// <summary><c>aeros</c> (roles in <c>roles</c>) or <c>keycloak</c> (roles in <c>realm_access.roles</c> and <c>resource_access.&lt;client&gt;.roles</c>).</summary>
    public string Kind { get; set; } = IssuerKinds.Aeros;

    /// <summary>The audience this issuer's tokens must carry. Null: <see cref="TokenValidationOptions.Audience"/>.</summary>
    public string? Audience { get; set; }

    /// <summary>Keycloak: the clients whose <c>resource_access.&lt;client&gt;.roles</c> are read (realm roles are always read).</summary>
    public IList<string> RoleClients { get; } = [];

    /// <summary>Keycloak role name → Aeros role name. Empty: names are taken as they are. Roles not listed are ignored when it is not empty.</summary>
    public IDictionary<string, string> RoleMap { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The claim holding the token's domains (a JSON array or a space-separated string).</summary>
    public string DomainsClaim { get; set; } = "domains";
}

/// <summary>Kinds of <see cref="TrustedIssuerOptions.Kind"/>.</summary>
public static class IssuerKinds
{
    /// <summary>The embedded IAM: roles in the <c>roles</c> claim.</summary>
    public const string Aeros = "aeros";

    /// <summary>An external Keycloak realm.</summary>
    public const string Keycloak = "keycloak";
}

/// <summary>How the signing keys of issuers are fetched.</summary>
public sealed class JwksOptions
{
    /// <summary>Keys are refetched after this even when no unknown <c>kid</c> asks for it.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The least time between two fetches of one issuer's keys: a flood of unknown kids makes at most one fetch per this.</summary>
    public TimeSpan MinRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest one discovery or JWKS fetch may take.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
