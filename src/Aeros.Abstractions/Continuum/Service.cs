namespace Aeros.Abstractions.Continuum;

/// <summary>A deployed service (<c>Service</c>), made of <see cref="ServiceComponent"/>s.</summary>
public sealed record Service : ContinuumEntity
{
    /// <summary>The kind of service (Relationship to a ServiceType).</summary>
    public string? ServiceType { get; init; }

    /// <summary>What the HLO is doing with it.</summary>
    public ServiceActionType? ActionType { get; init; }

    /// <summary>The domain that handles it (Relationship).</summary>
    public string? DomainHandler { get; init; }

    /// <summary>Whether its components share an overlay network.</summary>
    public bool? HasOverlay { get; init; }
}

/// <summary>A kind of service (<c>ServiceType</c>).</summary>
public sealed record ServiceType : ContinuumEntity
{
    /// <summary>Web page of the software.</summary>
    public string? WebPage { get; init; }

    /// <summary>Its license.</summary>
    public string? License { get; init; }
}
