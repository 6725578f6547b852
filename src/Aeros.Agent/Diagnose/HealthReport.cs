namespace Aeros.Agent.Diagnose;

/// <summary>The names of the health factors, as they appear in the API and as the Prometheus label.</summary>
public static class HealthFactors
{
    /// <summary>CPU saturation.</summary>
    public const string Cpu = "cpu";

    /// <summary>Memory pressure.</summary>
    public const string Memory = "memory";

    /// <summary>Disk usage.</summary>
    public const string Disk = "disk";

    /// <summary>Network loss.</summary>
    public const string Network = "network";

    /// <summary>Workload failures.</summary>
    public const string Workloads = "workloads";

    /// <summary>Broker reachability.</summary>
    public const string Broker = "broker";
}

/// <summary>One factor of the health score.</summary>
/// <param name="Name">One of <see cref="HealthFactors"/>.</param>
/// <param name="Value">The normalised factor, 1 = healthy, 0 = failing; null when its input is unknown (then left out).</param>
/// <param name="Weight">The configured weight.</param>
/// <param name="EffectiveWeight">The weight's share of the weights of the known factors (the effective weights sum to 1).</param>
/// <param name="Input">The raw input (a percentage, or for the broker 1/0), null when unknown.</param>
public sealed record HealthFactor(string Name, double? Value, double Weight, double EffectiveWeight, double? Input);

/// <summary>The result of self-diagnose.</summary>
/// <param name="Timestamp">Time of the snapshot the report is based on.</param>
/// <param name="Score">The health score in [0, 1].</param>
/// <param name="Status">The infrastructureElementStatus: <c>Ready</c>, <c>Overloaded</c> or <c>Maintenance</c>.</param>
/// <param name="Reasons">Why the status is not Ready, or why the score was capped (empty when healthy).</param>
/// <param name="Factors">Every factor with its value and weight.</param>
public sealed record HealthReport(DateTimeOffset Timestamp, double Score, string Status, IReadOnlyList<string> Reasons, IReadOnlyList<HealthFactor> Factors)
{
    /// <summary>The URN of the status in the aerOS data model.</summary>
    public string StatusUrn => "urn:ngsi-ld:InfrastructureElementStatus:" + Status;
}
