namespace Aeros.Broker.Storage;

/// <summary>
/// The store's database cannot be reached now (connection refused, restarting, timed out). The API answers 503;
/// the store keeps trying to reconnect, so a later request may succeed without a restart.
/// </summary>
internal sealed class StoreUnavailableException : AerosException
{
    public StoreUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
