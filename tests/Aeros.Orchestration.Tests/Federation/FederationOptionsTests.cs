using Aeros.Orchestration.Federation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Tests.Federation;

public sealed class FederationOptionsTests
{
    [Fact]
    public void Validate_NameAndDefaults_Succeeds()
    {
        var result = new FederationOptionsValidator().Validate(null, new FederationOptions { DomainName = "upv" });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_EverythingWrong_ListsEveryError()
    {
        var options = new FederationOptions
        {
            DomainName = "bad name",
            PublicUrl = new Uri("ftp://x/"),
            Peers = [new Uri("http://ok/"), new Uri("http://x/?q=1")],
            Owners = ["two words"],
            ResyncInterval = TimeSpan.Zero,
            RequestTimeout = TimeSpan.FromSeconds(-1),
            RetryBaseDelay = TimeSpan.FromSeconds(10),
            RetryMaxDelay = TimeSpan.FromSeconds(1),
            ForwardTimeout = TimeSpan.Zero,
            RequestRetries = 11,
        };

        var result = new FederationOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Equal(9, failures.Count);
        Assert.Contains(failures, f => f.Contains("domain name 'bad name'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("public URL", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("peer 'http://x/?q=1'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("owner 'two words'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("resync interval", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("request timeout", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("forward timeout", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("maximum delay", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("request retries", StringComparison.Ordinal));
    }

    [Fact]
    public void AddAerosFederation_MissingName_FailsValidationWithTheReason()
    {
        var services = new ServiceCollection().AddLogging().AddAerosFederation();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<FederationOptions>>().Value);

        Assert.Contains("domain name", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("upv", true)]
    [InlineData("domain_1.eu-west", true)]
    [InlineData("", false)]
    [InlineData("-lead", false)]
    [InlineData("a:b", false)]
    [InlineData("a/b", false)]
    public void IsValidDomainName_Names_AcceptsUrnSafeOnly(string name, bool valid)
    {
        Assert.Equal(valid, FederationOptions.IsValidDomainName(name));
    }
}
