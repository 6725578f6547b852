using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Aeros.Continuum.Security;
using Aeros.Iam;
using Aeros.Security;

namespace Aeros.Cli.LocalContinuum;

/// <summary>
/// What <c>aeros up --security</c> sets up (docs/security.md, "Security in a continuum"): the IAM embedded in domain1
/// with a generated administrator secret, one client per domain host (roles Hlo and ContextBroker, every domain), one per
/// agent (role Agent, its domain) and one administrator client for the CLI, all with secrets generated here. Secrets go
/// to the children in their environment, never on a command line, and to no log.
/// </summary>
internal sealed class ContinuumSecurity
{
    /// <summary>The CLI's client id.</summary>
    public const string CliClientId = "aeros-cli";

    private readonly ContinuumLayout _layout;
    private readonly string _adminSecret = NewSecret();
    private readonly string _cliSecret = NewSecret();
    private readonly Dictionary<string, string> _hostSecrets;
    private readonly Dictionary<string, string> _agentSecrets;

    public ContinuumSecurity(ContinuumLayout layout)
    {
        _layout = layout;
        Issuer = new Uri(layout.Domains[0].Url, "iam/");
        TokenUrl = new Uri(Issuer, "connect/token");
        _hostSecrets = layout.Domains.ToDictionary(d => d.Name, _ => NewSecret());
        _agentSecrets = layout.Agents.ToDictionary(a => a.IeId, _ => NewSecret());
    }

    /// <summary>The continuum's issuer: <c>&lt;domain1&gt;/iam/</c>.</summary>
    public Uri Issuer { get; }

    /// <summary>Its token endpoint (through domain1's gateway, where it is anonymous).</summary>
    public Uri TokenUrl { get; }

    /// <summary>The CLI's credential, written to the state file.</summary>
    public ContinuumCredential CliCredential => new(Issuer.AbsoluteUri, TokenUrl.AbsoluteUri, CliClientId, _cliSecret);

    /// <summary>The client id of a domain host.</summary>
    public static string HostClientId(string domain) => domain + "-host";

    /// <summary>The client id of an agent: the last two parts of its IE id (<c>domain1-ie1</c>).</summary>
    public static string AgentClientId(PlannedAgent agent) => Path.GetFileName(agent.StateDirectory);

    /// <summary>The IAM's data directory under domain1's: recreated by every <c>up</c> so the generated secrets hold.</summary>
    public static string IamDirectory(PlannedDomain entrypoint) => Path.Combine(entrypoint.DataDirectory, "iam");

    /// <summary>The credential of a domain host's client (kept in the state file so a restarted host gets it again).</summary>
    public ContinuumCredential HostCredential(PlannedDomain domain) =>
        new(Issuer.AbsoluteUri, TokenUrl.AbsoluteUri, HostClientId(domain.Name), _hostSecrets[domain.Name]);

    /// <summary>The credential of an agent's client (kept in the state file so a restarted agent gets it again).</summary>
    public ContinuumCredential AgentCredential(PlannedAgent agent) =>
        new(Issuer.AbsoluteUri, TokenUrl.AbsoluteUri, AgentClientId(agent), _agentSecrets[agent.IeId]);

    /// <summary>The environment of a domain host at its first start (domain1 also gets the IAM's administrator secret).</summary>
    public IReadOnlyDictionary<string, string> DomainEnvironment(PlannedDomain domain) =>
        DomainEnvironment(HostCredential(domain), domain.Entrypoint, _layout.Domains.Select(d => d.Url), domain.Entrypoint ? _adminSecret : null,
            _layout.Agents.Where(a => a.Domain == domain.Name).Select(a => a.Url));

    /// <summary>The environment of an agent.</summary>
    public IReadOnlyDictionary<string, string> AgentEnvironment(PlannedAgent agent) => AgentEnvironment(AgentCredential(agent));

