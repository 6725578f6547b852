using Microsoft.Extensions.Logging;

namespace Aeros.Broker.Registrations;

internal sealed partial class RegistrationService
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Error, Message = "Stored registration {Id} of tenant '{Tenant}' cannot be read; it is ignored")]
    private static partial void LogUnreadable(ILogger logger, Exception exception, string id, string tenant);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Registration observer {Observer} failed")]
    private static partial void LogObserverFailed(ILogger logger, Exception exception, string observer);
}
