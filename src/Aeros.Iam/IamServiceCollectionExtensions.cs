using Aeros.Iam.Admin;
using Aeros.Iam.Clients;
using Aeros.Iam.Keys;
using Aeros.Iam.Storage;
using Aeros.Iam.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenIddict.EntityFrameworkCore.Models;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Aeros.Iam;

/// <summary>Registers the embedded identity provider (docs/security.md).</summary>
public static class IamServiceCollectionExtensions
{
    /// <summary>
    /// Adds the IAM: OpenIddict (server and EF Core stores) on SQLite or PostgreSQL, the key store, the admin API's
    /// services and the start-up work (schema, keys, initial administrator), with validated <see cref="IamOptions"/>.
    /// No authentication middleware is needed in the host: OpenIddict serves its endpoints itself and the admin API
    /// validates its bearer tokens against the IAM's own keys.
    /// </summary>
    public static IServiceCollection AddAerosIam(this IServiceCollection services, Action<IamOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<IamOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IamOptions>, IamOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddPooledDbContextFactory<IamDbContext>((sp, db) =>
        {
            var iam = sp.GetRequiredService<IOptions<IamOptions>>().Value;
            if (iam.Database == IamOptions.PostgreSql)
            {
                db.UseNpgsql(iam.ConnectionString);
            }
            else
            {
                db.UseSqlite(iam.ConnectionString ?? $"Data Source={Path.Combine(iam.DataDirectory, "iam.db")};Pooling=True;Default Timeout=30");
            }
            db.UseOpenIddict();
        });
        services.TryAddScoped(sp => sp.GetRequiredService<IDbContextFactory<IamDbContext>>().CreateDbContext());
        services.TryAddSingleton<SigningKeyStore>();
        services.TryAddSingleton<IamIssuer>();
        services.TryAddSingleton<VerifiedSecretCache>();
        services.TryAddSingleton<IamPrincipals>();
        services.TryAddSingleton<ClientSnapshots>();
        services.TryAddSingleton<AccessTokenWriter>();
        services.TryAddSingleton<FastPathState>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, ClientCredentialsFastPathStartup>());
        services.TryAddSingleton<UserPasswords>();
        services.TryAddSingleton<AdminTokenValidator>();
        services.TryAddSingleton<IInitialCredentialsConsole, StandardOutputConsole>();
        services.TryAddScoped<ClientRegistry>();
        services.AddSingleton<ServerKeysSetup>();
        services.AddSingleton<IConfigureOptions<OpenIddictServerOptions>>(sp => sp.GetRequiredService<ServerKeysSetup>());
        services.AddSingleton<IOptionsChangeTokenSource<OpenIddictServerOptions>>(sp => sp.GetRequiredService<ServerKeysSetup>());
        services.AddOpenIddict()
            .AddCore(core =>
            {
                core.UseEntityFrameworkCore().UseDbContext<IamDbContext>();
                core.ReplaceApplicationManager<OpenIddictEntityFrameworkCoreApplication, IamApplicationManager>();
            })
            .AddServer(server =>
            {
                server.SetTokenEndpointUris(Relative(ConnectEndpoints.TokenPath))
                    .SetAuthorizationEndpointUris(Relative(ConnectEndpoints.AuthorizePath))
                    .SetIntrospectionEndpointUris(Relative(ConnectEndpoints.IntrospectionPath))
                    .SetRevocationEndpointUris(Relative(ConnectEndpoints.RevocationPath))
                    .SetConfigurationEndpointUris(Relative(ConnectEndpoints.DiscoveryPath))
                    .SetJsonWebKeySetEndpointUris(Relative(ConnectEndpoints.JwksPath));
                server.AllowClientCredentialsFlow().AllowAuthorizationCodeFlow().AllowRefreshTokenFlow();
                server.RequireProofKeyForCodeExchange();
                // S256 only: "plain" would hand the verifier to whoever sees the authorization request.
                server.Configure(o =>
                {
                    o.CodeChallengeMethods.Clear();
                    o.CodeChallengeMethods.Add(CodeChallengeMethods.Sha256);
                });
                // Access tokens are plain signed JWTs so any validator (the gateway, Keycloak-style libraries) reads them.
                server.DisableAccessTokenEncryption();
                server.RegisterScopes(Scopes.OpenId, Scopes.OfflineAccess, Scopes.Profile, Scopes.Roles);
                server.RegisterClaims(Claims.Subject, Claims.Name, IamClaims.ClientId, IamClaims.Roles, IamClaims.Domains);
                server.AddEventHandler(SkipClientCredentialTokenEntry.Descriptor);
                server.UseAspNetCore()
                    .EnableTokenEndpointPassthrough()
                    .EnableAuthorizationEndpointPassthrough();
            });
        services.AddOptions<OpenIddictServerAspNetCoreOptions>().Configure<IOptions<IamOptions>>((aspNet, iam) =>
            aspNet.DisableTransportSecurityRequirement = iam.Value.AllowHttp);
        services.AddOptions<OpenIddictServerOptions>().PostConfigure<IOptions<IamOptions>>((server, iam) =>
        {
            if (iam.Value.StoreClientCredentialTokens)
            {
                server.Handlers.RemoveAll(h => h.ServiceDescriptor.ServiceType == typeof(SkipClientCredentialTokenEntry));
            }
        });
        services.AddHostedService<IamDatabaseInitializer>();
        return services;
    }

    /// <summary>
    /// Maps the IAM's endpoints: <c>/iam/connect/token</c>, <c>/iam/connect/authorize</c> (with the login form),
    /// <c>/iam/connect/introspect</c>, <c>/iam/connect/revoke</c>, <c>/iam/.well-known/openid-configuration</c>,
    /// <c>/iam/.well-known/jwks</c> and the admin API under <c>/iam/admin/v1</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapAerosIam(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.ServiceProvider.GetRequiredService<FastPathState>().Mapped = true;
        ConnectEndpoints.Map(endpoints);
        AdminApi.Map(endpoints);
        return endpoints;
    }

    private static string Relative(string path) => path.TrimStart('/');
}
