using Aeros.Hosting;
using Microsoft.Extensions.Configuration;

namespace Aeros.Gateway.Tests;

public sealed class GatewayConfigFileTests
{
    [Fact]
    public void Load_SampleFile_BindsEveryOptionKind()
    {
        var path = Path.Combine(Path.GetTempPath(), $"aeros-gw-{Guid.NewGuid():N}", "gateway.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, """
            urls: http://127.0.0.1:8181
            domainName: upv
            issuers:
              - issuer: http://127.0.0.1:9090/iam/
              - issuer: https://kc.example/realms/aeros
                kind: keycloak
                roleClients: [portal]
                roleMap: { kc-admin: DomainAdministrator }
            broker:
              destinations: [http://127.0.0.1:9090, http://127.0.0.1:9091]
              healthCheckPath: /ngsi-ld/v1/types
            infrastructureElements:
              edge-1: http://127.0.0.1:9190
            policyFile: policy.yaml
            limits:
              clientBurst: 7
            """);
        try
        {
            var contents = GatewayConfigFile.Load(path);
            var options = new GatewayOptions();
            new ConfigurationBuilder().AddInMemoryCollection(contents.Settings).Build().GetSection(GatewayHost.GatewaySection).Bind(options);

            Assert.Equal("http://127.0.0.1:8181", contents.Urls);
            Assert.Equal("upv", options.DomainName);
            Assert.Equal(2, options.Issuers.Count);
            Assert.Equal(IssuerKinds.Keycloak, options.Issuers[1].Kind);
            Assert.Equal("portal", Assert.Single(options.Issuers[1].RoleClients));
            Assert.Equal("DomainAdministrator", options.Issuers[1].RoleMap["kc-admin"]);
            Assert.Equal(2, options.Broker.Destinations.Count);
            Assert.Equal("/ngsi-ld/v1/types", options.Broker.HealthCheckPath);
            Assert.Equal("http://127.0.0.1:9190", options.InfrastructureElements["edge-1"]);
            Assert.Equal(Path.Combine(Path.GetDirectoryName(path)!, "policy.yaml"), options.PolicyFile);
            Assert.Equal(7, options.Limits.ClientBurst);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void Parse_NotAMapping_ThrowsNamingTheFile()
    {
        var e = Assert.Throws<GatewayConfigException>(() => GatewayConfigFile.Parse("- a\n- b", "gw.yaml"));

        Assert.Contains("gw.yaml", e.Message, StringComparison.Ordinal);
    }
}
