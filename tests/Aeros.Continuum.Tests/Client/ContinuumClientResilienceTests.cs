using System.Net;
using Aeros.Abstractions.Continuum;
using Aeros.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Polly.Timeout;

namespace Aeros.Continuum.Tests.Client;

public sealed class ContinuumClientResilienceTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task UpsertAsync_BrokerDownThenBack_SucceedsByRetrying()
    {
        await using var broker = await TestBroker.StartAsync().WaitAsync(Deadline);
        using var http = broker.CreateHttpClient();
        var logger = new RecordingLogger<ContinuumClient>();
        var client = new ContinuumClient(http, new ContinuumClientOptions
        {
            MaxAttempts = 30,
            RetryBaseDelay = TimeSpan.FromMilliseconds(50),
            RetryMaxDelay = TimeSpan.FromMilliseconds(500),
            RequestTimeout = TimeSpan.FromSeconds(2),
        }, TimeProvider.System, logger);
        var before = NewElement();
        await client.UpsertAsync(before).WaitAsync(Deadline);
        await broker.StopAsync().WaitAsync(Deadline);

        var after = NewElement();
        var upsert = client.UpsertAsync(after);
        await logger.WaitForEventAsync(4000, Deadline); // a retry happened while the broker was down
        Assert.False(upsert.IsCompleted);
        await broker.RestartAsync().WaitAsync(Deadline);
        await upsert.WaitAsync(Deadline);

        Assert.NotNull(await client.GetAsync<InfrastructureElement>(after.Id).WaitAsync(Deadline));
        Assert.NotNull(await client.GetAsync<InfrastructureElement>(before.Id).WaitAsync(Deadline));
    }

    [Fact]
    public async Task UpsertAsync_HostedContextDeleted_RegistersItAgain()
    {
        await using var broker = await TestBroker.StartAsync().WaitAsync(Deadline);
        using var http = broker.CreateHttpClient();
        var logger = new RecordingLogger<ContinuumClient>();
        var client = new ContinuumClient(http, new ContinuumClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) }, TimeProvider.System, logger);
        await client.UpsertAsync(NewElement()).WaitAsync(Deadline);
        var hosted = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync("ngsi-ld/v1/jsonldContexts?kind=Hosted").WaitAsync(Deadline))!.AsArray();
        using (var deleted = await http.DeleteAsync(hosted.Single()!.GetValue<string>()).WaitAsync(Deadline))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        var ie = NewElement();
        await client.UpsertAsync(ie).WaitAsync(Deadline);

        Assert.NotNull(await client.GetAsync<InfrastructureElement>(ie.Id).WaitAsync(Deadline));
        Assert.Equal(2, logger.Entries.Count(l => l.EventId.Id == 4002));
    }

    [Fact]
    public async Task PingAsync_StoppedBroker_ReturnsFalseThenTrueWhenBack()
    {
        await using var broker = await TestBroker.StartAsync().WaitAsync(Deadline);
        using var http = broker.CreateHttpClient();
        var client = new ContinuumClient(http, new ContinuumClientOptions(), TimeProvider.System);
        await broker.StopAsync().WaitAsync(Deadline);

        Assert.False(await client.PingAsync().WaitAsync(Deadline));
        await broker.RestartAsync().WaitAsync(Deadline);
        Assert.True(await client.PingAsync().WaitAsync(Deadline));
    }

    [Fact]
    public async Task GetAsync_NobodyListening_ThrowsTransientAfterEveryAttempt()
    {
        await using var broker = await TestBroker.StartAsync().WaitAsync(Deadline);
        using var http = broker.CreateHttpClient();
        await broker.StopAsync().WaitAsync(Deadline);
        var logger = new RecordingLogger<ContinuumClient>();
        var client = new ContinuumClient(http, new ContinuumClientOptions { MaxAttempts = 3, RetryBaseDelay = TimeSpan.FromMilliseconds(10) }, TimeProvider.System, logger);

        var e = await Assert.ThrowsAsync<ContinuumClientException>(() => client.GetAsync<Domain>("urn:ngsi-ld:Domain:x").WaitAsync(Deadline));

        Assert.Null(e.Status);
        Assert.True(e.IsTransient);
        Assert.Equal(2, logger.Entries.Count(l => l.EventId.Id == 4000));
        Assert.Single(logger.Entries, l => l.EventId.Id == 4001);
    }

    [Fact]
    public async Task GetAsync_BrokerNeverAnswers_TimesOutPerAttempt()
    {
        await using var server = await FakeBroker.StartAsync(async http => await Task.Delay(Timeout.Infinite, http.RequestAborted));
        using var http = new HttpClient { BaseAddress = server.Url };
        var client = new ContinuumClient(http, new ContinuumClientOptions
        {
            MaxAttempts = 2,
            RequestTimeout = TimeSpan.FromMilliseconds(300),
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            ContextUrl = new Uri("http://127.0.0.1/context.jsonld"),
        }, TimeProvider.System);

        var e = await Assert.ThrowsAsync<ContinuumClientException>(() => client.GetAsync<Domain>("urn:ngsi-ld:Domain:x").WaitAsync(Deadline));

        Assert.IsType<TimeoutRejectedException>(e.InnerException);
        Assert.True(e.IsTransient);
        Assert.Equal(2, server.Requests);
    }

    [Theory]
    [InlineData(503)]
    [InlineData(429)]
    [InlineData(500)]
    public async Task GetAsync_TransientStatus_RetriedThenReportedWithProblem(int status)
    {
        await using var server = await FakeBroker.StartAsync(async http =>
        {
            http.Response.StatusCode = status;
            http.Response.ContentType = "application/problem+json";
            await http.Response.WriteAsync("""{"type":"https://example.org/busy","title":"Busy","detail":"try later"}""");
        });
        using var http = new HttpClient { BaseAddress = server.Url };
        var client = new ContinuumClient(http, new ContinuumClientOptions
        {
            MaxAttempts = 3,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            ContextUrl = new Uri("http://127.0.0.1/context.jsonld"),
        }, TimeProvider.System);

        var e = await Assert.ThrowsAsync<ContinuumClientException>(() => client.GetAsync<Domain>("urn:ngsi-ld:Domain:x").WaitAsync(Deadline));

        Assert.Equal((HttpStatusCode)status, e.Status);
        Assert.Equal("https://example.org/busy", e.ProblemType);
        Assert.Equal("try later", e.Detail);
        Assert.True(e.IsTransient);
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public async Task GetAsync_ClientError_IsNotRetried()
    {
        await using var server = await FakeBroker.StartAsync(async http =>
        {
            http.Response.StatusCode = 400;
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync("""{"type":"https://uri.etsi.org/ngsi-ld/errors/BadRequestData","title":"Bad","detail":"no"}""");
        });
        using var http = new HttpClient { BaseAddress = server.Url };
        var client = new ContinuumClient(http, new ContinuumClientOptions { MaxAttempts = 5, ContextUrl = new Uri("http://127.0.0.1/c.jsonld") }, TimeProvider.System);

        var e = await Assert.ThrowsAsync<ContinuumClientException>(() => client.GetAsync<Domain>("urn:ngsi-ld:Domain:x").WaitAsync(Deadline));

        Assert.Equal(HttpStatusCode.BadRequest, e.Status);
        Assert.False(e.IsTransient);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public void Constructor_InvalidOptions_ListsEveryError()
    {
        using var http = new HttpClient();
        var e = Assert.Throws<ArgumentException>(() => new ContinuumClient(http, new ContinuumClientOptions
        {
            RequestTimeout = TimeSpan.Zero,
            MaxAttempts = 0,
            PageSize = 0,
            Tenant = "a b",
        }, TimeProvider.System));

        Assert.Contains("BrokerUrl is required", e.Message, StringComparison.Ordinal);
        Assert.Contains("RequestTimeout", e.Message, StringComparison.Ordinal);
        Assert.Contains("MaxAttempts", e.Message, StringComparison.Ordinal);
        Assert.Contains("PageSize", e.Message, StringComparison.Ordinal);
        Assert.Contains("Tenant", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_BrokerUrlWithoutBaseAddress_UsesIt()
    {
        using var http = new HttpClient();
        var client = new ContinuumClient(http, new ContinuumClientOptions { BrokerUrl = new Uri("http://127.0.0.1:9090") }, TimeProvider.System);

        Assert.Equal(new Uri("http://127.0.0.1:9090/"), client.BrokerUrl);
    }

    private static InfrastructureElement NewElement() => new()
    {
        Id = ContinuumIds.InfrastructureElement("retry", Guid.NewGuid().ToString("N")[..12]),
        CpuCores = 1,
    };

    /// <summary>A server on 127.0.0.1 that answers every request with <c>handler</c> and counts them.</summary>
    private sealed class FakeBroker : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _requests;

        private FakeBroker(WebApplication app) => _app = app;

        public Uri Url { get; private set; } = null!;

        public int Requests => Volatile.Read(ref _requests);

        public static async Task<FakeBroker> StartAsync(RequestDelegate handler)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Critical);
            var app = builder.Build();
            var fake = new FakeBroker(app);
            app.Run(async http =>
            {
                Interlocked.Increment(ref fake._requests);
                try
                {
                    await handler(http);
                }
                catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
                {
                }
            });
            await app.StartAsync().WaitAsync(Deadline);
            fake.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            return fake;
        }

        public async ValueTask DisposeAsync()
        {
            using var timeout = new CancellationTokenSource(Deadline);
            try
            {
                await _app.StopAsync(timeout.Token);
            }
            finally
            {
                await _app.DisposeAsync();
            }
        }
    }
}
