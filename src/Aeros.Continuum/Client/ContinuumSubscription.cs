using Aeros.Abstractions.Continuum;

namespace Aeros.Continuum;

/// <summary>
/// What <see cref="ContinuumClient.SubscribeAsync"/> creates: an NGSI-LD subscription to entities of
/// <see cref="EntityType"/> (optionally filtered by <see cref="Q"/> and watched attributes), notified by HTTP POST to
/// <see cref="Endpoint"/> in normalized format with the aerOS @context.
/// </summary>
public sealed record ContinuumSubscription
{
    /// <summary>The entity type (short term, see <see cref="ContinuumMapper.EntityType{T}"/>).</summary>
    public required string EntityType { get; init; }

    /// <summary>The URL notifications are POSTed to.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>An NGSI-LD query (<c>q</c>) the entities must match, e.g. <c>infrastructureElement=="urn:..."</c>.</summary>
    public string? Q { get; init; }

    /// <summary>Only changes of these attributes notify; null: any change.</summary>
    public IReadOnlyList<string>? WatchedAttributes { get; init; }

    /// <summary>Only these attributes are notified; null: all.</summary>
    public IReadOnlyList<string>? NotifiedAttributes { get; init; }

    /// <summary>An id to give the subscription (a URI); null: the broker chooses.</summary>
    public string? Id { get; init; }

    /// <summary>A description shown in the broker.</summary>
    public string? Description { get; init; }

    /// <summary>At most one notification per this interval; null: no throttling.</summary>
    public TimeSpan? Throttling { get; init; }

    /// <summary>A subscription to entities of the record type <typeparamref name="T"/>.</summary>
    public static ContinuumSubscription For<T>(Uri endpoint) where T : ContinuumEntity =>
        new() { EntityType = ContinuumMapper.EntityType<T>(), Endpoint = endpoint };
}
