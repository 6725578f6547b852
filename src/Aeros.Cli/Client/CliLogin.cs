using Aeros.Cli.LocalContinuum;

namespace Aeros.Cli.Client;

/// <summary>
/// What the client commands authenticate with: a client credential (the state file's or <c>aeros login
/// --client-id</c>'s) or a user's refresh token (<c>aeros login --user</c>). Stored as <c>login.json</c> (mode 0600);
/// a user login never stores a password, only the refresh token, which is replaced whenever the IAM rotates it.
/// </summary>
/// <param name="Issuer">The IAM's issuer, e.g. <c>http://127.0.0.1:9090/iam/</c>.</param>
/// <param name="TokenUrl">Its token endpoint.</param>
/// <param name="ClientId">The client id (for a user login: the public CLI client, <c>aeros-login</c> by default).</param>
/// <param name="ClientSecret">The client secret of a client login; null for a user login.</param>
/// <param name="RefreshToken">The user's current refresh token; null for a client login.</param>
/// <param name="User">The signed-in user's name (the access token's <c>sub</c>), shown to people; null for a client login.</param>
internal sealed record CliLogin(string Issuer, string TokenUrl, string ClientId, string? ClientSecret = null, string? RefreshToken = null, string? User = null)
{
    /// <summary>Whether this is a user's login (refresh token) rather than a client credential.</summary>
    public bool IsUser => RefreshToken is not null;

    /// <summary>The client credential of the local continuum's state file as a login.</summary>
    public static CliLogin? From(ContinuumCredential? credential) =>
        credential is null ? null : new CliLogin(credential.Issuer, credential.TokenUrl, credential.ClientId, credential.ClientSecret);

    /// <summary>Whether the stored fields make a usable login (one of secret or refresh token, not both).</summary>
    public bool IsComplete => TokenUrl is { Length: > 0 } && ClientId is { Length: > 0 }
        && (ClientSecret is { Length: > 0 } ^ RefreshToken is { Length: > 0 });
}