    /// <summary>
    /// The environment of a secured domain host with <paramref name="credential"/>: the entrypoint embeds the IAM (whose
    /// administrator secret only matters at the IAM's first start), the others trust its issuer; the domain's token goes
    /// to <paramref name="continuumUrls"/> only, and to its <paramref name="agentUrls"/> (whose self-APIs take tokens) from the LLO.
    /// </summary>
    public static IReadOnlyDictionary<string, string> DomainEnvironment(ContinuumCredential credential, bool entrypoint, IEnumerable<Uri> continuumUrls,
        string? initialAdminSecret, IEnumerable<Uri>? agentUrls = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(continuumUrls);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Security__Enabled"] = "true",
            ["Security__Client__ClientId"] = credential.ClientId,
            ["Security__Client__ClientSecret"] = credential.ClientSecret,
            ["Security__Client__TokenUrl"] = credential.TokenUrl,
        };
        var i = 0;
        foreach (var url in continuumUrls)
        {
            environment[string.Create(CultureInfo.InvariantCulture, $"Security__ContinuumUrls__{i++}")] = url.AbsoluteUri;
        }
        var j = 0;
        foreach (var url in agentUrls ?? [])
        {
            environment[string.Create(CultureInfo.InvariantCulture, $"Security__AgentUrls__{j++}")] = url.AbsoluteUri;
        }
        if (entrypoint)
        {
            environment["Security__EmbeddedIam"] = "true";
            if (initialAdminSecret is not null)
            {
                environment["Iam__InitialAdminClientSecret"] = initialAdminSecret;
            }
        }
        else
        {
            environment["Security__Issuer"] = credential.Issuer;
        }
        return environment;
    }

    /// <summary>The environment of an agent with <paramref name="credential"/>.</summary>
    public static IReadOnlyDictionary<string, string> AgentEnvironment(ContinuumCredential credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Agent__Auth__TokenUrl"] = credential.TokenUrl,
            ["Agent__Auth__ClientId"] = credential.ClientId,
            ["Agent__Auth__ClientSecret"] = credential.ClientSecret,
            // The self-API takes tokens of the continuum's IAM (ADR 0016).
            ["Agent__Security__Issuer"] = credential.Issuer,
        };
    }

    /// <summary>A token source of the IAM's initial administrator (for the readiness probes and the provisioning).</summary>
    public ClientCredentialsTokenSource AdminTokens() => new(new ClientCredentialsOptions
    {
        TokenUrl = TokenUrl,
        ClientId = IamOptions.DefaultInitialAdminClientId,
        ClientSecret = _adminSecret,
        RequestTimeout = TimeSpan.FromSeconds(5),
    });

    /// <summary>Creates every client in the IAM through domain1's gateway; null when done, else what failed.</summary>
    public async Task<string?> ProvisionAsync(HttpClient admin, CancellationToken cancellationToken)
    {
        var clients = new List<(string Id, string Secret, (string Role, string Domain)[] Roles)>
        {
            (CliClientId, _cliSecret, [(IamRoles.ContinuumAdministrator, IamClaims.AllDomains)]),
        };
        clients.AddRange(_layout.Domains.Select(d => (HostClientId(d.Name), _hostSecrets[d.Name],
            new[] { (IamRoles.Hlo, IamClaims.AllDomains), (IamRoles.ContextBroker, IamClaims.AllDomains) })));
        clients.AddRange(_layout.Agents.Select(a => (AgentClientId(a), _agentSecrets[a.IeId], new[] { (IamRoles.Agent, a.Domain) })));
        foreach (var (id, secret, roles) in clients)
        {
            using (var created = await admin.PostAsJsonAsync(new Uri(Issuer, "admin/v1/clients"), new { clientId = id, secret, displayName = "aeros up" }, cancellationToken))
            {
                if (created.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Conflict))
                {
                    return $"creating IAM client {id}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync(cancellationToken)}";
                }
            }
            foreach (var (role, domain) in roles)
            {
                using var assigned = await admin.PostAsJsonAsync(new Uri(Issuer, "admin/v1/assignments"), new { client = id, role, domain }, cancellationToken);
                if (assigned.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Conflict or HttpStatusCode.OK))
                {
                    return $"assigning {role} ({domain}) to {id}: {(int)assigned.StatusCode} {await assigned.Content.ReadAsStringAsync(cancellationToken)}";
                }
            }
        }
        return null;
    }

    /// <summary>An HTTP client whose requests carry <paramref name="tokens"/>' token.</summary>
    public static HttpClient Authorized(IAccessTokenSource tokens, TimeSpan timeout) =>
        new(new BearerTokenHandler(tokens, new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })) { Timeout = timeout };

    private static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_').TrimEnd('=');
}
