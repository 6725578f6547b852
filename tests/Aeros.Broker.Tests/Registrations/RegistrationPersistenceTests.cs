using Aeros.Broker.Postgres;
using Aeros.Testing;
using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Aeros.Broker.Registrations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static Aeros.Broker.Tests.TestSupport.Ngsi;

namespace Aeros.Broker.Tests.Registrations;

/// <summary>Registrations survive restarts, observers see every change, the alias is configurable and kept.</summary>
public sealed class RegistrationPersistenceTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "aeros-csr-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class RecordingObserver : IRegistrationObserver
    {
        public ConcurrentQueue<(string Tenant, string? Before, string? After)> Changes { get; } = new();

        public void OnRegistrationChanged(string tenant, ContextSourceRegistration? before, ContextSourceRegistration? after) =>
            Changes.Enqueue((tenant, before?.Document["endpoint"]?.GetValue<string>(), after?.Document["endpoint"]?.GetValue<string>()));
    }

    /// <summary>A broker on 127.0.0.1:0 over <see cref="_data"/>, with extra configuration and services.</summary>
    private async Task<(WebApplication App, HttpClient Client)> StartAsync(Dictionary<string, string?>? settings = null, IRegistrationObserver? observer = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        if (observer is not null)
        {
            builder.Services.AddSingleton(observer);
        }
        builder.Services.AddAerosBroker(o =>
        {
            o.DataDirectory = _data;
            TestStore.Apply(o);
        });
        builder.Services.AddAerosPostgresStore();
        var app = builder.Build();
        app.MapAerosBroker();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await app.StartAsync(cts.Token);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) });
    }

    private static async Task StopAsync(WebApplication app, HttpClient client)
    {
        client.Dispose();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await app.StopAsync(cts.Token);
        await app.DisposeAsync();
    }

    private static async Task<string> AliasAsync(HttpClient client)
    {
        using var response = await client.SendAsync(Request(HttpMethod.Get, "/info/sourceIdentity"));
        return (await ReadJsonAsync(response))!["contextSourceAlias"]!.GetValue<string>();
    }

    [Fact]
    public async Task Restart_RegistrationsAndAliasSurvive_ObserversSeeChanges()
    {
        var observer = new RecordingObserver();
        var (app, client) = await StartAsync(observer: observer);
        string alias;
        var id = NewId("ContextSourceRegistration");
        try
        {
            alias = await AliasAsync(client);
            var registration = RegistrationApiTests.Registration("Vehicle", id);
            registration["brandName"] = "Mercedes";
            using (var created = await client.SendAsync(Request(HttpMethod.Post, "/csourceRegistrations", Json(registration), tenant: "t1")))
            {
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }
            using (var patched = await client.SendAsync(Request(HttpMethod.Patch, $"/csourceRegistrations/{id}", Json("""{"endpoint":"http://127.0.0.1:2"}"""), tenant: "t1")))
            {
                Assert.Equal(HttpStatusCode.NoContent, patched.StatusCode);
            }
            var other = NewId("ContextSourceRegistration");
            using (var created = await client.SendAsync(Request(HttpMethod.Post, "/csourceRegistrations", Json(RegistrationApiTests.Registration("Vehicle", other)))))
            {
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }
            using (var deleted = await client.SendAsync(Request(HttpMethod.Delete, $"/csourceRegistrations/{other}")))
            {
                Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            }
            Assert.Equal(
                [("t1", null, "http://127.0.0.1:1026"), ("t1", "http://127.0.0.1:1026", "http://127.0.0.1:2"), ("", null, "http://127.0.0.1:1026"), ("", "http://127.0.0.1:1026", null)],
                observer.Changes.ToArray());
        }
        finally
        {
            await StopAsync(app, client);
        }
        (app, client) = await StartAsync();
        try
        {
            Assert.Equal(alias, await AliasAsync(client));
            using var response = await client.SendAsync(Request(HttpMethod.Get, $"/csourceRegistrations/{id}", tenant: "t1"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var stored = (await ReadJsonAsync(response))!;
            Assert.Equal("http://127.0.0.1:2", stored["endpoint"]!.GetValue<string>());
            Assert.Equal("Mercedes", stored["brandName"]!.GetValue<string>());
            Assert.Equal("speed", stored["information"]![0]!["propertyNames"]![0]!.GetValue<string>());
            using var query = await client.SendAsync(Request(HttpMethod.Get, "/csourceRegistrations?type=Vehicle", tenant: "t1"));
            Assert.Single((JsonArray)(await ReadJsonAsync(query))!);
        }
        finally
        {
            await StopAsync(app, client);
        }
    }

    [Fact]
    public async Task Options_ConfiguredAliasAndTimeout_AreUsed()
    {
        var (app, client) = await StartAsync(new() { ["Broker:Distribution:ContextSourceAlias"] = "domain-a", ["Broker:Distribution:DefaultTimeout"] = "00:00:02" });
        try
        {
            Assert.Equal("domain-a", await AliasAsync(client));
            Assert.Equal(TimeSpan.FromSeconds(2), app.Services.GetRequiredService<IOptions<Aeros.Broker.Distribution.DistributionOptions>>().Value.DefaultTimeout);
        }
        finally
        {
            await StopAsync(app, client);
        }
    }

    [Fact]
    public async Task Options_Invalid_FailStartWithEveryError()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(new()
        {
            ["Broker:Distribution:ContextSourceAlias"] = "a b",
            ["Broker:Distribution:DefaultTimeout"] = "00:00:00",
            ["Broker:Distribution:MaxEntitiesPerSource"] = "0",
        }));
        Assert.Equal(3, error.Failures.Count());
    }
}
