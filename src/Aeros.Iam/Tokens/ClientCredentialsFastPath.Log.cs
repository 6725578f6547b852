using Microsoft.Extensions.Logging;

namespace Aeros.Iam.Tokens;

internal sealed partial class ClientCredentialsFastPath
{
    // Debug only: one line per token would cost more than the fast path saves.
    [LoggerMessage(EventId = 6530, Level = LogLevel.Debug, Message = "Client-credential token issued to {ClientId} on the fast path")]
    private static partial void LogIssued(ILogger logger, string clientId);

    [LoggerMessage(EventId = 6531, Level = LogLevel.Debug, Message = "Client-credential token request of {ClientId} left to OpenIddict (client not allowed, unknown, or secret not verified in this process yet)")]
    private static partial void LogLeftToOpenIddict(ILogger logger, string clientId);
}
