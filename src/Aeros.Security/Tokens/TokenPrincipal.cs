namespace Aeros.Security.Tokens;

/// <summary>Who a validated token speaks for: issuer, subject, client, roles (Aeros names) and domains.</summary>
public sealed record TokenPrincipal(
    string Issuer,
    string Subject,
    string ClientId,
    IReadOnlyList<string> Roles,
    IReadOnlyList<string> Domains,
    DateTimeOffset ExpiresAt)
{
    /// <summary>The key the per-client rate limit counts by.</summary>
    public string RateLimitKey { get; } = Issuer + "|" + ClientId;
}

/// <summary>The result of validating a bearer token: a principal, or why it was rejected (never the token itself).</summary>
internal readonly record struct TokenValidation(TokenPrincipal? Principal, string? Error)
{
    public static TokenValidation Fail(string error) => new(null, error);
}
