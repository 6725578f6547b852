using Aeros.Iam.Clients;
using Aeros.Iam.Keys;
using Aeros.Iam.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Iam.Storage;

/// <summary>Where the initial administrator credential is shown: the console, once, never through a logger.</summary>
internal interface IInitialCredentialsConsole
{
    void Write(string text);
}

/// <summary>Writes to standard output.</summary>
internal sealed class StandardOutputConsole : IInitialCredentialsConsole
{
    public void Write(string text)
    {
        Console.Out.Write(text);
        Console.Out.Flush();
    }
}

/// <summary>
/// At start: creates the schema when the database is new (SQLite in WAL mode), loads (or creates) the keys, and on the
/// very first start — no client and no user yet — creates the initial administrator (client and user, role
/// ContinuumAdministrator for every domain) and writes its credential once to the console.
/// </summary>
internal sealed partial class IamDatabaseInitializer(
    IServiceProvider services,
    IOptions<IamOptions> options,
    SigningKeyStore keys,
    IInitialCredentialsConsole console,
    TimeProvider time,
    ILogger<IamDatabaseInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var value = options.Value;
        if (value.Database == IamOptions.Sqlite && value.ConnectionString is null)
        {
            Directory.CreateDirectory(value.DataDirectory);
        }
        _ = keys.Current;
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<IamDbContext>();
        await db.Database.EnsureCreatedAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            // WAL: readers (token requests) do not wait for the admin API's writes.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
        var clients = scope.ServiceProvider.GetRequiredService<ClientRegistry>();
        var applications = scope.ServiceProvider.GetRequiredService<OpenIddict.Abstractions.IOpenIddictApplicationManager>();
        if (await applications.CountAsync(cancellationToken) > 0 || await db.Users.AnyAsync(cancellationToken))
        {
            return;
        }
        var secret = await clients.CreateAsync(
            new ClientSpec(value.InitialAdminClientId, value.InitialAdminClientSecret, false, [ClientRegistry.ClientCredentials], [], "Initial administrator"),
            cancellationToken);
        if (!string.IsNullOrEmpty(value.CliClientId))
        {
            // The CLI's sign-in client: public (a secret in a CLI on every laptop would not be one), loopback redirects only.
            await clients.CreateAsync(
                new ClientSpec(value.CliClientId, null, true, ClientRegistry.DefaultGrants(isPublic: true), IamOptions.CliRedirectUris, "aeros login"),
                cancellationToken);
        }
        var password = ClientRegistry.NewSecret()[..20];
        var user = new IamUser { Name = value.InitialAdminUserName, PasswordHash = "", CreatedAt = time.GetUtcNow() };
        user.PasswordHash = UserPasswords.Hash(user, password);
        db.Users.Add(user);
        db.RoleAssignments.Add(new RoleAssignment { SubjectKind = RoleAssignment.ClientKind, Subject = value.InitialAdminClientId, Role = IamRoles.ContinuumAdministrator, Domain = IamClaims.AllDomains });
        db.RoleAssignments.Add(new RoleAssignment { SubjectKind = RoleAssignment.UserKind, Subject = value.InitialAdminUserName, Role = IamRoles.ContinuumAdministrator, Domain = IamClaims.AllDomains });
        await db.SaveChangesAsync(cancellationToken);
        LogInitialAdministratorCreated(logger, value.InitialAdminClientId, value.InitialAdminUserName);
        var shownSecret = value.InitialAdminClientSecret is null ? secret : "(the configured Iam:InitialAdminClientSecret)";
        console.Write(
            "==== Aeros IAM: initial administrator (shown only this once: store it now) ====" + Environment.NewLine +
            $"client id:     {value.InitialAdminClientId}" + Environment.NewLine +
            $"client secret: {shownSecret}" + Environment.NewLine +
            $"user:          {value.InitialAdminUserName}" + Environment.NewLine +
            $"password:      {password}" + Environment.NewLine +
            "================================================================================" + Environment.NewLine);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // The names only: the secret and password never reach a logger.
    [LoggerMessage(EventId = 6010, Level = LogLevel.Warning, Message = "IAM first start: initial administrator client {ClientId} and user {UserName} created; the credential was shown once on the console")]
    private static partial void LogInitialAdministratorCreated(ILogger logger, string clientId, string userName);
}
