using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace Aeros.Iam.Keys;

/// <summary>
/// Gives OpenIddict the key directory's keys (the active signing key first: OpenIddict signs with the first one; every
/// published key in JWKS) and rebuilds its options after each rotation through the store's change token.
/// </summary>
internal sealed class ServerKeysSetup(SigningKeyStore store, IamIssuer issuer, IOptions<IamOptions> iam)
    : IConfigureOptions<OpenIddictServerOptions>, IOptionsChangeTokenSource<OpenIddictServerOptions>
{
    public string? Name => Options.DefaultName;

    public IChangeToken GetChangeToken() => store.GetChangeToken();

    public void Configure(OpenIddictServerOptions options)
    {
        var keys = store.Current;
        options.SigningCredentials.Clear();
        options.SigningCredentials.Add(new SigningCredentials(keys.Active.Key, SecurityAlgorithms.RsaSha256));
        foreach (var retired in keys.Published.Where(k => k.KeyId != keys.Active.KeyId))
        {
            options.SigningCredentials.Add(new SigningCredentials(retired.Key, SecurityAlgorithms.RsaSha256));
        }
        options.EncryptionCredentials.Clear();
        options.EncryptionCredentials.Add(new EncryptingCredentials(keys.EncryptionKey, SecurityAlgorithms.RsaOAEP, SecurityAlgorithms.Aes256CbcHmacSha512));
        options.Issuer = issuer.Value;
        var value = iam.Value;
        options.AccessTokenLifetime = value.AccessTokenLifetime;
        options.RefreshTokenLifetime = value.RefreshTokenLifetime;
        options.AuthorizationCodeLifetime = value.AuthorizationCodeLifetime;
        options.IdentityTokenLifetime = value.AccessTokenLifetime;
    }
}
