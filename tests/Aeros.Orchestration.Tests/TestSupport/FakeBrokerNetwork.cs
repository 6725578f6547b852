using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Orchestration.Federation;

namespace Aeros.Orchestration.Tests.TestSupport;

/// <summary>
/// A hand-written fake of the NGSI-LD API at the HTTP boundary: several brokers, told apart by host:port, holding
/// entities and context source registrations. It answers exactly the calls the federator makes and simulates the
/// federated view (a non-local Domain query also returns the Domain entities of the sources registered with
/// <c>localOnly</c>). A broker marked <see cref="FakeBroker.Down"/> refuses connections.
/// </summary>
internal sealed class FakeBrokerNetwork : HttpMessageHandler
{
    private readonly Dictionary<string, FakeBroker> _brokers = new(StringComparer.Ordinal);

    public FakeBroker Add(string name, int port)
    {
        var broker = new FakeBroker(this, new Uri($"http://127.0.0.1:{port}/"), "alias-" + name);
        lock (_brokers)
        {
            _brokers[broker.Url.Authority] = broker;
        }
        return broker;
    }

    public FakeBroker? Find(string authority)
    {
        lock (_brokers)
        {
            return _brokers.GetValueOrDefault(authority);
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var broker = Find(request.RequestUri!.Authority);
        if (broker is null || broker.Down)
        {
            throw new HttpRequestException($"Connection refused ({request.RequestUri.Authority})");
        }
        var body = request.Content is null ? null : JsonNode.Parse(await request.Content.ReadAsStringAsync(cancellationToken));
        return broker.Handle(request.Method, request.RequestUri, body);
    }
}

/// <summary>One fake broker of <see cref="FakeBrokerNetwork"/>.</summary>
internal sealed class FakeBroker(FakeBrokerNetwork network, Uri url, string alias)
{
    private readonly object _lock = new();
    private readonly Dictionary<string, JsonObject> _entities = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonObject> _registrations = new(StringComparer.Ordinal);

    public Uri Url { get; } = url;

    public string Alias { get; } = alias;

    public volatile bool Down;

    /// <summary>How many requests of each kind ("POST csourceRegistrations", ...) arrived.</summary>
    public Dictionary<string, int> Calls { get; } = [];

    public IReadOnlyList<string> RegistrationIds
    {
        get
        {
            lock (_lock)
            {
                return _registrations.Keys.Order(StringComparer.Ordinal).ToList();
            }
        }
    }

    public JsonObject? Registration(string id)
    {
        lock (_lock)
        {
            return _registrations.GetValueOrDefault(id)?.DeepClone().AsObject();
        }
    }

    public JsonObject? Entity(string id)
    {
        lock (_lock)
        {
            return _entities.GetValueOrDefault(id)?.DeepClone().AsObject();
        }
    }

    public void PutEntity(JsonObject entity)
    {
        lock (_lock)
        {
            _entities[entity["id"]!.GetValue<string>()] = entity;
        }
    }

    public void PutRegistration(JsonObject registration)
    {
        lock (_lock)
        {
            _registrations[registration["id"]!.GetValue<string>()] = registration;
        }
    }

