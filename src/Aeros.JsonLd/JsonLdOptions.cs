using Microsoft.Extensions.Options;

namespace Aeros.JsonLd;

/// <summary>Options of the JSON-LD module (configuration section suggestion: <c>Aeros:JsonLd</c>).</summary>
public sealed class JsonLdOptions
{
    /// <summary>Default of <see cref="AllowRemoteContexts"/>.</summary>
    public const bool DefaultAllowRemoteContexts = true;

    /// <summary>Default of <see cref="RemoteFetchTimeout"/>, in seconds.</summary>
    public const int DefaultRemoteFetchTimeoutSeconds = 5;

    /// <summary>Default of <see cref="MaxContextBytes"/>: 1 MiB.</summary>
    public const int DefaultMaxContextBytes = 1024 * 1024;

    /// <summary>Default of <see cref="CacheCapacity"/>.</summary>
    public const int DefaultCacheCapacity = 256;

    /// <summary>Default of <see cref="CacheDuration"/>, in minutes.</summary>
    public const int DefaultCacheDurationMinutes = 60;

    /// <summary>Default of <see cref="ResolvedContextCacheCapacity"/>.</summary>
    public const int DefaultResolvedContextCacheCapacity = 1024;

    /// <summary>Default of <see cref="ImplicitContextCapacity"/>.</summary>
    public const int DefaultImplicitContextCapacity = 4096;

    /// <summary>The name of the <see cref="System.Net.Http.HttpClient"/> used to download contexts.</summary>
    public const string HttpClientName = "Aeros.JsonLd";

    /// <summary>Whether remote (non-core, non-hosted) context URLs may be downloaded at all.</summary>
    public bool AllowRemoteContexts { get; set; } = DefaultAllowRemoteContexts;

    /// <summary>Hosts (<c>host</c> or <c>host:port</c>, case-insensitive) remote contexts may come from; empty = any.</summary>
    public IList<string> AllowedRemoteHosts { get; set; } = [];

    /// <summary>How long one download may take (connect, headers and body).</summary>
    public TimeSpan RemoteFetchTimeout { get; set; } = TimeSpan.FromSeconds(DefaultRemoteFetchTimeoutSeconds);

    /// <summary>The largest context document downloaded or accepted, in bytes.</summary>
    public int MaxContextBytes { get; set; } = DefaultMaxContextBytes;

    /// <summary>How many downloaded (Cached) contexts are kept; the least recently used are evicted.</summary>
    public int CacheCapacity { get; set; } = DefaultCacheCapacity;

    /// <summary>How long a downloaded context is used before it is downloaded again.</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(DefaultCacheDurationMinutes);

    /// <summary>How many resolved user contexts (parsed and ready to expand) are kept.</summary>
    public int ResolvedContextCacheCapacity { get; set; } = DefaultResolvedContextCacheCapacity;

    /// <summary>How many ImplicitlyCreated contexts are kept; the least recently used are evicted.</summary>
    public int ImplicitContextCapacity { get; set; } = DefaultImplicitContextCapacity;

    /// <summary>When set, Hosted contexts are persisted as files in this directory and reloaded at start.</summary>
    public string? DataDirectory { get; set; }
}

/// <summary>Validates <see cref="JsonLdOptions"/>, listing every problem.</summary>
internal sealed class JsonLdOptionsValidator : IValidateOptions<JsonLdOptions>
{
    public ValidateOptionsResult Validate(string? name, JsonLdOptions options)
    {
        var errors = new List<string>();
        if (options.RemoteFetchTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(JsonLdOptions.RemoteFetchTimeout)} must be positive (was {options.RemoteFetchTimeout}).");
        }

        if (options.MaxContextBytes <= 0)
        {
            errors.Add($"{nameof(JsonLdOptions.MaxContextBytes)} must be positive (was {options.MaxContextBytes}).");
        }

        if (options.CacheCapacity <= 0)
        {
            errors.Add($"{nameof(JsonLdOptions.CacheCapacity)} must be positive (was {options.CacheCapacity}).");
        }

        if (options.CacheDuration <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(JsonLdOptions.CacheDuration)} must be positive (was {options.CacheDuration}).");
        }

        if (options.ResolvedContextCacheCapacity <= 0)
        {
            errors.Add($"{nameof(JsonLdOptions.ResolvedContextCacheCapacity)} must be positive (was {options.ResolvedContextCacheCapacity}).");
        }

        if (options.ImplicitContextCapacity <= 0)
        {
            errors.Add($"{nameof(JsonLdOptions.ImplicitContextCapacity)} must be positive (was {options.ImplicitContextCapacity}).");
        }

        if (options.AllowedRemoteHosts is null)
        {
            errors.Add($"{nameof(JsonLdOptions.AllowedRemoteHosts)} must not be null.");
        }
        else if (options.AllowedRemoteHosts.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add($"{nameof(JsonLdOptions.AllowedRemoteHosts)} must not contain empty host names.");
        }

        if (options.DataDirectory is { } directory && string.IsNullOrWhiteSpace(directory))
        {
            errors.Add($"{nameof(JsonLdOptions.DataDirectory)} must be null or a directory path.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
