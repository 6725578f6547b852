using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Aeros.Broker.Errors;
using Aeros.Broker.Model;
using Aeros.Broker.Query;

namespace Aeros.Broker.Storage;

/// <summary>
/// The part of an <see cref="EntityQuery"/> a store evaluates in process, after its database has selected
/// candidates. Checks that need only the id (<see cref="MatchesId"/>) come first so a store can skip decoding
/// rows they reject.
/// </summary>
internal sealed class EntityQueryFilter
{
    /// <summary>How long one idPattern match may run when the pattern needs the backtracking engine.</summary>
    internal static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(200);

    private const int MaxCachedPatterns = 256;
    private static readonly ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);

    private readonly Regex? _idPattern;
    private readonly TypeExpression? _types;
    private readonly (string? Id, Regex? Pattern, TypeExpression? Types)[]? _selectors;
    private readonly IReadOnlyList<string>? _requireAny;
    private readonly QExpression? _q;
    private readonly ScopeExpression? _scopeQ;
    private readonly GeoQuery? _geo;

    private EntityQueryFilter(EntityQuery query, bool typesSelectedExactly)
    {
        _idPattern = query.IdPattern is null ? null : CompilePattern(query.IdPattern);
        _types = query.Types is not null && !typesSelectedExactly ? query.Types : null;
        if (query.Selectors is { Count: > 0 } selectors)
        {
            _selectors = new (string?, Regex?, TypeExpression?)[selectors.Count];
            for (var i = 0; i < selectors.Count; i++)
            {
                var s = selectors[i];
                _selectors[i] = (s.Id, s.IdPattern is null ? null : CompilePattern(s.IdPattern), s.Types);
            }
        }
        _requireAny = query.RequireAnyAttribute is { Count: > 0 } require ? require : null;
        _q = query.Q;
        _scopeQ = query.ScopeQ;
        _geo = query.Geo;
        NeedsEntity = _types is not null || _selectors is not null || _requireAny is not null
            || _q is not null || _scopeQ is not null || _geo is not null;
        IsEmpty = !NeedsEntity && _idPattern is null;
    }

    /// <summary>
    /// The in-process filter of <paramref name="query"/>. <paramref name="typesSelectedExactly"/> says the
    /// database already applied the type expression exactly (so it is not checked again).
    /// Throws NgsiLdException BadRequestData for an invalid idPattern.
    /// </summary>
    public static EntityQueryFilter Create(EntityQuery query, bool typesSelectedExactly)
    {
        ArgumentNullException.ThrowIfNull(query);
        return new EntityQueryFilter(query, typesSelectedExactly);
    }

    /// <summary>True when nothing is left to check in process.</summary>
    public bool IsEmpty { get; }

    /// <summary>True when <see cref="Matches"/> needs the decoded entity (anything beyond the id checks).</summary>
    public bool NeedsEntity { get; }

    /// <summary>The id-only checks (idPattern).</summary>
    public bool MatchesId(string id) => _idPattern is null || IsMatch(_idPattern, id);

    /// <summary>The checks that need the entity (call after <see cref="MatchesId"/>).</summary>
    public bool Matches(Entity entity)
    {
        if (_types is not null && !_types.Matches(entity.Types))
        {
            return false;
        }
        if (_selectors is not null && !MatchesAnySelector(entity))
        {
            return false;
        }
        if (_requireAny is not null && !HasAnyAttribute(entity, _requireAny))
        {
            return false;
        }
        if (_q is not null && !_q.Matches(entity))
        {
            return false;
        }
        if (_scopeQ is not null && !_scopeQ.Matches(entity.Scopes))
        {
            return false;
        }
        return _geo is null || _geo.Matches(entity);
    }

    private bool MatchesAnySelector(Entity entity)
    {
        foreach (var (id, pattern, types) in _selectors!)
        {
            if ((id is null || string.Equals(id, entity.Id, StringComparison.Ordinal))
                && (pattern is null || IsMatch(pattern, entity.Id))
                && (types is null || types.Matches(entity.Types)))
            {
                return true;
            }
        }
        return false;
    }

    private static bool HasAnyAttribute(Entity entity, IReadOnlyList<string> names)
    {
        foreach (var name in names)
        {
            if (entity.Attributes.ContainsKey(name))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsMatch(Regex regex, string id)
    {
        try
        {
            return regex.IsMatch(id);
        }
        catch (RegexMatchTimeoutException)
        {
            throw new NgsiLdException(ErrorTypes.TooComplexQuery, "Too complex query", 403,
                "The idPattern takes too long to evaluate; simplify it.");
        }
    }

    /// <summary>
    /// A regex that must match the whole id. The non-backtracking engine is used when the pattern allows it
    /// (linear time whatever the input); otherwise the backtracking engine with a match timeout.
    /// </summary>
    internal static Regex CompilePattern(string pattern)
    {
        if (Patterns.TryGetValue(pattern, out var cached))
        {
            return cached;
        }
        var anchored = $@"\A(?:{pattern})\z";
        Regex regex;
        try
        {
            regex = new Regex(anchored, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        }
        catch (NotSupportedException)
        {
            regex = Backtracking(anchored, pattern);
        }
        catch (ArgumentException ex)
        {
            throw NgsiLdException.BadRequestData($"idPattern '{pattern}' is not a valid regular expression: {ex.Message}");
        }
        if (Patterns.Count >= MaxCachedPatterns)
        {
            Patterns.Clear();
        }
        Patterns.TryAdd(pattern, regex);
        return regex;
    }

    private static Regex Backtracking(string anchored, string pattern)
    {
        try
        {
            return new Regex(anchored, RegexOptions.CultureInvariant, MatchTimeout);
        }
        catch (ArgumentException ex)
        {
            throw NgsiLdException.BadRequestData($"idPattern '{pattern}' is not a valid regular expression: {ex.Message}");
        }
    }
}
