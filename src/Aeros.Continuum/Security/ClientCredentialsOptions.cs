using Microsoft.Extensions.Options;

namespace Aeros.Continuum.Security;

/// <summary>
/// The OAuth 2.0 client credential a component uses to call other components' APIs through their gateways
/// (docs/security.md, "Security in a continuum"): token endpoint, client id and secret, optional scope. All unset: the
/// component sends no token (security off).
/// </summary>
public sealed class ClientCredentialsOptions
{
    /// <summary>Default of <see cref="RefreshBeforeExpiry"/>: 30 s.</summary>
    public static readonly TimeSpan DefaultRefreshBeforeExpiry = TimeSpan.FromSeconds(30);

    /// <summary>Default of <see cref="RequestTimeout"/>: 10 s.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The lifetime assumed when the token response has no <c>expires_in</c>: 60 s.</summary>
    public static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromSeconds(60);

    /// <summary>The token endpoint, e.g. <c>http://127.0.0.1:9090/iam/connect/token</c>.</summary>
    public Uri? TokenUrl { get; set; }

    /// <summary>The client id.</summary>
    public string? ClientId { get; set; }

    /// <summary>The client secret (sent in the form body, never logged).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Space-separated scopes to request; null: none (the IAM puts roles and domains in every token).</summary>
    public string? Scope { get; set; }

    /// <summary>How long before <c>expires_in</c> runs out a new token is fetched (at most half the lifetime).</summary>
    public TimeSpan RefreshBeforeExpiry { get; set; } = DefaultRefreshBeforeExpiry;

    /// <summary>The longest one token request may take.</summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;

    /// <summary>Whether a credential is configured (a token endpoint is set).</summary>
    public bool IsEnabled => TokenUrl is not null;

    /// <summary>Every error of these options, each message starting with <paramref name="settingName"/> (for options that embed a credential).</summary>
    public IReadOnlyList<string> Validate(string settingName) => ClientCredentialsOptionsValidator.Errors(this, settingName);
}

/// <summary>Validates <see cref="ClientCredentialsOptions"/>, listing every error at once. Nothing set is valid (no token is sent).</summary>
internal sealed class ClientCredentialsOptionsValidator : IValidateOptions<ClientCredentialsOptions>
{
    public ValidateOptionsResult Validate(string? name, ClientCredentialsOptions options)
    {
        var errors = Errors(options, "client credentials");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Every error of <paramref name="options"/>; <paramref name="what"/> names the setting in messages.</summary>
    public static List<string> Errors(ClientCredentialsOptions options, string what)
    {
        var errors = new List<string>();
        var anySet = options.TokenUrl is not null || !string.IsNullOrEmpty(options.ClientId) || !string.IsNullOrEmpty(options.ClientSecret);
        if (anySet)
        {
            if (options.TokenUrl is not { IsAbsoluteUri: true } url || url.Scheme is not ("http" or "https"))
            {
                errors.Add($"{what}: TokenUrl must be an absolute http(s) URL of the token endpoint (e.g. http://127.0.0.1:9090/iam/connect/token).");
            }
            if (string.IsNullOrWhiteSpace(options.ClientId))
            {
                errors.Add($"{what}: ClientId is required with a TokenUrl.");
            }
            if (string.IsNullOrEmpty(options.ClientSecret))
            {
                errors.Add($"{what}: ClientSecret is required with a TokenUrl.");
            }
        }
        if (options.RefreshBeforeExpiry < TimeSpan.Zero || options.RefreshBeforeExpiry > TimeSpan.FromMinutes(5))
        {
            errors.Add($"{what}: RefreshBeforeExpiry must be between 00:00:00 and 00:05:00 (was {options.RefreshBeforeExpiry}).");
        }
        if (options.RequestTimeout <= TimeSpan.Zero || options.RequestTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add($"{what}: RequestTimeout must be more than 0 and at most 00:05:00 (was {options.RequestTimeout}).");
        }
        return errors;
    }
}
