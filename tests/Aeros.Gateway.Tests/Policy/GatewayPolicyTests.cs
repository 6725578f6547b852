using Aeros.Security.Policy;

namespace Aeros.Gateway.Tests.Policy;

public sealed class GatewayPolicyTests
{
    [Fact]
    public void Parse_FileWithSeveralMistakes_ListsEveryError()
    {
        const string yaml = """
            roles:
              Wizard:
                - apis: [broker]
                  actions: [read]
              ServiceDeveloper:
                - apis: [brokr]
                  actions: [peek]
                  domains: everywhere
              Agent:
                - actions: [read]
            cache:
              nowhere: 2s
              broker: soon
            extra: 1
            """;

        var e = Assert.Throws<AccessPolicyException>(() => AccessPolicy.Parse(yaml, "test.yaml"));

        foreach (var expected in new[] { "unknown role 'Wizard'", "unknown API 'brokr'", "unknown action 'peek'", "'domains'", "lists no 'apis'", "unknown API 'nowhere'", "cache duration of 'broker'", "unknown key 'extra'" })
        {
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Check_HttpMethodNamesAndActions_BothWork()
    {
        var policy = AccessPolicy.Parse("""
            roles:
              Agent:
                - apis: [broker]
                  actions: [PATCH]
                - apis: [llo]
                  actions: [read]
            cache:
              broker: 500ms
            """, "t");

        Assert.True(policy.Check(["Agent"], ["d"], "broker", "PATCH", "d").Allowed);
        Assert.False(policy.Check(["Agent"], ["d"], "broker", "POST", "d").Allowed);
        Assert.True(policy.Check(["Agent"], ["d"], "llo", "HEAD", "d").Allowed);
        Assert.False(policy.Check(["Agent"], ["other"], "llo", "GET", "d").Allowed);
        Assert.Equal(TimeSpan.FromMilliseconds(500), policy.CacheDurations["broker"]);
    }

    [Fact]
    public void LoadDefault_EmbeddedPolicy_Parses()
    {
        var policy = AccessPolicy.LoadDefault();

        Assert.True(policy.Check(["ContinuumAdministrator"], [], "iam", "DELETE", "d").Allowed);
        Assert.Equal(TimeSpan.FromSeconds(30), policy.CacheDurations["openapi"]);
    }
}
