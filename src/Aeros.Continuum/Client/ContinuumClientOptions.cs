using Microsoft.Extensions.Options;

namespace Aeros.Continuum;

/// <summary>Options of <see cref="ContinuumClient"/>: where the broker is, and how requests are bounded and retried.</summary>
public sealed class ContinuumClientOptions
{
    /// <summary>Default of <see cref="RequestTimeout"/>: 5 s.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default of <see cref="RetryBaseDelay"/>: 200 ms.</summary>
    public static readonly TimeSpan DefaultRetryBaseDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>Default of <see cref="RetryMaxDelay"/>: 5 s.</summary>
    public static readonly TimeSpan DefaultRetryMaxDelay = TimeSpan.FromSeconds(5);

    /// <summary>Default of <see cref="MaxAttempts"/>.</summary>
    public const int DefaultMaxAttempts = 4;

    /// <summary>Default of <see cref="PageSize"/>.</summary>
    public const int DefaultPageSize = 100;

    /// <summary>Default of <see cref="MaxQueryResults"/>.</summary>
    public const int DefaultMaxQueryResults = 10_000;

    /// <summary>
    /// The broker's root URL (e.g. <c>http://127.0.0.1:9090</c>; the API is under <c>/ngsi-ld/v1</c>). Used when the
    /// <see cref="HttpClient"/> has no base address; when both are set, the client's base address wins.
    /// </summary>
    public Uri? BrokerUrl { get; set; }

    /// <summary>The NGSI-LD tenant (header <c>NGSILD-Tenant</c>); null: the default tenant.</summary>
    public string? Tenant { get; set; }

    /// <summary>The longest one HTTP attempt may take.</summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    /// <summary>How many attempts one operation makes (1 = no retry) on connection errors, timeouts, 5xx and 429.</summary>
    public int MaxAttempts { get; set; } = DefaultMaxAttempts;

    /// <summary>The first retry delay; doubled per attempt with jitter, capped at <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = DefaultRetryBaseDelay;

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = DefaultRetryMaxDelay;

    /// <summary>Entities per page of a query.</summary>
    public int PageSize { get; set; } = DefaultPageSize;

    /// <summary>The most entities one query returns (bounds the paging loop).</summary>
    public int MaxQueryResults { get; set; } = DefaultMaxQueryResults;

    /// <summary>
    /// A URL where the broker can load the aerOS @context. Null (the default): the client registers the embedded
    /// context with the broker (<c>POST /ngsi-ld/v1/jsonldContexts</c>, reusing an identical one already hosted)
    /// and refers to the URL the broker gives it.
    /// </summary>
    public Uri? ContextUrl { get; set; }
}

/// <summary>Validates <see cref="ContinuumClientOptions"/>, listing every error at once.</summary>
public sealed class ContinuumClientOptionsValidator : IValidateOptions<ContinuumClientOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ContinuumClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Through DI the client gets its base address from BrokerUrl, so it is required here.
        var errors = Errors(options, hasBaseAddress: false);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Every error of <paramref name="options"/>; a broker URL is required when the HTTP client has no base address.</summary>
    public static List<string> Errors(ContinuumClientOptions options, bool hasBaseAddress)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.BrokerUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")))
        {
            errors.Add($"BrokerUrl '{url}' must be an absolute http(s) URL.");
        }
        if (options.BrokerUrl is null && !hasBaseAddress)
        {
            errors.Add("BrokerUrl is required when the HttpClient has no BaseAddress.");
        }
        if (options.Tenant is { } tenant && (tenant.Length == 0 || tenant.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
        {
            errors.Add("Tenant must be non-empty and contain no white space or control characters.");
        }
        if (options.RequestTimeout <= TimeSpan.Zero || options.RequestTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"RequestTimeout must be in (0, 10 min]; it is {options.RequestTimeout}.");
        }
        if (options.MaxAttempts is < 1 or > 100)
        {
            errors.Add($"MaxAttempts must be in [1, 100]; it is {options.MaxAttempts}.");
        }
        if (options.RetryBaseDelay <= TimeSpan.Zero)
        {
            errors.Add($"RetryBaseDelay must be positive; it is {options.RetryBaseDelay}.");
        }
        if (options.RetryMaxDelay < options.RetryBaseDelay)
        {
            errors.Add($"RetryMaxDelay ({options.RetryMaxDelay}) must not be shorter than RetryBaseDelay ({options.RetryBaseDelay}).");
        }
        if (options.PageSize is < 1 or > 1000)
        {
            errors.Add($"PageSize must be in [1, 1000]; it is {options.PageSize}.");
        }
        if (options.MaxQueryResults < 1)
        {
            errors.Add($"MaxQueryResults must be positive; it is {options.MaxQueryResults}.");
        }
        if (options.ContextUrl is { } context && (!context.IsAbsoluteUri || context.Scheme is not ("http" or "https")))
        {
            errors.Add($"ContextUrl '{context}' must be an absolute http(s) URL.");
        }
        return errors;
    }
}
