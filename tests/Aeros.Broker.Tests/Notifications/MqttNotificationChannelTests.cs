using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Broker.Notifications;
using Aeros.Broker.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Aeros.Broker.Tests.Notifications;

/// <summary>An MQTTnet client subscribed to one topic of the test broker, keeping what arrives.</summary>
internal sealed class MqttSubscriber : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly ConcurrentQueue<MqttApplicationMessage> _messages = new();

    private MqttSubscriber(IMqttClient client) => _client = client;

    public IReadOnlyList<MqttApplicationMessage> Messages => [.. _messages];

    public static async Task<MqttSubscriber> StartAsync(Mosquitto broker, string topic)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var subscriber = new MqttSubscriber(client);
        client.ApplicationMessageReceivedAsync += e =>
        {
            subscriber._messages.Enqueue(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", broker.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId("aeros-test-" + Guid.NewGuid().ToString("N"))
            .Build(), cts.Token);
        // Subscribed at QoS 2, so each message arrives with the QoS it was published with.
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic(topic).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.ExactlyOnce))
            .Build(), cts.Token);
        return subscriber;
    }

    public Task WaitForCountAsync(int count, TimeSpan timeout) =>
        Eventually.WaitUntilAsync(() => _messages.Count >= count, timeout, $"{count} MQTT messages (got {_messages.Count})");

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (_client.IsConnected)
            {
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), cts.Token);
            }
        }
        finally
        {
            _client.Dispose();
        }
    }
}

