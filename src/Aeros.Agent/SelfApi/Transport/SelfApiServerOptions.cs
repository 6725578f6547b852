using Microsoft.Extensions.Options;

namespace Aeros.Agent.SelfApi.Transport;

/// <summary>
/// Limits and timeouts of the agent's own HTTP/1.1 server (<c>aeros-agent</c>; configuration section
/// <c>Agent:Server</c>, e.g. <c>Agent__Server__MaxConnections=32</c>). <c>aeros agent</c> runs on Kestrel and its
/// limits instead.
/// </summary>
public sealed class SelfApiServerOptions
{
    /// <summary>Default <see cref="MaxRequestHeadersBytes"/>: 16 KiB (Kestrel: 32 KiB; the self-API needs far less).</summary>
    public const int DefaultMaxRequestHeadersBytes = 16 * 1024;

    /// <summary>Default <see cref="MaxRequestBodyBytes"/>: 1 MiB, the largest workload spec the API takes.</summary>
    public const int DefaultMaxRequestBodyBytes = 1024 * 1024;

    /// <summary>Default <see cref="MaxConnections"/>.</summary>
    public const int DefaultMaxConnections = 64;

    /// <summary>Request line and headers above this size are refused with 431.</summary>
    public int MaxRequestHeadersBytes { get; set; } = DefaultMaxRequestHeadersBytes;

    /// <summary>Bodies above this size (declared or chunked) are refused with 413.</summary>
    public int MaxRequestBodyBytes { get; set; } = DefaultMaxRequestBodyBytes;

    /// <summary>Connections open at once; more are closed at accept.</summary>
    public int MaxConnections { get; set; } = DefaultMaxConnections;

    /// <summary>How long an idle keep-alive connection stays open (Kestrel's default: 130 s).</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(130);

    /// <summary>How long a request may take to arrive once it started (head and body); then 408.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>On stop, how long requests in progress get to finish before their connections are cut.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Validates <see cref="SelfApiServerOptions"/>, listing every error.</summary>
internal sealed class SelfApiServerOptionsValidator : IValidateOptions<SelfApiServerOptions>
{
    public ValidateOptionsResult Validate(string? name, SelfApiServerOptions options)
    {
        var errors = new List<string>();
        if (options.MaxRequestHeadersBytes is < 1024 or > 1024 * 1024)
        {
            errors.Add($"Agent:Server:MaxRequestHeadersBytes must be from 1024 to 1048576 (was {options.MaxRequestHeadersBytes}).");
        }
        if (options.MaxRequestBodyBytes is < 1024 or > 64 * 1024 * 1024)
        {
            errors.Add($"Agent:Server:MaxRequestBodyBytes must be from 1024 to 67108864 (was {options.MaxRequestBodyBytes}).");
        }
        if (options.MaxConnections is < 1 or > 10_000)
        {
            errors.Add($"Agent:Server:MaxConnections must be from 1 to 10000 (was {options.MaxConnections}).");
        }
        foreach (var (field, value) in new[] { ("KeepAliveTimeout", options.KeepAliveTimeout), ("RequestTimeout", options.RequestTimeout), ("ShutdownTimeout", options.ShutdownTimeout) })
        {
            if (value <= TimeSpan.Zero || value > TimeSpan.FromHours(1))
            {
                errors.Add($"Agent:Server:{field} must be above 0 and at most 01:00:00 (was {value}).");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
