using System.Globalization;
using Microsoft.Extensions.Options;

namespace Aeros.Cli.LocalContinuum;

/// <summary>What <c>aeros up</c> starts: how many domains and agents, on which ports, with which data directory.</summary>
public sealed class LocalContinuumOptions
{
    /// <summary>Default of <see cref="Domains"/>.</summary>
    public const int DefaultDomains = 2;

    /// <summary>Default of <see cref="IesPerDomain"/>.</summary>
    public const int DefaultIesPerDomain = 3;

    /// <summary>Default of <see cref="BasePort"/>: domains at 9090.., agents at 9190...</summary>
    public const int DefaultBasePort = 9090;

    /// <summary>Default of <see cref="DataDirectory"/>.</summary>
    public const string DefaultDataDirectory = ".aeros";

    /// <summary>Most domains one <c>aeros up</c> starts (the domain ports must stay below the agents' block).</summary>
    public const int MaxDomains = 16;

    /// <summary>Most agents per domain.</summary>
    public const int MaxIesPerDomain = 32;

    /// <summary>Offset of the first agent's port from <see cref="BasePort"/>.</summary>
    public const int AgentPortOffset = 100;

    /// <summary>Default of <see cref="ReadyTimeout"/>.</summary>
    public static readonly TimeSpan DefaultReadyTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Default of <see cref="StopGrace"/>.</summary>
    public static readonly TimeSpan DefaultStopGrace = TimeSpan.FromSeconds(10);

    /// <summary>Number of domain hosts (domain1..N; domain1 is the entrypoint).</summary>
    public int Domains { get; set; } = DefaultDomains;

    /// <summary>Number of agents (infrastructure elements) per domain.</summary>
    public int IesPerDomain { get; set; } = DefaultIesPerDomain;

    /// <summary>Port of domain1; domain k listens at BasePort+k-1, agent j (0-based over all domains) at BasePort+100+j.</summary>
    public int BasePort { get; set; } = DefaultBasePort;

    /// <summary>Directory of the continuum's data, logs and state file.</summary>
    public string DataDirectory { get; set; } = DefaultDataDirectory;

    /// <summary>Default of <see cref="Security"/>: on (<c>aeros up --no-security</c> turns it off).</summary>
    public const bool DefaultSecurity = true;

    /// <summary>
    /// Run the continuum with security on (the default; docs/security.md, "Security in a continuum"): every domain behind
    /// its gateway, the continuum's IAM in domain1, a client per agent and domain host, and an administrator credential
    /// for the CLI.
    /// </summary>
    public bool Security { get; set; } = DefaultSecurity;

    /// <summary>How long <c>aeros up</c> waits for every domain and agent to be ready before it gives up and stops them.</summary>
    public TimeSpan ReadyTimeout { get; set; } = DefaultReadyTimeout;

    /// <summary>How long a child has to exit after SIGTERM before it is killed.</summary>
    public TimeSpan StopGrace { get; set; } = DefaultStopGrace;

    /// <summary>The highest port the layout uses.</summary>
    public int HighestPort => IesPerDomain == 0 ? BasePort + Domains - 1 : BasePort + AgentPortOffset + (Domains * IesPerDomain) - 1;
}

/// <summary>Validates <see cref="LocalContinuumOptions"/>, listing every error at once.</summary>
internal sealed class LocalContinuumOptionsValidator : IValidateOptions<LocalContinuumOptions>
{
    public ValidateOptionsResult Validate(string? name, LocalContinuumOptions options)
    {
        var errors = Errors(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static List<string> Errors(LocalContinuumOptions options)
    {
        var errors = new List<string>();
        if (options.Domains is < 1 or > LocalContinuumOptions.MaxDomains)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"--domains must be between 1 and {LocalContinuumOptions.MaxDomains} (was {options.Domains})."));
        }
        if (options.IesPerDomain is < 0 or > LocalContinuumOptions.MaxIesPerDomain)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"--ies-per-domain must be between 0 and {LocalContinuumOptions.MaxIesPerDomain} (was {options.IesPerDomain})."));
        }
        if (options.BasePort is < 1 or > 65535)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"--base-port must be between 1 and 65535 (was {options.BasePort})."));
        }
        else if (errors.Count == 0 && options.HighestPort > 65535)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"--base-port {options.BasePort} is too high: the layout needs ports up to {options.HighestPort} (at most 65535)."));
        }
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            errors.Add("--data must not be empty.");
        }
        if (options.ReadyTimeout <= TimeSpan.Zero)
        {
            errors.Add("--timeout must be positive.");
        }
        if (options.StopGrace <= TimeSpan.Zero)
        {
            errors.Add("the stop grace must be positive.");
        }
        return errors;
    }
}
