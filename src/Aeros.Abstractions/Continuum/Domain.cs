namespace Aeros.Abstractions.Continuum;

/// <summary>An administrative domain of the continuum (<c>Domain</c>); id <see cref="ContinuumIds.Domain"/>.</summary>
public sealed record Domain : ContinuumEntity
{
    /// <summary>URL of the domain's exposed API (its broker under <c>/ngsi-ld/v1</c>).</summary>
    public string? PublicUrl { get; init; }

    /// <summary>Whether the domain is the continuum's entrypoint.</summary>
    public bool? IsEntrypoint { get; init; }

    /// <summary>State of the domain (Relationship to <c>urn:ngsi-ld:DomainStatus:*</c>).</summary>
    public DomainStatus? DomainStatus { get; init; }

    /// <summary>Public key of the domain.</summary>
    public string? PublicKey { get; init; }
}
