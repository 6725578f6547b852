using Aeros.Hosting;

namespace Aeros.Orchestration.Tests.Hosting;

public sealed class DomainConfigFileTests
{
    [Fact]
    public void Parse_FullFile_MapsTopLevelKeysAndSections()
    {
        var contents = DomainConfigFile.Parse("""
            name: upv
            urls: http://127.0.0.1:9091
            data: /var/lib/aeros/upv
            publicUrl: https://upv.example.org
            peers: [http://127.0.0.1:9090, http://127.0.0.1:9092]
            entrypoint: true
            owner: UPV
            federation:
              resyncInterval: 00:00:10
            broker:
              indexedAttributes: [hostname]
            """, "domain.yaml");

        Assert.Equal("http://127.0.0.1:9091", contents.Urls);
        Assert.Equal("/var/lib/aeros/upv", contents.DataDirectory);
        Assert.Equal("upv", contents.Settings["Federation:DomainName"]);
        Assert.Equal("https://upv.example.org", contents.Settings["Federation:PublicUrl"]);
        Assert.Equal("http://127.0.0.1:9090", contents.Settings["Federation:Peers:0"]);
        Assert.Equal("http://127.0.0.1:9092", contents.Settings["Federation:Peers:1"]);
        Assert.Equal("true", contents.Settings["Federation:IsEntrypoint"]);
        Assert.Equal("UPV", contents.Settings["Federation:Owners:0"]);
        Assert.Equal("00:00:10", contents.Settings["Federation:resyncInterval"]);
        Assert.Equal("hostname", contents.Settings["Broker:indexedAttributes:0"]);
    }

    [Fact]
    public void Parse_SecurityIamAndGatewaySections_MapToTheirOptions()
    {
        var contents = DomainConfigFile.Parse("""
            security:
              enabled: true
              issuer: http://127.0.0.1:9090/iam/
              client: { clientId: d2-host, clientSecret: s3cret-s3cret-s3cret }
              continuumUrls: [http://127.0.0.1:9090, http://127.0.0.1:9092]
            iam:
              accessTokenLifetime: 00:05:00
            gateway:
              accessLog: false
            """, "domain.yaml");

        Assert.Equal("true", contents.Settings["Security:enabled"]);
        Assert.Equal("http://127.0.0.1:9090/iam/", contents.Settings["Security:issuer"]);
        Assert.Equal("d2-host", contents.Settings["Security:client:clientId"]);
        Assert.Equal("http://127.0.0.1:9092", contents.Settings["Security:continuumUrls:1"]);
        Assert.Equal("00:05:00", contents.Settings["Iam:accessTokenLifetime"]);
        Assert.Equal("false", contents.Settings["Gateway:accessLog"]);
    }

    [Fact]
    public void Validate_SecurityEnabledWithoutIssuerOrClient_ListsEveryError()
    {
        var errors = new DomainSecurityOptions { Enabled = true, InternalUrl = new Uri("http://10.1.2.3:80") }.Validate();

        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.Contains("InternalUrl", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Issuer", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("ClientId and ClientSecret", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ContinuumUrlNotHttp_NamesIt()
    {
        var options = new DomainSecurityOptions
        {
            Enabled = true,
            EmbeddedIam = true,
            ContinuumUrls = [new Uri("http://127.0.0.1:9091"), new Uri("ftp://127.0.0.1/")],
        };
        options.Client.ClientId = "d1-host";
        options.Client.ClientSecret = "s3cret-s3cret-s3cret";

        var errors = options.Validate();

        Assert.Equal(["Security ContinuumUrls: 'ftp://127.0.0.1/' must be an absolute http or https URL (a domain's public URL)."], errors);
    }

    [Theory]
    [InlineData("name: [unclosed", "is not valid YAML")]
    [InlineData("- a\n- b", "must be a YAML mapping")]
    [InlineData("colour: blue", "unknown key 'colour'")]
    [InlineData("broker: 5", "'broker' must be a mapping")]
    [InlineData("urls: [a, b]", "'urls' must be a single value")]
    public void Parse_InvalidFile_NamesTheProblem(string yaml, string expected)
    {
        var error = Assert.Throws<DomainConfigException>(() => DomainConfigFile.Parse(yaml, "d.yaml"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("d.yaml", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptyFile_HasNoSettings()
    {
        var contents = DomainConfigFile.Parse("", "d.yaml");

        Assert.Null(contents.Urls);
        Assert.Empty(contents.Settings);
    }
}
