using System.Text;
using System.Text.Json;
using Aeros.Broker.Query;
using Aeros.Broker.Storage;
using Aeros.Broker.Storage.Sqlite;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
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
internal sealed partial class PostgresQuery
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

    /// <summary>
    /// Builds the SQL of <paramref name="query"/>; with <paramref name="geo"/> (the PostGIS layer exists) a geo-query
    /// narrows the candidates in SQL too. Without <paramref name="regexInSql"/> no regular expression goes to the
    /// database (the retry when PostgreSQL rejects one that .NET accepted). Throws NgsiLdException BadRequestData for
    /// an invalid idPattern.
    /// </summary>
    public static PostgresQuery Build(string tenant, EntityQuery query, bool geo = false, bool regexInSql = true)
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
            if (regexInSql && TryTranslatePattern(idPattern) is { } translated)
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
        if (query.Q is { } q && sql.Narrow(q.Root, 0, regexInSql) is { } narrowed)
        {
            sql._where.Append(" AND ").Append(narrowed);
        }
        if (query.ScopeQ is { } scopeQ)
        {
            sql._where.Append(" AND ").Append(sql.Scopes(scopeQ));
        }
        if (geo && query.Geo is { } geoQuery)
        {
            sql.AddGeo(geoQuery);
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
        sql.Body = sql.ProjectedBody(query);
        return sql;
    }

    /// <summary>The select expression of the stored body: the column, or the body without the attributes nobody reads.</summary>
    public string Body { get; private set; } = "body";

    /// <summary>
    /// With <see cref="EntityQuery.KeepAttributes"/>/<see cref="EntityQuery.DropAttributes"/>: the body rebuilt in SQL
    /// with only the attributes the response renders plus those the in-process check reads (q, geo, attrs). It works on
    /// the body as <c>json</c> (not <c>jsonb</c>), which keeps member order and value text as written, so the entity
    /// decodes exactly as the full one would, minus attributes.
    /// </summary>
    private string ProjectedBody(EntityQuery query)
    {
        if (query.KeepAttributes is null && query.DropAttributes is null)
        {
            return "body";
        }
        var used = new HashSet<string>(StringComparer.Ordinal);
        if (query.Q is { } q)
        {
            CollectAttributes(q.Root, used);
        }
        if (query.Geo is { } geo)
        {
            used.Add(geo.GeoProperty);
        }
        if (query.RequireAnyAttribute is { } required)
        {
            used.UnionWith(required);
        }
        string filter;
        if (query.KeepAttributes is { } keep)
        {
            filter = "ak = ANY(" + Param(new NpgsqlParameter<string[]> { TypedValue = [.. keep.Union(used)] }) + ")";
        }
        else
        {
            string[] drop = [.. query.DropAttributes!.Except(used)];
            if (drop.Length == 0)
            {
                return "body";
            }
            filter = "ak <> ALL(" + Param(new NpgsqlParameter<string[]> { TypedValue = drop }) + ")";
        }
        return "convert_to((SELECT json_object_agg(k, CASE WHEN k = 'a' THEN (SELECT coalesce(json_object_agg(ak, av ORDER BY ao), '{}'::json) "
            + "FROM json_each(v) WITH ORDINALITY AS x(ak, av, ao) WHERE " + filter + ") ELSE v END ORDER BY o) "
            + "FROM json_each(convert_from(body, 'UTF8')::json) WITH ORDINALITY AS t(k, v, o))::text, 'UTF8')";
    }

    private static void CollectAttributes(QNode node, HashSet<string> names)
    {
        switch (node)
        {
            case QAnd and:
                foreach (var operand in and.Operands)
                {
                    CollectAttributes(operand, names);
                }
                break;
            case QOr or:
                foreach (var operand in or.Operands)
                {
                    CollectAttributes(operand, names);
                }
                break;
            case QTerm { Root: QRootKind.Attribute } term:
                names.Add(term.Attribute);
                break;
        }
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

    /// <summary>Adds a parameter and returns its placeholder (for fragments built before they are appended).</summary>
    private string Param(NpgsqlParameter parameter)
    {
        _parameters.Add(parameter);
        return "$" + _parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private void And(string before, NpgsqlParameter parameter, string after)
    {
        _where.Append(" AND ").Append(before);
        Parameter(parameter);
        _where.Append(after);
    }

    /// <summary>
    /// A pushed q term: equality as containments in <c>vals</c> (<c>vals @&gt; {"a":{"s":["x"]}}</c>, answered by
    /// the GIN index), a numeric range as a semi-join on <c>entity_numbers</c> (B-tree on tenant, attribute, value;
    /// the planner drives from it when the range is selective, or probes it per entity in id order when not).
    /// </summary>
    private string PushedSql(PushedTerm term)
    {
        if (term.IsRange)
        {
            var sb = new StringBuilder("EXISTS (SELECT 1 FROM entity_numbers n WHERE n.tenant = entities.tenant AND n.id = entities.id AND n.attr = ");
            sb.Append(Param(new NpgsqlParameter<string> { TypedValue = term.Name }));
            if (term.Low is { } low)
            {
                sb.Append(" AND n.value ").Append(term.LowInclusive ? ">= " : "> ").Append(Param(new NpgsqlParameter<double> { TypedValue = low }));
            }
            if (term.High is { } high)
            {
                sb.Append(" AND n.value ").Append(term.HighInclusive ? "<= " : "< ").Append(Param(new NpgsqlParameter<double> { TypedValue = high }));
            }
            return sb.Append(')').ToString();
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
        return Containments(alternatives);
    }

    /// <summary><c>(vals @&gt; $a OR vals @&gt; $b ...)</c>, or FALSE for no alternative.</summary>
    private string Containments(List<string> alternatives)
    {
        if (alternatives.Count == 0)
        {
            return "FALSE";
        }
        var sb = new StringBuilder("(");
        for (var i = 0; i < alternatives.Count; i++)
        {
            sb.Append(i > 0 ? " OR vals @> " : "vals @> ")
                .Append(Param(new NpgsqlParameter<string> { TypedValue = alternatives[i], NpgsqlDbType = NpgsqlDbType.Jsonb }));
        }
        return sb.Append(')').ToString();
    }

    /// <summary>
    /// A geo-query as a superset of its matches from <c>entity_geo</c> (the in-process check of the geo-query stays,
    /// so results are exactly those without PostGIS). Every relation needs a geometry in the GeoProperty. near with a
    /// (multi)point reference: points within maxDistance on the sphere (<c>ST_DWithin</c> on geography, GiST) — or,
    /// for minDistance, not within — with a little slack for the two haversine implementations; lines and polygons
    /// always remain candidates (the in-process distance to them is not PostGIS's). within, contains, intersects,
    /// equals and overlaps all imply that the bounding boxes intersect (<c>&amp;&amp;</c>, GiST); disjoint does not
    /// narrow further.
    /// </summary>
    private void AddGeo(GeoQuery geo)
    {
        var reference = geo.Reference;
        if (geo.Relation == GeoRelation.Near && reference is Point or MultiPoint && !reference.IsEmpty)
        {
            var shape = new NpgsqlParameter<byte[]> { TypedValue = new WKBWriter().Write(reference) };
            if (geo.MaxDistance is { } max)
            {
                // Driven by the GiST index on puntal; the other shapes come from a partial B-tree.
                _where.Append(" AND id IN (SELECT g.id FROM entity_geo g WHERE g.tenant = $1 AND g.attr = ");
                var attr = Parameter(new NpgsqlParameter<string> { TypedValue = geo.GeoProperty });
                _where.Append(" AND ST_DWithin(g.puntal, ST_GeomFromWKB(");
                Parameter(shape);
                _where.Append(", 4326)::geography, ");
                Parameter(new NpgsqlParameter<double> { TypedValue = (max * (1 + DistanceSlack)) + DistanceSlackMetres });
                _where.Append(", false) UNION ALL SELECT g.id FROM entity_geo g WHERE g.tenant = $1 AND g.attr = $")
                    .Append(attr).Append(" AND g.puntal IS NULL)");
                return;
            }
            var min = (geo.MinDistance!.Value * (1 - DistanceSlack)) - DistanceSlackMetres;
            GeoExists(geo.GeoProperty);
            if (min > 0)
            {
                _where.Append(" AND (g.puntal IS NULL OR NOT ST_DWithin(g.puntal, ST_GeomFromWKB(");
                Parameter(shape);
                _where.Append(", 4326)::geography, ");
                Parameter(new NpgsqlParameter<double> { TypedValue = min });
                _where.Append(", false))");
            }
            _where.Append(')');
            return;
        }
        GeoExists(geo.GeoProperty);
        if (geo.Relation is not (GeoRelation.Disjoint or GeoRelation.Near) && !reference.IsEmpty)
        {
            var box = reference.EnvelopeInternal;
            _where.Append(" AND g.geom && ST_MakeEnvelope(");
            Parameter(new NpgsqlParameter<double> { TypedValue = box.MinX });
            _where.Append(", ");
            Parameter(new NpgsqlParameter<double> { TypedValue = box.MinY });
            _where.Append(", ");
            Parameter(new NpgsqlParameter<double> { TypedValue = box.MaxX });
            _where.Append(", ");
            Parameter(new NpgsqlParameter<double> { TypedValue = box.MaxY });
            _where.Append(", 4326)");
        }
        _where.Append(')');
    }

    /// <summary>Opens <c>EXISTS (SELECT 1 FROM entity_geo g WHERE ... g.attr = $n</c>; the caller closes it.</summary>
    private void GeoExists(string geoProperty)
    {
        _where.Append(" AND EXISTS (SELECT 1 FROM entity_geo g WHERE g.tenant = entities.tenant AND g.id = entities.id AND g.attr = ");
        Parameter(new NpgsqlParameter<string> { TypedValue = geoProperty });
    }

    /// <summary>Relative slack on near distances: PostGIS's sphere (radius 6371008.77 m) vs the broker's haversine (6371008.8 m).</summary>
    private const double DistanceSlack = 1e-6;

    /// <summary>Absolute slack on near distances in metres (rounding of both computations).</summary>
    private const double DistanceSlackMetres = 0.01;

    /// <summary>
    /// The idPattern as an anchored PostgreSQL (ARE) regular expression when <see cref="PortableRegex.IsPortable"/>
    /// allows it; otherwise null, and the pattern is checked in process.
    /// </summary>
    internal static string? TryTranslatePattern(string pattern) => PortableRegex.IsPortable(pattern) ? $"^(?:{pattern})$" : null;

    /// <summary>A JSON array of strings (for logs and EXPLAIN samples).</summary>
    internal static string JsonArray(IEnumerable<string> values) => JsonSerializer.Serialize(values.ToArray());
}
