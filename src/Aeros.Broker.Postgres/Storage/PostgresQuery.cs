using System.Text;
using System.Text.Json;
using Aeros.Broker.Query;
using Aeros.Broker.Storage;
using Aeros.Broker.Storage.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Aeros.Broker.Postgres.Storage;

/// <summary>
/// The SQL of a query: what PostgreSQL selects (tenant, ids, types, idPattern, attrs and the pushed-down q terms)
/// and what is left to check in process (<see cref="Residual"/>). The type selection is exact for a plain OR of
/// types, otherwise a superset. idPattern is translated to a PostgreSQL regular expression when it only uses syntax
/// both engines read the same way; q terms narrow the candidates through <c>vals</c> (a superset), so q itself is
/// always evaluated in process as well. When nothing needs the entity, paging and counting run in SQL.
/// </summary>
internal sealed class PostgresQuery
{
    private readonly StringBuilder _where = new();
    private readonly List<NpgsqlParameter> _parameters = [];

    private PostgresQuery(string tenant)
    {
        _where.Append("tenant = $1");
        _parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
    }

    /// <summary>Whether the selection is known to be empty without asking the database.</summary>
    public bool Empty { get; private set; }

    /// <summary>The in-process part of the query.</summary>
    public EntityQueryFilter Residual { get; private set; } = null!;

    /// <summary>The WHERE clause (parameters $1..).</summary>
    public string Where => _where.ToString();

    /// <summary>Builds the SQL of <paramref name="query"/>; throws NgsiLdException BadRequestData for an invalid idPattern.</summary>
    public static PostgresQuery Build(string tenant, EntityQuery query)
    {
        var sql = new PostgresQuery(tenant);
        var typesExact = true;
        if (query.Ids is { } ids)
        {
            sql.And("id = ANY(", new NpgsqlParameter<string[]> { TypedValue = [.. ids] }, ")");
        }
        if (query.Types is { IsWildcard: false } types)
        {
            var all = types.AllTypes;
            if (all.Count == 0)
            {
                sql.Empty = true;
            }
            else if (all.Count == 1)
            {
                // The first-type index pages a single type in id order; the GIN index finds it in later positions.
                sql._where.Append(" AND (types[1] = ");
                sql.Parameter(new NpgsqlParameter<string> { TypedValue = all[0] });
                sql._where.Append(" OR types @> ");
                sql.Parameter(new NpgsqlParameter<string[]> { TypedValue = [all[0]] });
                sql._where.Append(')');
            }
            else
            {
                sql.And("types && ", new NpgsqlParameter<string[]> { TypedValue = [.. all] }, "");
            }
            typesExact = types.IsSimpleDisjunction;
        }
        var idPattern = query.IdPattern;
        if (idPattern is not null)
        {
            EntityQueryFilter.CompilePattern(idPattern); // rejects an invalid pattern with 400
            if (TryTranslatePattern(idPattern) is { } translated)
            {
                sql.And("id ~ ", new NpgsqlParameter<string> { TypedValue = translated }, "");
                idPattern = null;
            }
        }
        var requireAny = query.RequireAnyAttribute;
        if (requireAny is { Count: > 0 })
        {
            // Exact: the stored document's attribute map holds every attribute by its expanded name.
            sql.And("(doc -> 'a') ?| ", new NpgsqlParameter<string[]> { TypedValue = [.. requireAny] }, "");
            requireAny = null;
        }
        foreach (var term in PushedTerm.Extract(query.Q))
        {
            sql.AddTerm(term);
        }
        sql.Residual = EntityQueryFilter.Create(new EntityQuery
        {
            Types = query.Types,
            IdPattern = idPattern,
            Selectors = query.Selectors,
            Q = query.Q,
            ScopeQ = query.ScopeQ,
            Geo = query.Geo,
            RequireAnyAttribute = requireAny,
            Limit = query.Limit,
            Offset = query.Offset,
            Count = query.Count,
        }, typesExact);
        return sql;
    }

    /// <summary>The query's parameters, fresh for one command.</summary>
    public void AddParameters(NpgsqlCommand command)
    {
        foreach (var parameter in _parameters)
        {
            command.Parameters.Add(parameter.Clone());
        }
    }

