namespace Aeros.Benchmarks.BrokerLoad;

/// <summary>A failure of the driver itself (as opposed to a slow or failing broker): the run cannot go on.</summary>
internal sealed class DriverException(string message) : Exception(message);
