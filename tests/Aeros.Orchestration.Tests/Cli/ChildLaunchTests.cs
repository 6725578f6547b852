using Aeros.Cli.LocalContinuum;

namespace Aeros.Orchestration.Tests.Cli;

/// <summary>How <c>aeros up</c> (re)starts its children: arguments, and the credentials in the environment only.</summary>
public sealed class ChildLaunchTests
{
    private static readonly ContinuumCredential Cli = new("http://127.0.0.1:9090/iam/", "http://127.0.0.1:9090/iam/connect/token", "aeros-cli", "cli-secret");

    private static ContinuumState State(bool security) => new(ContinuumState.CurrentVersion, 100, 1, DateTimeOffset.UnixEpoch, "/data",
        [
            new ContinuumDomainState("domain1", "http://127.0.0.1:9090/", "http://127.0.0.1:9090/ngsi-ld/v1/", "http://127.0.0.1:9090/federation/v1/", true, 101, 2,
                "/data/domain1", "/data/logs/domain1.log", security ? Cli with { ClientId = "domain1-host", ClientSecret = "d1-secret" } : null),
            new ContinuumDomainState("domain2", "http://127.0.0.1:9091/", "http://127.0.0.1:9091/ngsi-ld/v1/", "http://127.0.0.1:9091/federation/v1/", false, 102, 3,
                "/data/domain2", "/data/logs/domain2.log", security ? Cli with { ClientId = "domain2-host", ClientSecret = "d2-secret" } : null),
        ],
        [
            new ContinuumAgentState("urn:ngsi-ld:InfrastructureElement:domain2:ie1", "domain2", "http://127.0.0.1:9190/", 103, 4, "/data/agents/domain2-ie1",
                "/data/logs/domain2-ie1.log", security ? Cli with { ClientId = "domain2-ie1", ClientSecret = "ie-secret" } : null),
        ], security ? Cli : null);

    [Fact]
    public void DomainOf_SecuredEntrypoint_SameArgumentsAndItsCredentialInTheEnvironment()
    {
        var launch = ChildLaunch.DomainOf(State(security: true), "domain1");

        Assert.Equal(["domain", "--name", "domain1", "--urls", "http://127.0.0.1:9090", "--data", "/data/domain1", "--entrypoint"], launch.Arguments);
        var environment = launch.Environment!;
        Assert.Equal("true", environment["Security__Enabled"]);
        Assert.Equal("true", environment["Security__EmbeddedIam"]);
        Assert.Equal("domain1-host", environment["Security__Client__ClientId"]);
        Assert.Equal("d1-secret", environment["Security__Client__ClientSecret"]);
        Assert.Equal("http://127.0.0.1:9090/iam/connect/token", environment["Security__Client__TokenUrl"]);
        Assert.Equal("http://127.0.0.1:9090/", environment["Security__ContinuumUrls__0"]);
        Assert.Equal("http://127.0.0.1:9091/", environment["Security__ContinuumUrls__1"]);
        // The LLO's token goes to the domain's own agents only: domain1 has none here.
        Assert.DoesNotContain(environment.Keys, k => k.StartsWith("Security__AgentUrls__", StringComparison.Ordinal));
        // The IAM's database outlives the restart: no new administrator secret.
        Assert.False(environment.ContainsKey("Iam__InitialAdminClientSecret"));
        Assert.DoesNotContain(launch.Arguments, a => a.Contains("secret", StringComparison.Ordinal));
    }

    [Fact]
    public void DomainOf_SecuredSecondDomain_PeerAndIssuer()
    {
        var launch = ChildLaunch.DomainOf(State(security: true), "domain2");

        Assert.Equal(["domain", "--name", "domain2", "--urls", "http://127.0.0.1:9091", "--data", "/data/domain2", "--peer", "http://127.0.0.1:9090"], launch.Arguments);
        Assert.Equal("http://127.0.0.1:9090/iam/", launch.Environment!["Security__Issuer"]);
        Assert.False(launch.Environment.ContainsKey("Security__EmbeddedIam"));
        Assert.Equal("http://127.0.0.1:9190/", launch.Environment["Security__AgentUrls__0"]);
        Assert.False(launch.Environment.ContainsKey("Security__AgentUrls__1"));
    }

    [Fact]
    public void AgentOf_Secured_ItsCredentialInTheEnvironment()
    {
        var launch = ChildLaunch.AgentOf(State(security: true), "urn:ngsi-ld:InfrastructureElement:domain2:ie1");

        Assert.Equal(["agent", "--broker", "http://127.0.0.1:9091", "--domain", "domain2", "--ie-id", "urn:ngsi-ld:InfrastructureElement:domain2:ie1",
            "--urls", "http://127.0.0.1:9190", "--state-dir", "/data/agents/domain2-ie1"], launch.Arguments);
        Assert.Equal(new Dictionary<string, string>
        {
            ["Agent__Auth__TokenUrl"] = "http://127.0.0.1:9090/iam/connect/token",
            ["Agent__Auth__ClientId"] = "domain2-ie1",
            ["Agent__Auth__ClientSecret"] = "ie-secret",
            ["Agent__Security__Issuer"] = "http://127.0.0.1:9090/iam/",
        }, launch.Environment!.ToDictionary());
    }

    [Fact]
    public void DomainOfAndAgentOf_SecurityOff_NoEnvironment()
    {
        var state = State(security: false);

        Assert.Null(ChildLaunch.DomainOf(state, "domain2").Environment);
        Assert.Null(ChildLaunch.AgentOf(state, "urn:ngsi-ld:InfrastructureElement:domain2:ie1").Environment);
    }

    [Fact]
    public void SecurityLines_Secured_CurlAndLoginWithoutTheSecret()
    {
        var lines = string.Join('\n', LocalContinuumHost.SecurityLines(State(security: true)));

        Assert.Contains("curl -s -d grant_type=client_credentials -d client_id=aeros-cli --data-urlencode \"client_secret=$(jq -r .security.clientSecret /data/continuum.json)\" http://127.0.0.1:9090/iam/connect/token", lines, StringComparison.Ordinal);
        Assert.Contains("AEROS_CLIENT_SECRET=\"$(jq -r .security.clientSecret /data/continuum.json)\" aeros login --url http://127.0.0.1:9090 --client-id aeros-cli --data /data", lines, StringComparison.Ordinal);
        Assert.DoesNotContain("cli-secret", lines, StringComparison.Ordinal);
    }

    [Fact]
    public void SecurityLines_Off_SaysSo()
    {
        Assert.Equal(["Security off (--no-security): every API answers anyone on this machine without a token."], LocalContinuumHost.SecurityLines(State(security: false)));
    }

    [Fact]
    public void LocalContinuumOptions_Default_SecurityOn()
    {
        Assert.True(new LocalContinuumOptions().Security);
    }
}
