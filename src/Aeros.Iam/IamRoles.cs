namespace Aeros.Iam;

/// <summary>The aerOS role names carried in the <c>roles</c> claim of access tokens (a contract with the gateway).</summary>
public static class IamRoles
{
    /// <summary>Administers the whole continuum (always with domain scope <c>*</c>).</summary>
    public const string ContinuumAdministrator = "ContinuumAdministrator";

    /// <summary>Administers the domains of its scope.</summary>
    public const string DomainAdministrator = "DomainAdministrator";

    /// <summary>Deploys IoT services.</summary>
    public const string ServiceDeployer = "ServiceDeployer";

    /// <summary>Reads (develops against) IoT services; read-only.</summary>
    public const string ServiceDeveloper = "ServiceDeveloper";

    /// <summary>Machine role of a context broker (federation, distributed operations).</summary>
    public const string ContextBroker = "ContextBroker";

    /// <summary>Machine role of a High-Level Orchestrator (hand-offs between domains).</summary>
    public const string Hlo = "Hlo";

    /// <summary>Machine role of an IE agent.</summary>
    public const string Agent = "Agent";

    /// <summary>Every role name, in this order.</summary>
    public static IReadOnlyList<string> All { get; } =
        [ContinuumAdministrator, DomainAdministrator, ServiceDeployer, ServiceDeveloper, ContextBroker, Hlo, Agent];

    /// <summary>Whether <paramref name="role"/> is one of <see cref="All"/> (exact, case-sensitive).</summary>
    public static bool IsKnown(string? role) => role is not null && All.Contains(role, StringComparer.Ordinal);
}

/// <summary>Claim names of the access tokens the IAM issues (a contract with the gateway).</summary>
public static class IamClaims
{
    /// <summary>The subject: a user name or, for client credentials, the client id.</summary>
    public const string Subject = "sub";

    /// <summary>The client the token was issued to.</summary>
    public const string ClientId = "client_id";

    /// <summary>JSON array of role names (<see cref="IamRoles"/>).</summary>
    public const string Roles = "roles";

    /// <summary>JSON array of domain names the roles apply to, or <c>["*"]</c> for all.</summary>
    public const string Domains = "domains";

    /// <summary>The domain scope meaning every domain.</summary>
    public const string AllDomains = "*";
}