    /// <summary>Appends a parameter placeholder and returns its number.</summary>
    public int Parameter(NpgsqlParameter parameter)
    {
        _parameters.Add(parameter);
        _where.Append('$').Append(_parameters.Count);
        return _parameters.Count;
    }

    private void And(string before, NpgsqlParameter parameter, string after)
    {
        _where.Append(" AND ").Append(before);
        Parameter(parameter);
        _where.Append(after);
    }

    /// <summary>
    /// A pushed q term as a condition on <c>vals</c>: equality as containments (<c>vals @&gt; {"a":{"s":["x"]}}</c>,
    /// answered by the GIN index), a numeric range as a jsonpath filter over the attribute's numbers.
    /// </summary>
    private void AddTerm(PushedTerm term)
    {
        if (term.IsRange)
        {
            var condition = new StringBuilder();
            if (term.Low is { } low)
            {
                condition.Append("@ ").Append(term.LowInclusive ? ">=" : ">").Append(' ').Append(EntityValues.Number(low));
            }
            if (term.High is { } high)
            {
                if (condition.Length > 0)
                {
                    condition.Append(" && ");
                }
                condition.Append("@ ").Append(term.HighInclusive ? "<=" : "<").Append(' ').Append(EntityValues.Number(high));
            }
            var path = $"strict $.{EntityValues.PathString(term.Name)}.n[*] ? ({condition})";
            And("vals @? ", new NpgsqlParameter<string> { TypedValue = path, NpgsqlDbType = NpgsqlDbType.JsonPath }, "");
            return;
        }
        var alternatives = new List<string>();
        foreach (var text in term.Strings)
        {
            alternatives.Add(EntityValues.Containment(term.Name, "s", w => w.WriteStringValue(text)));
        }
        foreach (var number in term.Numbers)
        {
            alternatives.Add(EntityValues.Containment(term.Name, "n", w => w.WriteNumberValue(number)));
        }
        foreach (var flag in term.Booleans)
        {
            alternatives.Add(EntityValues.Containment(term.Name, "b", w => w.WriteBooleanValue(flag != 0)));
        }
        if (alternatives.Count == 0)
        {
            return;
        }
        _where.Append(" AND (");
        for (var i = 0; i < alternatives.Count; i++)
        {
            if (i > 0)
            {
                _where.Append(" OR ");
            }
            _where.Append("vals @> ");
            Parameter(new NpgsqlParameter<string> { TypedValue = alternatives[i], NpgsqlDbType = NpgsqlDbType.Jsonb });
        }
        _where.Append(')');
    }

    /// <summary>
    /// The idPattern as an anchored PostgreSQL (ARE) regular expression when it uses only syntax that .NET and
    /// PostgreSQL read the same way on ids (ASCII literals, <c>. * + ? | ( ) [ ] { } ^ $</c>, escaped punctuation);
    /// otherwise null, and the pattern is checked in process.
    /// </summary>
    internal static string? TryTranslatePattern(string pattern)
    {
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c > 0x7E || c < 0x20)
            {
                return null;
            }
            if (c == '\\')
            {
                // Only an escaped punctuation character (a literal in both); \d, \w, \b... differ between engines.
                if (i + 1 >= pattern.Length || char.IsLetterOrDigit(pattern[i + 1]) || pattern[i + 1] > 0x7E)
                {
                    return null;
                }
                i++;
                continue;
            }
            if ((c == '(' && i + 1 < pattern.Length && pattern[i + 1] == '?') || (c == '[' && i + 1 < pattern.Length && pattern[i + 1] is ':' or '=' or '.'))
            {
                return null; // groups with options, POSIX classes, collating elements
            }
            if (c == '[' && pattern.IndexOf("[:", i + 1, StringComparison.Ordinal) >= 0)
            {
                return null;
            }
        }
        return $"^(?:{pattern})$";
    }

    /// <summary>A JSON array of strings (for logs and EXPLAIN samples).</summary>
    internal static string JsonArray(IEnumerable<string> values) => JsonSerializer.Serialize(values.ToArray());
}
