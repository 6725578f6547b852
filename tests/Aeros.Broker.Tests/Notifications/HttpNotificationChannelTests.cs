using System.Net;
using System.Net.Sockets;
using System.Text;
using Aeros.Broker.Notifications;
using Microsoft.Extensions.DependencyInjection;

namespace Aeros.Broker.Tests.Notifications;

public sealed class HttpNotificationChannelTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private ServiceProvider _services = null!;
    private HttpNotificationChannel _channel = null!;

    public Task InitializeAsync()
    {
        _services = Notify.Services();
        _channel = _services.GetServices<INotificationChannel>().OfType<HttpNotificationChannel>().Single();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task SendAsync_JsonWithLinkTenantAndReceiverInfo_PostsBodyAndHeaders()
    {
        await using var receiver = await NotificationReceiver.StartAsync();
        const string Body = """{"id":"urn:ngsi-ld:Notification:7","type":"Notification","subscriptionId":"urn:ngsi-ld:Subscription:1","data":[{"id":"urn:a","type":"T"}]}""";
        var message = Notify.Message(receiver.Url("/hooks/ngsi"), Body, tenant: "tenant1", receiverInfo:
        [
            new("X-Auth-Token", "secret-1"),
            new("Fiware-Service", "openiot"),
            new("bad name", "x"),
            new("X-Line-Break", "a\r\nInjected: 1"),
            new("X-Non-Ascii", "caf\u00e9"),
            new("Content-Length", "1"),
            new("Host", "elsewhere.example"),
            new("", "empty"),
        ]);

        var result = await _channel.SendAsync(message, CancellationToken.None).WaitAsync(Deadline);

        Assert.True(result.Success, result.Error);
        var request = Assert.Single(receiver.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/hooks/ngsi", request.Path);
        Assert.Equal(Body, request.Body);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal(Notify.Link, request.Headers["Link"]);
        Assert.Equal("tenant1", request.Headers["NGSILD-Tenant"]);
        Assert.Equal("secret-1", request.Headers["X-Auth-Token"]);
        Assert.Equal("openiot", request.Headers["Fiware-Service"]);
        Assert.Equal(Encoding.UTF8.GetByteCount(Body).ToString(System.Globalization.CultureInfo.InvariantCulture), request.Headers["Content-Length"]);
        Assert.Equal(receiver.BaseAddress.Authority, request.Headers["Host"]);
        Assert.False(request.Headers.ContainsKey("X-Line-Break"));
        Assert.False(request.Headers.ContainsKey("Injected"));
        Assert.False(request.Headers.ContainsKey("X-Non-Ascii"));
    }

    [Fact]
    public async Task SendAsync_LdJsonDefaultTenant_HasNoLinkAndNoTenantHeader()
    {
        await using var receiver = await NotificationReceiver.StartAsync();
        var message = Notify.Message(receiver.Url(), contentType: "application/ld+json", link: null);

        var result = await _channel.SendAsync(message, CancellationToken.None).WaitAsync(Deadline);

        Assert.True(result.Success, result.Error);
        var request = Assert.Single(receiver.Requests);
        Assert.Equal("application/ld+json", request.ContentType);
        Assert.False(request.Headers.ContainsKey("Link"));
        Assert.False(request.Headers.ContainsKey("NGSILD-Tenant"));
    }

    [Theory]
    [InlineData(200, true, false)]
    [InlineData(201, true, false)]
    [InlineData(204, true, false)]
    [InlineData(408, false, true)]
    [InlineData(429, false, true)]
    [InlineData(500, false, true)]
    [InlineData(503, false, true)]
    [InlineData(301, false, false)]
    [InlineData(400, false, false)]
    [InlineData(401, false, false)]
    [InlineData(404, false, false)]
    [InlineData(422, false, false)]
    public async Task SendAsync_Status_MapsToResult(int status, bool success, bool retryable)
    {
        await using var receiver = await NotificationReceiver.StartAsync((_, _, _) => Task.FromResult(status));

        var result = await _channel.SendAsync(Notify.Message(receiver.Url()), CancellationToken.None).WaitAsync(Deadline);

        Assert.Equal(success, result.Success);
        Assert.Equal(retryable, result.Retryable);
        if (!success)
        {
            Assert.StartsWith($"HTTP {status}", result.Error);
        }
    }

    [Fact]
    public async Task SendAsync_NothingListens_ReturnsRetryableFailureWithoutThrowing()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var result = await _channel.SendAsync(Notify.Message(new Uri($"http://127.0.0.1:{port}/notify")), CancellationToken.None).WaitAsync(Deadline);

        Assert.False(result.Success);
        Assert.True(result.Retryable);
        Assert.StartsWith("connection failed", result.Error);
    }

    [Fact]
    public async Task SendAsync_Cancelled_ThrowsOperationCanceled()
    {
        await using var receiver = await NotificationReceiver.StartAsync((_, _, ct) => NotificationReceiver.Hang(ct));
        using var cts = new CancellationTokenSource();
        var send = _channel.SendAsync(Notify.Message(receiver.Url()), cts.Token);
        await receiver.WaitForCountAsync(1, Deadline);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send.WaitAsync(Deadline));
    }

    [Theory]
    [InlineData("http://127.0.0.1/x", true)]
    [InlineData("https://example.org/x", true)]
    [InlineData("mqtt://127.0.0.1/x", false)]
    public void Supports_Scheme_OnlyHttpAndHttps(string endpoint, bool expected) =>
        Assert.Equal(expected, _channel.Supports(new Uri(endpoint)));
}
