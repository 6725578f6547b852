using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Tests.TestSupport;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.Distribution;

/// <summary>Several real brokers on 127.0.0.1:0 (each with its own data directory and alias), all stopped on dispose.</summary>
public sealed class PeerBrokers : IAsyncDisposable
{
    private readonly List<BrokerServer> _servers = [];
    private readonly HashSet<int> _stopped = [];

    public BrokerServer this[int index] => _servers[index];

    public static async Task<PeerBrokers> StartAsync(int count)
    {
        var peers = new PeerBrokers();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var server = new BrokerServer();
                peers._servers.Add(server);
                await server.InitializeAsync();
            }
        }
        catch
        {
            await peers.DisposeAsync();
            throw;
        }
        return peers;
    }

    /// <summary>Stops one broker early (e.g. to make a source unreachable); disposing later is harmless.</summary>
    public async Task StopAsync(int index)
    {
        if (_stopped.Add(index))
        {
            await _servers[index].DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < _servers.Count; i++)
        {
            await StopAsync(i);
        }
    }

    public static async Task<string> AliasAsync(BrokerServer server)
    {
        using var response = await server.Client.SendAsync(Request(HttpMethod.Get, "/info/sourceIdentity"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await ReadJsonAsync(response))!["contextSourceAlias"]!.GetValue<string>();
    }

    /// <summary>Registers <paramref name="endpoint"/> in <paramref name="at"/> for entities of <paramref name="type"/>.</summary>
    public static async Task<string> RegisterAsync(BrokerServer at, Uri endpoint, string type, string mode = "inclusive",
        JsonArray? operations = null, string? alias = null, JsonArray? propertyNames = null, string? entityId = null,
        JsonObject? management = null, string? tenant = null, JsonArray? contextSourceInfo = null, string? sourceTenant = null)
    {
        var entity = new JsonObject { ["type"] = type };
        if (entityId is not null)
        {
            entity["id"] = entityId;
        }
        var info = new JsonObject { ["entities"] = new JsonArray(entity) };
        if (propertyNames is not null)
        {
            info["propertyNames"] = propertyNames;
        }
        var registration = new JsonObject
        {
            ["type"] = "ContextSourceRegistration",
            ["information"] = new JsonArray(info),
            ["endpoint"] = endpoint.ToString(),
            ["mode"] = mode,
        };
        if (operations is not null)
        {
            registration["operations"] = operations;
        }
        if (alias is not null)
        {
            registration["contextSourceAlias"] = alias;
        }
        if (management is not null)
        {
            registration["management"] = management;
        }
        if (contextSourceInfo is not null)
        {
            registration["contextSourceInfo"] = contextSourceInfo;
        }
        if (sourceTenant is not null)
        {
            registration["tenant"] = sourceTenant;
        }
        using var response = await at.Client.SendAsync(Request(HttpMethod.Post, "/csourceRegistrations", Json(registration), tenant: tenant));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return response.Headers.Location!.OriginalString["/ngsi-ld/v1/csourceRegistrations/".Length..];
    }

    public static async Task CreateAsync(BrokerServer at, JsonObject entity, string? tenant = null)
    {
        using var response = await at.Client.SendAsync(Request(HttpMethod.Post, "/entities?local=true", Json(entity), tenant: tenant));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    public static JsonObject Entity(string id, string type, params (string Name, object Value)[] properties)
    {
        var entity = new JsonObject { ["id"] = id, ["type"] = type };
        foreach (var (name, value) in properties)
        {
            entity[name] = new JsonObject { ["type"] = "Property", ["value"] = System.Text.Json.JsonSerializer.SerializeToNode(value) };
        }
        return entity;
    }
}