public sealed class MqttNotificationChannelTests : IClassFixture<Mosquitto>, IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly Mosquitto _broker;
    private ServiceProvider _services = null!;
    private MqttNotificationChannel _channel = null!;

    public MqttNotificationChannelTests(Mosquitto broker) => _broker = broker;

    public Task InitializeAsync()
    {
        _services = Notify.Services(options =>
        {
            options.InitialBackoff = TimeSpan.FromMilliseconds(50);
            options.MaxBackoff = TimeSpan.FromMilliseconds(200);
            options.MaxAttempts = 5;
        });
        _channel = _services.GetServices<INotificationChannel>().OfType<MqttNotificationChannel>().Single();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    private static string NewTopic() => "aeros/test/" + Guid.NewGuid().ToString("N");

    private static JsonNode Payload(MqttApplicationMessage message) =>
        JsonNode.Parse(Encoding.UTF8.GetString(message.Payload))!;

    [Theory]
    [InlineData("mqtt5.0", "0", MqttQualityOfServiceLevel.AtMostOnce)]
    [InlineData("mqtt5.0", "1", MqttQualityOfServiceLevel.AtLeastOnce)]
    [InlineData("mqtt5.0", "2", MqttQualityOfServiceLevel.ExactlyOnce)]
    [InlineData("mqtt3.1.1", "0", MqttQualityOfServiceLevel.AtMostOnce)]
    [InlineData("mqtt3.1.1", "1", MqttQualityOfServiceLevel.AtLeastOnce)]
    [InlineData(null, null, MqttQualityOfServiceLevel.AtMostOnce)]
    public async Task SendAsync_VersionAndQoS_PublishesOneMessageWithMetadataAndBody(string? version, string? qos, MqttQualityOfServiceLevel expectedQoS)
    {
        var topic = NewTopic();
        await using var subscriber = await MqttSubscriber.StartAsync(_broker, topic);
        List<KeyValuePair<string, string>> notifierInfo = [];
        if (version is not null)
        {
            notifierInfo.Add(new("MQTT-Version", version));
        }
        if (qos is not null)
        {
            notifierInfo.Add(new("MQTT-QoS", qos));
        }
        var endpoint = new Uri($"mqtt://127.0.0.1:{_broker.Port}/{topic}");
        var first = Notify.Message(endpoint, Notify.Sequenced(1), notifierInfo: notifierInfo, tenant: "t1",
            receiverInfo: [new("X-Auth-Token", "secret-1"), new("Content-Type", "text/plain")]);
        var second = Notify.Message(endpoint, Notify.Sequenced(2), notifierInfo: notifierInfo);

        var firstResult = await _channel.SendAsync(first, CancellationToken.None).WaitAsync(Deadline);
        var secondResult = await _channel.SendAsync(second, CancellationToken.None).WaitAsync(Deadline);

        Assert.True(firstResult.Success, firstResult.Error);
        Assert.True(secondResult.Success, secondResult.Error);
        await subscriber.WaitForCountAsync(2, Deadline);
        // Exactly one message per notification: the second one follows the first directly.
        Assert.Equal(2, subscriber.Messages.Count);
        var message = subscriber.Messages[0];
        Assert.Equal(topic, message.Topic);
        Assert.Equal(expectedQoS, message.QualityOfServiceLevel);
        var expected = JsonNode.Parse($$"""
            {"metadata": {"Content-Type": "application/json", "Link": {{JsonValue.Create(Notify.Link).ToJsonString()}},
                          "NGSILD-Tenant": "t1", "X-Auth-Token": "secret-1"},
             "body": {{Notify.Sequenced(1)}}}
            """);
        Assert.True(JsonNode.DeepEquals(expected, Payload(message)), Payload(message).ToJsonString());
        Assert.Equal(2, Payload(subscriber.Messages[1])["body"]!["seq"]!.GetValue<int>());
        Assert.Equal(["Content-Type", "Link"], Payload(subscriber.Messages[1])["metadata"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task SendAsync_LdJsonWithoutLink_MetadataHasOnlyContentType()
    {
        var topic = NewTopic();
        await using var subscriber = await MqttSubscriber.StartAsync(_broker, topic);
        var message = Notify.Message(new Uri($"mqtt://127.0.0.1:{_broker.Port}/{topic}"), contentType: "application/ld+json", link: null);

        var result = await _channel.SendAsync(message, CancellationToken.None).WaitAsync(Deadline);

        Assert.True(result.Success, result.Error);
        await subscriber.WaitForCountAsync(1, Deadline);
        var metadata = Payload(subscriber.Messages[0])["metadata"]!.AsObject();
        Assert.Equal("application/ld+json", metadata["Content-Type"]!.GetValue<string>());
        Assert.Single(metadata);
    }

    [Fact]
    public async Task SendAsync_UserAndPassword_PublishesOnProtectedListener()
    {
        var topic = NewTopic();
        await using var subscriber = await MqttSubscriber.StartAsync(_broker, topic);
        var endpoint = new Uri($"mqtt://{Mosquitto.UserName}:{Uri.EscapeDataString(_broker.Password)}@127.0.0.1:{_broker.AuthPort}/{topic}");

        var result = await _channel.SendAsync(Notify.Message(endpoint, notifierInfo: [new("MQTT-QoS", "1")]), CancellationToken.None).WaitAsync(Deadline);

        Assert.True(result.Success, result.Error);
        await subscriber.WaitForCountAsync(1, Deadline);
    }

    [Theory]
    [InlineData("mqtt5.0", true)]
    [InlineData("mqtt3.1.1", true)]
    [InlineData("mqtt5.0", false)]
    public async Task SendAsync_WrongOrMissingPassword_FailsWithoutRetry(string version, bool withUser)
    {
        var credentials = withUser ? $"{Mosquitto.UserName}:wrong@" : "";
        var endpoint = new Uri($"mqtt://{credentials}127.0.0.1:{_broker.AuthPort}/{NewTopic()}");

        var result = await _channel.SendAsync(Notify.Message(endpoint, notifierInfo: [new("MQTT-Version", version)]), CancellationToken.None).WaitAsync(Deadline);

        Assert.False(result.Success);
        Assert.False(result.Retryable, result.Error);
        Assert.Contains("refused the connection", result.Error);
        Assert.DoesNotContain("wrong", result.Error);
    }

    [Theory]
    [InlineData("mqtt://127.0.0.1:1883", null, null, "no topic")]
    [InlineData("mqtt://127.0.0.1:1883/", null, null, "no topic")]
    [InlineData("mqtt://127.0.0.1:1883/a/+/b", null, null, "wildcards")]
    [InlineData("mqtt://127.0.0.1:1883/a/%23", null, null, "wildcards")]
    [InlineData("mqtt://127.0.0.1:1883/t", "MQTT-QoS", "3", "MQTT-QoS '3' is not supported")]
    [InlineData("mqtt://127.0.0.1:1883/t", "MQTT-Version", "mqtt4", "MQTT-Version 'mqtt4' is not supported")]
    public async Task SendAsync_BadEndpoint_FailsWithoutRetryAndSaysWhy(string endpoint, string? key, string? value, string expected)
    {
        List<KeyValuePair<string, string>> notifierInfo = key is null ? [] : [new(key, value!)];

        var result = await _channel.SendAsync(Notify.Message(new Uri(endpoint), notifierInfo: notifierInfo), CancellationToken.None).WaitAsync(Deadline);

        Assert.False(result.Success);
        Assert.False(result.Retryable);
        Assert.Contains(expected, result.Error);
    }

    [Fact]
    public async Task SendAsync_NoBrokerListening_ReturnsRetryableFailure()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var result = await _channel.SendAsync(Notify.Message(new Uri($"mqtt://127.0.0.1:{port}/t")), CancellationToken.None).WaitAsync(Deadline);

        Assert.False(result.Success);
        Assert.True(result.Retryable, result.Error);
    }

    [Fact]
    public async Task SendAsync_SameBrokerAndIdentity_SharesOneConnection()
    {
        var topic = NewTopic();
        await using var subscriber = await MqttSubscriber.StartAsync(_broker, topic);

        for (var i = 0; i < 3; i++)
        {
            var result = await _channel.SendAsync(Notify.Message(new Uri($"mqtt://127.0.0.1:{_broker.Port}/{topic}/{i}")), CancellationToken.None).WaitAsync(Deadline);
            Assert.True(result.Success, result.Error);
        }
        var v3 = await _channel.SendAsync(Notify.Message(new Uri($"mqtt://127.0.0.1:{_broker.Port}/{topic}"), notifierInfo: [new("MQTT-Version", "mqtt3.1.1")]), CancellationToken.None).WaitAsync(Deadline);

        Assert.True(v3.Success, v3.Error);
        Assert.Equal(2, _channel.ConnectionCount);
    }

    [Fact]
    public async Task Dispatcher_MqttEndpoint_DeliversInOrderAndReconnectsAfterBrokerRestart()
    {
        var topic = NewTopic();
        var dispatcher = _services.Dispatcher();
        var observer = new RecordingObserver();
        var endpoint = new Uri($"mqtt://127.0.0.1:{_broker.Port}/{topic}");
        List<KeyValuePair<string, string>> qos1 = [new("MQTT-QoS", "1")];
        await using (var subscriber = await MqttSubscriber.StartAsync(_broker, topic))
        {
            for (var i = 0; i < 20; i++)
            {
                Assert.True(dispatcher.Enqueue("mqtt-sub", Notify.Message(endpoint, Notify.Sequenced(i), notifierInfo: qos1), observer));
            }
            await observer.WaitForResultsAsync(20, Deadline);
            await subscriber.WaitForCountAsync(20, Deadline);
            Assert.All(observer.Results, r => Assert.True(r.Success, r.Error));
            Assert.Equal(Enumerable.Range(0, 20), subscriber.Messages.Select(m => Payload(m)["body"]!["seq"]!.GetValue<int>()));
        }

        await _broker.RestartAsync();
        await using var after = await MqttSubscriber.StartAsync(_broker, topic);
        dispatcher.Enqueue("mqtt-sub", Notify.Message(endpoint, Notify.Sequenced(100), notifierInfo: qos1), observer);

        await observer.WaitForResultsAsync(21, Deadline);
        Assert.True(observer.Results[20].Success, observer.Results[20].Error);
        await after.WaitForCountAsync(1, Deadline);
        Assert.Equal(100, Payload(after.Messages[0])["body"]!["seq"]!.GetValue<int>());
    }

    [Fact]
    public void BuildPayload_BodyNotJson_IsRejected() =>
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => MqttNotificationChannel.BuildPayload(Notify.Message(new Uri("mqtt://h/t"), "{not json")));
}
