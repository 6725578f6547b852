namespace Aeros.Benchmarks.BrokerLoad;

/// <summary>A failure of the driver itself (as opposed to a slow or failing broker): the run cannot go on.</summary>
/// <param name="message">What went wrong, one line.</param>
/// <param name="output">The last lines the server process (broker or bare server) printed, when they may explain it.</param>
internal sealed class DriverException(string message, string? output = null) : Exception(message)
{
    public string? Output { get; } = output;
}
