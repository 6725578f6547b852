namespace Aeros.Cli.Client;

/// <summary>
/// Exit codes of the client commands beyond <see cref="ExitCodes"/> (0 ok, 1 failure such as a Failed component,
/// 2 bad usage), so scripts can tell why a deploy did not succeed (docs/cli.md).
/// </summary>
internal static class ClientExitCodes
{
    /// <summary>The blueprint file is missing, not YAML/JSON, or invalid (its errors are printed with line:column).</summary>
    public const int InvalidInput = 4;

    /// <summary>The service, component or domain is not known (404).</summary>
    public const int NotFound = 5;

    /// <summary>The domain host does not answer.</summary>
    public const int Unreachable = 6;

    /// <summary>The wait ran past <c>--timeout</c>.</summary>
    public const int Timeout = 7;

    /// <summary>The service already exists (409).</summary>
    public const int Conflict = 8;

    /// <summary>The IAM refused the credential or the role (401/403).</summary>
    public const int Denied = 9;
}
