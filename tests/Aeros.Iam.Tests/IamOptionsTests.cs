using Aeros.Iam.Storage;
using Aeros.Iam.Tokens;
using Microsoft.Extensions.Options;

namespace Aeros.Iam.Tests;

public sealed class IamOptionsTests
{
    [Fact]
    public void Validate_EveryBadValue_ListsEveryError()
    {
        var options = new IamOptions
        {
            Issuer = new Uri("ftp://example.org/iam/"),
            Audience = "two words",
            Database = "oracle",
            AccessTokenLifetime = TimeSpan.FromSeconds(1),
            RefreshTokenLifetime = TimeSpan.FromDays(365),
            AuthorizationCodeLifetime = TimeSpan.Zero,
            InitialAdminClientId = "-",
            InitialAdminUserName = "",
            InitialAdminClientSecret = "short",
        };
        var result = new IamOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Equal(9, result.Failures!.Count());
    }

    [Fact]
    public void Validate_PostgreSqlWithoutConnectionString_Fails()
    {
        var result = new IamOptionsValidator().Validate(null, new IamOptions { Database = IamOptions.PostgreSql });
        Assert.Equal(["Iam ConnectionString is required with Database 'postgresql'."], result.Failures!);
        Assert.Equal(ValidateOptionsResult.Success, new IamOptionsValidator().Validate(null, new IamOptions()));
    }

    [Fact]
    public void Flatten_DomainAndAllAssignments_RolesInContractOrderAndStarWins()
    {
        static RoleAssignment A(string role, string domain) => new() { SubjectKind = "user", Subject = "u", Role = role, Domain = domain };
        var (roles, domains) = IamPrincipals.Flatten([A("ServiceDeployer", "d2"), A("DomainAdministrator", "d1"), A("ServiceDeployer", "d1")]);
        Assert.Equal(["DomainAdministrator", "ServiceDeployer"], roles);
        Assert.Equal(["d1", "d2"], domains);
        var (_, all) = IamPrincipals.Flatten([A("Hlo", "d1"), A("Agent", "*")]);
        Assert.Equal(["*"], all);
        var (none, noDomains) = IamPrincipals.Flatten([]);
        Assert.Empty(none);
        Assert.Empty(noDomains);
    }
}
