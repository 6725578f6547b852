using System.Security.Cryptography;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Aeros.Iam.Clients;

/// <summary>What a new client may do.</summary>
internal sealed record ClientSpec(string ClientId, string? Secret, bool Public, IReadOnlyList<string> Grants, IReadOnlyList<Uri> RedirectUris, string? DisplayName);

/// <summary>A client as the admin API shows it (never its secret).</summary>
internal sealed record ClientView(string ClientId, string? DisplayName, bool Public, IReadOnlyList<string> Grants, IReadOnlyList<string> RedirectUris);

/// <summary>Creates, lists and deletes OAuth clients (OpenIddict applications) with the permissions their grants need.</summary>
internal sealed class ClientRegistry(IOpenIddictApplicationManager applications, VerifiedSecretCache verified, ClientSnapshots snapshots)
{
    public const string ClientCredentials = GrantTypes.ClientCredentials;
    public const string AuthorizationCode = GrantTypes.AuthorizationCode;
    public const string RefreshToken = GrantTypes.RefreshToken;

    public static IReadOnlyList<string> KnownGrants { get; } = [ClientCredentials, AuthorizationCode, RefreshToken];

    /// <summary>Grants of a client created without any: a machine (confidential) or an interactive (public) client.</summary>
    public static IReadOnlyList<string> DefaultGrants(bool isPublic) => isPublic ? [AuthorizationCode, RefreshToken] : [ClientCredentials];

    /// <summary>Every problem of <paramref name="spec"/>, empty when it can be created.</summary>
    public static List<string> Validate(ClientSpec spec)
    {
        var errors = new List<string>();
        if (!AdminNames.IsValidName(spec.ClientId))
        {
            errors.Add($"clientId '{spec.ClientId}' is invalid: {AdminNames.NameRule}.");
        }
        foreach (var grant in spec.Grants.Where(g => !KnownGrants.Contains(g)))
        {
            errors.Add($"grant '{grant}' is unknown: use {string.Join(", ", KnownGrants)}.");
        }
        if (spec.Public && spec.Grants.Contains(ClientCredentials))
        {
            errors.Add("a public client cannot use client_credentials (it has no secret).");
        }
        if (spec.Public && spec.Secret is not null)
        {
            errors.Add("a public client has no secret.");
        }
        if (spec.Secret is { } secret && secret.Length < AdminNames.MinSecretLength)
        {
            errors.Add($"secret must have at least {AdminNames.MinSecretLength} characters.");
        }
        if (spec.Grants.Contains(AuthorizationCode) && spec.RedirectUris.Count == 0)
        {
            errors.Add("authorization_code needs at least one redirectUri.");
        }
        foreach (var uri in spec.RedirectUris.Where(u => !u.IsAbsoluteUri || !string.IsNullOrEmpty(u.Fragment)))
        {
            errors.Add($"redirectUri '{uri}' must be absolute and without fragment.");
        }
        return errors;
    }

    public async Task<bool> ExistsAsync(string clientId, CancellationToken cancellationToken) =>
        await applications.FindByClientIdAsync(clientId, cancellationToken) is not null;

    /// <summary>Creates the client; returns its secret (generated when the spec has none), null for a public client.</summary>
    public async Task<string?> CreateAsync(ClientSpec spec, CancellationToken cancellationToken)
    {
        var secret = spec.Public ? null : spec.Secret ?? NewSecret();
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = spec.ClientId,
            ClientSecret = secret,
            ClientType = spec.Public ? ClientTypes.Public : ClientTypes.Confidential,
            DisplayName = spec.DisplayName,
            ConsentType = ConsentTypes.Implicit,
        };
        descriptor.Permissions.UnionWith([Permissions.Endpoints.Token, Permissions.Endpoints.Revocation]);
        if (!spec.Public)
        {
            descriptor.Permissions.Add(Permissions.Endpoints.Introspection);
        }
        if (spec.Grants.Contains(ClientCredentials))
        {
            descriptor.Permissions.Add(Permissions.GrantTypes.ClientCredentials);
        }
        if (spec.Grants.Contains(AuthorizationCode))
        {
            descriptor.Permissions.UnionWith([
                Permissions.Endpoints.Authorization, Permissions.GrantTypes.AuthorizationCode, Permissions.ResponseTypes.Code,
                Permissions.Prefixes.Scope + Scopes.OpenId, Permissions.Scopes.Profile, Permissions.Scopes.Roles]);
            descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
        }
        if (spec.Grants.Contains(RefreshToken))
        {
            descriptor.Permissions.UnionWith([Permissions.GrantTypes.RefreshToken, Permissions.Prefixes.Scope + Scopes.OfflineAccess]);
        }
        foreach (var uri in spec.RedirectUris)
        {
            descriptor.RedirectUris.Add(uri);
        }
        await applications.CreateAsync(descriptor, cancellationToken);
        snapshots.Invalidate();
        return secret;
    }

    public async Task<IReadOnlyList<ClientView>> ListAsync(CancellationToken cancellationToken)
    {
        var list = new List<ClientView>();
        await foreach (var application in applications.ListAsync(count: null, offset: null, cancellationToken))
        {
            list.Add(await ViewAsync(application, cancellationToken));
        }
        return list.OrderBy(c => c.ClientId, StringComparer.Ordinal).ToList();
    }

    public async Task<ClientView?> GetAsync(string clientId, CancellationToken cancellationToken) =>
        await applications.FindByClientIdAsync(clientId, cancellationToken) is { } application ? await ViewAsync(application, cancellationToken) : null;

    public async Task<bool> DeleteAsync(string clientId, CancellationToken cancellationToken)
    {
        if (await applications.FindByClientIdAsync(clientId, cancellationToken) is not { } application)
        {
            return false;
        }
        await applications.DeleteAsync(application, cancellationToken);
        verified.Clear();
        snapshots.Invalidate();
        return true;
    }

    /// <summary>Gives a confidential client a new random secret (the old one stops working at once); null when it is unknown or public.</summary>
    public async Task<string?> ResetSecretAsync(string clientId, CancellationToken cancellationToken)
    {
        if (await applications.FindByClientIdAsync(clientId, cancellationToken) is not { } application
            || await applications.HasClientTypeAsync(application, ClientTypes.Public, cancellationToken))
        {
            return null;
        }
        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application, cancellationToken);
        var secret = NewSecret();
        descriptor.ClientSecret = secret;
        await applications.UpdateAsync(application, descriptor, cancellationToken);
        verified.Clear();
        snapshots.Invalidate();
        return secret;
    }

    /// <summary>A random 256-bit secret, base64url.</summary>
    public static string NewSecret() => Base64Url(RandomNumberGenerator.GetBytes(32));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private async Task<ClientView> ViewAsync(object application, CancellationToken cancellationToken)
    {
        var permissions = await applications.GetPermissionsAsync(application, cancellationToken);
        var grants = KnownGrants.Where(g => permissions.Contains(Permissions.Prefixes.GrantType + g)).ToList();
        var redirects = await applications.GetRedirectUrisAsync(application, cancellationToken);
        return new ClientView(
            (await applications.GetClientIdAsync(application, cancellationToken))!,
            await applications.GetDisplayNameAsync(application, cancellationToken),
            await applications.HasClientTypeAsync(application, ClientTypes.Public, cancellationToken),
            grants,
            redirects.ToList());
    }
}