    public HttpResponseMessage Handle(HttpMethod method, Uri uri, JsonNode? body)
    {
        var path = uri.AbsolutePath;
        const string root = "/ngsi-ld/v1/";
        if (!path.StartsWith(root, StringComparison.Ordinal))
        {
            return Status(HttpStatusCode.NotFound);
        }
        var rest = path[root.Length..];
        var query = System.Web.HttpUtility.ParseQueryString(uri.Query);
        lock (_lock)
        {
            var key = method.Method + " " + rest.Split('/')[0];
            Calls[key] = Calls.GetValueOrDefault(key) + 1;
            switch (method.Method, rest.Split('/'))
            {
                case ("GET", ["info", "sourceIdentity"]):
                    return Json(HttpStatusCode.OK, new JsonObject { ["id"] = "urn:ngsi-ld:ContextSourceIdentity:" + Alias, ["type"] = "ContextSourceIdentity", ["contextSourceAlias"] = Alias });
                case ("GET", ["entities"]):
                    return Json(HttpStatusCode.OK, QueryEntities(query["type"]!, query["local"] == "true"));
                case ("GET", ["entities", var id]):
                    return _entities.TryGetValue(Uri.UnescapeDataString(id), out var entity) ? Json(HttpStatusCode.OK, entity.DeepClone()) : Status(HttpStatusCode.NotFound);
                case ("POST", ["entityOperations", "upsert"]):
                    foreach (var item in body!.AsArray())
                    {
                        var obj = item!.AsObject();
                        var entityId = obj["id"]!.GetValue<string>();
                        if (_entities.TryGetValue(entityId, out var existing))
                        {
                            foreach (var (name, value) in obj)
                            {
                                existing[name] = value?.DeepClone();
                            }
                        }
                        else
                        {
                            _entities[entityId] = obj.DeepClone().AsObject();
                        }
                    }
                    return Status(HttpStatusCode.NoContent);
                case ("POST", ["csourceRegistrations"]):
                    {
                        var id = body!["id"]!.GetValue<string>();
                        if (_registrations.ContainsKey(id))
                        {
                            return Json(HttpStatusCode.Conflict, new JsonObject { ["type"] = "https://uri.etsi.org/ngsi-ld/errors/AlreadyExists", ["detail"] = id });
                        }
                        _registrations[id] = body.DeepClone().AsObject();
                        return Status(HttpStatusCode.Created);
                    }
                case ("PATCH", ["csourceRegistrations", var id]):
                    {
                        id = Uri.UnescapeDataString(id);
                        if (!_registrations.TryGetValue(id, out var existing))
                        {
                            return Status(HttpStatusCode.NotFound);
                        }
                        foreach (var (name, value) in body!.AsObject())
                        {
                            existing[name] = value?.DeepClone();
                        }
                        return Status(HttpStatusCode.NoContent);
                    }
                case ("DELETE", ["csourceRegistrations", var id]):
                    return _registrations.Remove(Uri.UnescapeDataString(id)) ? Status(HttpStatusCode.NoContent) : Status(HttpStatusCode.NotFound);
                case ("GET", ["csourceRegistrations"]):
                    {
                        var type = query["type"]!;
                        return Json(HttpStatusCode.OK, new JsonArray(_registrations.Values.Where(r => Registers(r, type)).Select(r => (JsonNode?)r.DeepClone()).ToArray()));
                    }
                default:
                    return Status(HttpStatusCode.NotFound);
            }
        }
    }

    /// <summary>Local entities of the type, plus — unless local — those of every registered source (one hop, as localOnly makes it).</summary>
    private JsonArray QueryEntities(string type, bool local)
    {
        var result = new JsonArray();
        foreach (var entity in _entities.Values.Where(e => e["type"]!.GetValue<string>() == type))
        {
            result.Add(entity.DeepClone());
        }
        if (local)
        {
            return result;
        }
        foreach (var registration in _registrations.Values.Where(r => Registers(r, type)).ToList())
        {
            var endpoint = new Uri(registration["endpoint"]!.GetValue<string>());
            var source = network.Find(endpoint.Authority);
            if (source is null || source.Down || source == this)
            {
                continue;
            }
            foreach (var entity in source.LocalEntities(type))
            {
                if (!result.Any(e => e!["id"]!.GetValue<string>() == entity["id"]!.GetValue<string>()))
                {
                    result.Add(entity);
                }
            }
        }
        return result;
    }

    private List<JsonObject> LocalEntities(string type)
    {
        lock (_lock)
        {
            return _entities.Values.Where(e => e["type"]!.GetValue<string>() == type).Select(e => e.DeepClone().AsObject()).ToList();
        }
    }

    private static bool Registers(JsonObject registration, string type) =>
        registration["information"]!.AsArray().Any(i => i!["entities"]!.AsArray().Any(e => e!["type"]!.GetValue<string>() == type));

    private static HttpResponseMessage Status(HttpStatusCode status) => new(status) { Content = new ByteArrayContent([]) };

    private static HttpResponseMessage Json(HttpStatusCode status, JsonNode body) =>
        new(status) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
}
