using System.Security.Claims;
using Aeros.Iam.Storage;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Aeros.Iam.Tokens;

/// <summary>
/// The pass-through parts of the OpenID Connect endpoints: OpenIddict validates each request (client, secret, grant,
/// PKCE, redirect URI, scopes) before these run; they only decide who the token is for and what it carries.
/// </summary>
internal static partial class ConnectEndpoints
{
    public const string TokenPath = "/iam/connect/token";
    public const string AuthorizePath = "/iam/connect/authorize";
    public const string IntrospectionPath = "/iam/connect/introspect";
    public const string RevocationPath = "/iam/connect/revoke";
    public const string DiscoveryPath = "/iam/.well-known/openid-configuration";
    public const string JwksPath = "/iam/.well-known/jwks";

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(TokenPath, (Delegate)TokenAsync);
        endpoints.MapMethods(AuthorizePath, [HttpMethods.Get, HttpMethods.Post], (Delegate)AuthorizeAsync);
    }

    private static async Task<IResult> TokenAsync(HttpContext http)
    {
        var request = http.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict request is missing: the token endpoint runs only behind OpenIddict.");
        var principals = http.RequestServices.GetRequiredService<IamPrincipals>();
        if (request.IsClientCredentialsGrantType())
        {
            // The client authenticated with its secret (checked by OpenIddict): the token is about the client itself.
            var principal = await principals.CreateAsync(RoleAssignment.ClientKind, request.ClientId!, request.ClientId!, request.GetScopes(), http.RequestAborted);
            return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }
        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            // The code or refresh token was validated by OpenIddict; its subject is re-read so current roles apply.
            var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var subject = result.Principal?.GetClaim(Claims.Subject);
            var kind = result.Principal?.GetClaim(SubjectKindClaim) ?? RoleAssignment.UserKind;
            if (subject is null || !await SubjectExistsAsync(http, kind, subject))
            {
                return Forbid(OpenIddictConstants.Errors.InvalidGrant, "The user of this grant no longer exists.");
            }
            var principal = await principals.CreateAsync(kind, subject, request.ClientId!, result.Principal!.GetScopes(), http.RequestAborted);
            MarkKind(principal, kind);
            return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }
        return Forbid(OpenIddictConstants.Errors.UnsupportedGrantType, "The grant type is not supported.");
    }

    private static async Task<IResult> AuthorizeAsync(HttpContext http)
    {
        var request = http.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("The OpenIddict request is missing: the authorize endpoint runs only behind OpenIddict.");
        if (HttpMethods.IsPost(http.Request.Method) && http.Request.HasFormContentType && http.Request.Form.ContainsKey(LoginPage.CancelField))
        {
            // The user declined: OpenIddict sends error=access_denied (with the state) to the client's redirect URI.
            return Forbid(OpenIddictConstants.Errors.AccessDenied, "The user declined to sign in.");
        }
        if (!HttpMethods.IsPost(http.Request.Method) || !http.Request.HasFormContentType || !http.Request.Form.ContainsKey(LoginPage.UserField))
        {
            return LoginPage.Render(http, request, error: null);
        }
        var form = http.Request.Form;
        var name = form[LoginPage.UserField].ToString();
        var password = form[LoginPage.PasswordField].ToString();
        if (!await CheckPasswordAsync(http, name, password))
        {
            return LoginPage.Render(http, request, error: "Unknown user or wrong password.", statusCode: StatusCodes.Status401Unauthorized);
        }
        var principals = http.RequestServices.GetRequiredService<IamPrincipals>();
        var principal = await principals.CreateAsync(RoleAssignment.UserKind, name, request.ClientId!, request.GetScopes(), http.RequestAborted);
        MarkKind(principal, RoleAssignment.UserKind);
        return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>Private claim (kept in codes and refresh tokens only) telling a user from a client subject.</summary>
    private const string SubjectKindClaim = "aeros_kind";

    private static void MarkKind(ClaimsPrincipal principal, string kind)
    {
        var identity = (ClaimsIdentity)principal.Identity!;
        identity.SetClaim(SubjectKindClaim, kind);
        // No destination: OpenIddict keeps it in authorization codes and refresh tokens, never in access or identity tokens.
        identity.FindFirst(SubjectKindClaim)!.SetDestinations([]);
    }

    internal static async Task<bool> CheckPasswordAsync(HttpContext http, string name, string password)
    {
        var users = http.RequestServices.GetRequiredService<UserPasswords>();
        return await users.CheckAsync(name, password, http.RequestAborted);
    }

    private static async Task<bool> SubjectExistsAsync(HttpContext http, string kind, string subject)
    {
        var factory = http.RequestServices.GetRequiredService<IDbContextFactory<IamDbContext>>();
        await using var db = await factory.CreateDbContextAsync(http.RequestAborted);
        return kind == RoleAssignment.UserKind
            ? await db.Users.AnyAsync(u => u.Name == subject, http.RequestAborted)
            : true;
    }

    private static IResult Forbid(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}

/// <summary>Checks and sets user passwords (ASP.NET Core Identity's PBKDF2 hasher: HMAC-SHA512, 100,000 iterations).</summary>
internal sealed class UserPasswords(IDbContextFactory<IamDbContext> databases)
{
    private static readonly PasswordHasher<IamUser> Hasher = new();

    // Verified against when the user does not exist, so a wrong name costs as long as a wrong password.
    private static readonly string DummyHash = Hasher.HashPassword(new IamUser { Name = "-", PasswordHash = "" }, Guid.NewGuid().ToString());

    public static string Hash(IamUser user, string password) => Hasher.HashPassword(user, password);

    public async Task<bool> CheckAsync(string name, string password, CancellationToken cancellationToken)
    {
        if (!AdminNames.IsValidName(name) || string.IsNullOrEmpty(password))
        {
            return false;
        }
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == name, cancellationToken);
        var hash = user?.PasswordHash ?? DummyHash;
        var result = Hasher.VerifyHashedPassword(user ?? new IamUser { Name = name, PasswordHash = hash }, hash, password);
        return user is not null && result != PasswordVerificationResult.Failed;
    }
}
