using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Aeros.Broker.Distribution;

/// <summary>
/// This broker as a context source (§5.15): its <c>contextSourceAlias</c>, used in <c>Via</c> headers for loop
/// detection, and its start time. The alias is the configured one, else one generated at first start and kept in
/// the data directory, so it stays the same across restarts and differs between brokers on one machine.
/// </summary>
internal sealed class SourceIdentity
{
    private const string AliasFile = "context-source-alias";
    private readonly Lazy<string> _alias;

    public SourceIdentity(IOptions<DistributionOptions> options, IOptions<BrokerOptions> broker, TimeProvider time)
    {
        StartedAt = time.GetUtcNow();
        var configured = options.Value.ContextSourceAlias;
        _alias = new Lazy<string>(() => configured ?? LoadOrCreate(broker.Value.DataDirectory), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>This broker's context source alias.</summary>
    public string Alias => _alias.Value;

    /// <summary>When this broker started.</summary>
    public DateTimeOffset StartedAt { get; }

    private static string LoadOrCreate(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, AliasFile);
        if (File.Exists(path))
        {
            var stored = File.ReadAllText(path).Trim();
            if (Registrations.RegistrationParser.IsValidAlias(stored))
            {
                return stored;
            }
        }
        var alias = "aeros-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        // Written to a temporary file first so that a crash never leaves half an alias behind.
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, alias);
        File.Move(temporary, path, overwrite: true);
        return alias;
    }
}
