using Microsoft.Extensions.Options;

namespace Aeros.Broker.Postgres.Tests.Storage;

public sealed class PostgresStoreOptionsTests
{
    [Fact]
    public void Validate_EverySettingOutOfRange_ListsEveryError()
    {
        var broker = Options.Create(new BrokerOptions { Store = BrokerOptions.PostgresStore, PostgresConnectionString = "Port=notanumber" });
        var validator = new PostgresStoreOptionsValidator(broker);

        var result = validator.Validate(null, new PostgresStoreOptions
        {
            ConnectTimeoutSeconds = 0,
            CommandTimeoutSeconds = 0,
            MaxWriteBatch = 0,
            MaxPoolSize = 1,
            ReconnectDelay = TimeSpan.FromMinutes(5),
            GeoLayerCheckInterval = TimeSpan.Zero,
        });

        Assert.True(result.Failed);
        Assert.Equal(7, result.Failures!.Count());
        Assert.Contains(result.Failures!, f => f.Contains("geo layer check interval", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("connection string is invalid", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_Defaults_Succeed()
    {
        var broker = Options.Create(new BrokerOptions { Store = BrokerOptions.PostgresStore, PostgresConnectionString = "Host=127.0.0.1;Database=aeros" });

        Assert.True(new PostgresStoreOptionsValidator(broker).Validate(null, new PostgresStoreOptions()).Succeeded);
    }

    [Theory]
    [InlineData("urn:ngsi-ld:Vehicle:0000[0-9]", "^(?:urn:ngsi-ld:Vehicle:0000[0-9])$")]
    [InlineData("a\\.b|c+", "^(?:a\\.b|c+)$")]
    [InlineData("urn:(\\w+):1", null)]
    [InlineData("(?i)abc", null)]
    [InlineData("[[:alpha:]]", null)]
    [InlineData("é", null)]
    public void TryTranslatePattern_OnlySharedSyntax_IsTranslated(string pattern, string? expected)
    {
        Assert.Equal(expected, Aeros.Broker.Postgres.Storage.PostgresQuery.TryTranslatePattern(pattern));
    }
}
