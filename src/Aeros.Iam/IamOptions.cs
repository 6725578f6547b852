using Microsoft.Extensions.Options;

namespace Aeros.Iam;

/// <summary>
/// Options of the embedded identity provider (configuration section <c>Iam</c>, e.g. <c>Iam__AccessTokenLifetime=00:05:00</c>):
/// issuer, audience, database, signing-key directory, token lifetimes and the initial administrator (docs/security.md).
/// </summary>
public sealed class IamOptions
{
    /// <summary>Default of <see cref="Audience"/>: the audience the gateway expects.</summary>
    public const string DefaultAudience = "aeros";

    /// <summary>Default of <see cref="Database"/>.</summary>
    public const string Sqlite = "sqlite";

    /// <summary>The PostgreSQL value of <see cref="Database"/>.</summary>
    public const string PostgreSql = "postgresql";

    /// <summary>Default of <see cref="AccessTokenLifetime"/>: 10 minutes (short: client-credential access tokens are not stored, see <see cref="StoreClientCredentialTokens"/>).</summary>
    public static readonly TimeSpan DefaultAccessTokenLifetime = TimeSpan.FromMinutes(10);

    /// <summary>Default of <see cref="RefreshTokenLifetime"/>: 8 hours.</summary>
    public static readonly TimeSpan DefaultRefreshTokenLifetime = TimeSpan.FromHours(8);

    /// <summary>Default of <see cref="AuthorizationCodeLifetime"/>: 2 minutes.</summary>
    public static readonly TimeSpan DefaultAuthorizationCodeLifetime = TimeSpan.FromMinutes(2);

    /// <summary>Default of <see cref="InitialAdminClientId"/>.</summary>
    public const string DefaultInitialAdminClientId = "aeros-admin";

    /// <summary>Default of <see cref="CliClientId"/>: the public client <c>aeros login --user</c> signs in with.</summary>
    public const string DefaultCliClientId = "aeros-login";

    /// <summary>The redirect URIs of the CLI client: loopback IP literals, any port at request time (RFC 8252 §7.3).</summary>
    public static readonly IReadOnlyList<Uri> CliRedirectUris = [new("http://127.0.0.1/callback"), new("http://[::1]/callback")];

    /// <summary>Default of <see cref="InitialAdminUserName"/>.</summary>
    public const string DefaultInitialAdminUserName = "admin";

    /// <summary>
    /// The issuer (<c>iss</c>) and base of the discovery document, e.g. <c>http://127.0.0.1:9300/iam/</c>. Null: the
    /// first address this host listens at followed by <c>/iam/</c> (set it when clients reach the IAM through a gateway).
    /// </summary>
    public Uri? Issuer { get; set; }

    /// <summary>The audience (<c>aud</c>) of every access token.</summary>
    public string Audience { get; set; } = DefaultAudience;

    /// <summary>The database engine: <c>sqlite</c> (a file in <see cref="DataDirectory"/>; the default) or <c>postgresql</c>.</summary>
    public string Database { get; set; } = Sqlite;

    /// <summary>The connection string; required for PostgreSQL. Null with SQLite: <c>iam.db</c> in <see cref="DataDirectory"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Directory of the SQLite database and (by default) the keys; created if missing.</summary>
    public string DataDirectory { get; set; } = Path.Combine(".aeros", "iam");

    /// <summary>Directory of the signing and encryption keys (private keys, file mode 600). Null: <c>keys</c> in <see cref="DataDirectory"/>.</summary>
    public string? KeyDirectory { get; set; }

    /// <summary>How long an access token is valid.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = DefaultAccessTokenLifetime;

    /// <summary>How long a refresh token is valid (each use issues a new one).</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = DefaultRefreshTokenLifetime;

    /// <summary>How long an authorization code is valid.</summary>
    public TimeSpan AuthorizationCodeLifetime { get; set; } = DefaultAuthorizationCodeLifetime;

    /// <summary>
    /// Store a token entry for each client-credential access token (needed to revoke one before it expires). Off by
    /// default: each entry is a database write on the hottest path; such tokens are short-lived instead.
    /// </summary>
    public bool StoreClientCredentialTokens { get; set; }

    /// <summary>
    /// Answer plain client-credential token requests (client_secret_post or client_secret_basic, no other parameter, a
    /// secret already verified in this process) before OpenIddict, with the same token OpenIddict would issue; every
    /// other request, and every failure, is left to OpenIddict. Default true; off when
    /// <see cref="StoreClientCredentialTokens"/> is on (ADR 0010, "Fast path").
    /// </summary>
    public bool ClientCredentialsFastPath { get; set; } = true;

