namespace Aeros.Gateway.Routing;

/// <summary>
/// Endpoint metadata every gateway route carries: the API it belongs to (the policy's API name) and whether it is
/// one of the OIDC protocol endpoints that pass without a token. An endpoint without it is refused (fail closed).
/// </summary>
public sealed record GatewayRouteMetadata(string Api, bool Anonymous = false)
{
    /// <summary>
    /// The only paths reachable without a token: the IAM's OIDC protocol endpoints (discovery, JWKS, token,
    /// authorization, introspection, revocation). They authenticate their callers themselves.
    /// </summary>
    public static readonly IReadOnlyList<string> AnonymousPaths =
    [
        "/iam/.well-known/openid-configuration",
        "/iam/.well-known/jwks",
        "/iam/connect/token",
        "/iam/connect/authorize",
        "/iam/connect/introspect",
        "/iam/connect/revoke",
    ];
}
