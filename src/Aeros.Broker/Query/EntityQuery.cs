namespace Aeros.Broker.Query;

/// <summary>
/// A query as it reaches a store: a model, not a predicate, so that an engine can evaluate what it can in
/// its database (type/id selection, q, scopeQ, geo) and only the rest in process.
/// Names inside are expanded IRIs.
/// </summary>
internal sealed record EntityQuery
{
    /// <summary>Type selection (<c>type=</c>), or null for any type.</summary>
    public TypeExpression? Types { get; init; }

    /// <summary>Entity ids (<c>id=</c>), or null.</summary>
    public IReadOnlyList<string>? Ids { get; init; }

    /// <summary>A regular expression the whole id must match (<c>idPattern=</c>), or null.</summary>
    public string? IdPattern { get; init; }

    /// <summary>Alternative selectors from a POST query's <c>entities</c> (OR between them), or null.</summary>
    public IReadOnlyList<EntitySelector>? Selectors { get; init; }

    public QExpression? Q { get; init; }

    public ScopeExpression? ScopeQ { get; init; }

    public GeoQuery? Geo { get; init; }

    /// <summary>With <c>attrs=</c>: an entity matches only if it has at least one of them.</summary>
    public IReadOnlyList<string>? RequireAnyAttribute { get; init; }

    /// <summary>
    /// The attributes the caller reads from the results (from <c>attrs</c>/<c>pick</c>), or null for all. A store may
    /// return entities without the others (it never has to); entity members other than attributes are always kept.
    /// </summary>
    public IReadOnlySet<string>? KeepAttributes { get; init; }

    /// <summary>Attributes the caller does not read (from <c>omit</c>), or null; a store may leave them out.</summary>
    public IReadOnlySet<string>? DropAttributes { get; init; }

    public int Limit { get; init; } = 20;

    public int Offset { get; init; }

    /// <summary>Whether the total number of matches is wanted (<c>count=true</c>).</summary>
    public bool Count { get; init; }
}

/// <summary>One entry of a POST query's <c>entities</c>: id or idPattern, and a type expression.</summary>
internal sealed record EntitySelector(string? Id, string? IdPattern, TypeExpression? Types);

/// <summary>A page of query results.</summary>
internal sealed record QueryPage(IReadOnlyList<Model.Entity> Entities, long? TotalCount);