    /// <summary>Accept plain HTTP (a gateway in front terminates TLS, or loopback). Default true.</summary>
    public bool AllowHttp { get; set; } = true;

    /// <summary>Client id of the initial administrator client created on first start.</summary>
    public string InitialAdminClientId { get; set; } = DefaultInitialAdminClientId;

    /// <summary>User name of the initial administrator user created on first start.</summary>
    public string InitialAdminUserName { get; set; } = DefaultInitialAdminUserName;

    /// <summary>
    /// The public client (no secret) created on first start for people signing in from the command line
    /// (<c>aeros login --user</c>): authorization code with PKCE and refresh tokens, redirect URIs
    /// <c>http://127.0.0.1/callback</c> and <c>http://[::1]/callback</c> on any port, nothing else. Empty: none is created.
    /// </summary>
    public string? CliClientId { get; set; } = DefaultCliClientId;

    /// <summary>
    /// The initial administrator client's secret (e.g. generated by <c>aeros up</c> and passed in the environment).
    /// Null: a random secret, printed once on first start. It only matters on first start.
    /// </summary>
    public string? InitialAdminClientSecret { get; set; }

    /// <summary>The key directory in effect.</summary>
    internal string EffectiveKeyDirectory => KeyDirectory ?? Path.Combine(DataDirectory, "keys");

    /// <summary>How long a retired signing key stays published: the longest lifetime of a token it signed.</summary>
    internal TimeSpan RetiredKeyRetention =>
        new[] { AccessTokenLifetime, RefreshTokenLifetime, AuthorizationCodeLifetime, TimeSpan.FromMinutes(20) }.Max() + TimeSpan.FromMinutes(5);
}

/// <summary>Validates <see cref="IamOptions"/>, listing every error at once.</summary>
internal sealed class IamOptionsValidator : IValidateOptions<IamOptions>
{
    public ValidateOptionsResult Validate(string? name, IamOptions options)
    {
        var errors = new List<string>();
        if (options.Issuer is { } issuer && (!issuer.IsAbsoluteUri || issuer.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(issuer.Query) || !string.IsNullOrEmpty(issuer.Fragment)))
        {
            errors.Add($"Iam Issuer '{issuer}' must be an absolute http or https URL without query or fragment.");
        }
        if (string.IsNullOrWhiteSpace(options.Audience) || options.Audience.Any(char.IsWhiteSpace))
        {
            errors.Add("Iam Audience must be a non-empty name without spaces.");
        }
        if (options.Database is not (IamOptions.Sqlite or IamOptions.PostgreSql))
        {
            errors.Add($"Iam Database '{options.Database}' is unknown: use 'sqlite' or 'postgresql'.");
        }
        if (options.Database == IamOptions.PostgreSql && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            errors.Add("Iam ConnectionString is required with Database 'postgresql'.");
        }
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            errors.Add("Iam DataDirectory must be set.");
        }
        Range(errors, "AccessTokenLifetime", options.AccessTokenLifetime, TimeSpan.FromSeconds(10), TimeSpan.FromDays(1));
        Range(errors, "RefreshTokenLifetime", options.RefreshTokenLifetime, TimeSpan.FromMinutes(1), TimeSpan.FromDays(90));
        Range(errors, "AuthorizationCodeLifetime", options.AuthorizationCodeLifetime, TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(30));
        if (!AdminNames.IsValidName(options.InitialAdminClientId))
        {
            errors.Add($"Iam InitialAdminClientId '{options.InitialAdminClientId}' is invalid: {AdminNames.NameRule}.");
        }
        if (!AdminNames.IsValidName(options.InitialAdminUserName))
        {
            errors.Add($"Iam InitialAdminUserName '{options.InitialAdminUserName}' is invalid: {AdminNames.NameRule}.");
        }
        if (!string.IsNullOrEmpty(options.CliClientId) && (!AdminNames.IsValidName(options.CliClientId) || options.CliClientId == options.InitialAdminClientId))
        {
            errors.Add($"Iam CliClientId '{options.CliClientId}' is invalid: {AdminNames.NameRule}, and not the administrator client's id.");
        }
        if (options.InitialAdminClientSecret is { } secret && secret.Length < AdminNames.MinSecretLength)
        {
            errors.Add($"Iam InitialAdminClientSecret must have at least {AdminNames.MinSecretLength} characters.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range(List<string> errors, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"Iam {name} must be between {min} and {max} (was {value}).");
        }
    }
}
