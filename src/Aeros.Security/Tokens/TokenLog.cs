using Microsoft.Extensions.Logging;

namespace Aeros.Security.Tokens;

/// <summary>Log messages of token validation (event ids kept from the gateway, where they were first defined).</summary>
internal static partial class TokenLog
{
    [LoggerMessage(EventId = 6210, Level = LogLevel.Information, Message = "Fetched the signing keys of {Issuer}: {Count} usable, skipped: {Skipped}")]
    public static partial void JwksFetched(ILogger logger, string issuer, int count, string skipped);

    [LoggerMessage(EventId = 6211, Level = LogLevel.Warning, Message = "Fetching the signing keys of {Issuer} failed: {Reason}")]
    public static partial void JwksFetchFailed(ILogger logger, string issuer, string reason);
}
