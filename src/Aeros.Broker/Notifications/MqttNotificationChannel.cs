using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Exceptions;

namespace Aeros.Broker.Notifications;

/// <summary>
/// Publishes notifications to <c>mqtt</c> and <c>mqtts</c> endpoints (ETSI GS CIM 009 §7.2): one message per
/// notification, <c>{"metadata": {"Content-Type", "Link", receiverInfo...}, "body": notification}</c>, on the topic
/// given by the URI path. One client per broker, user and protocol version stays connected and reconnects on the
/// next notification after the connection was lost.
/// </summary>
internal sealed partial class MqttNotificationChannel : INotificationChannel, IAsyncDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // The payload is read by programs, not embedded in HTML: keep '<', '>' and '"' of the Link value readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly ConcurrentDictionary<MqttConnectionKey, MqttConnection> _connections = new();
    private readonly MqttClientFactory _factory = new();
    private readonly ILogger _logger;
    private volatile bool _disposed;

    public MqttNotificationChannel(ILogger<MqttNotificationChannel> logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
    }

    /// <summary>Connections kept open now (tests, diagnostics).</summary>
    internal int ConnectionCount => _connections.Count;

    public bool Supports(Uri endpoint) => endpoint.IsAbsoluteUri && endpoint.Scheme is "mqtt" or "mqtts";

    public async Task<DeliveryResult> SendAsync(NotificationMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!MqttEndpoint.TryParse(message.Endpoint, message.NotifierInfo, out var endpoint, out var error))
        {
            return DeliveryResult.Failed(error, retryable: false);
        }
        byte[] payload;
        try
        {
            payload = BuildPayload(message);
        }
        catch (JsonException)
        {
            return DeliveryResult.Failed("The notification body is not valid JSON.", retryable: false);
        }
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = _connections.GetOrAdd(endpoint.Connection, key => new MqttConnection(key, _factory, _logger));
        return await connection.PublishAsync(endpoint, payload, cancellationToken);
    }

    /// <summary>The MQTT message: the notification in <c>body</c>, its HTTP-style headers in <c>metadata</c>.</summary>
    internal static byte[] BuildPayload(NotificationMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>(message.Body.Length + 256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("metadata");
            var written = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Content-Type" };
            writer.WriteString("Content-Type", message.ContentType);
            if (!string.IsNullOrEmpty(message.Link))
            {
                writer.WriteString("Link", message.Link);
                written.Add("Link");
            }
            if (!string.IsNullOrEmpty(message.Tenant))
            {
                writer.WriteString("NGSILD-Tenant", message.Tenant);
                written.Add("NGSILD-Tenant");
            }
            foreach (var (key, value) in message.ReceiverInfo)
            {
                // A receiverInfo key cannot override what the broker sets, nor appear twice in one JSON object.
                if (written.Add(key))
                {
                    writer.WriteString(key, value);
                }
            }
            writer.WriteEndObject();
            writer.WritePropertyName("body");
            writer.WriteRawValue(message.Body.Span);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var connection in _connections.Values)
        {
            await connection.DisposeAsync();
        }
        _connections.Clear();
    }

    /// <summary>One kept-open client to one broker with one identity and protocol version.</summary>
    private sealed class MqttConnection(MqttConnectionKey key, MqttClientFactory factory, ILogger logger) : IAsyncDisposable
    {
        private readonly IMqttClient _client = factory.CreateMqttClient();
        private readonly SemaphoreSlim _connectGate = new(1, 1);
        private bool _wasConnected;

        public async Task<DeliveryResult> PublishAsync(MqttEndpoint endpoint, byte[] payload, CancellationToken cancellationToken)
        {
            if (!_client.IsConnected)
            {
                var failure = await ConnectAsync(cancellationToken);
                if (failure is { } connectFailure)
                {
                    return connectFailure;
                }
            }
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(endpoint.Topic)
                .WithPayload(payload)
                .WithQualityOfServiceLevel(endpoint.QoS)
                .Build();
            try
            {
                var result = await _client.PublishAsync(message, cancellationToken);
                if (result.IsSuccess)
                {
                    return DeliveryResult.Ok;
                }
                // A v5 broker refused the message (not authorised, bad topic, quota): resending will not help, except for quota.
                return DeliveryResult.Failed(
                    $"MQTT broker {key} refused the message: {result.ReasonCode}{(string.IsNullOrEmpty(result.ReasonString) ? "" : " " + result.ReasonString)}",
                    retryable: result.ReasonCode is MqttClientPublishReasonCode.QuotaExceeded or MqttClientPublishReasonCode.UnspecifiedError);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return DeliveryResult.Failed($"MQTT publish to {key} failed: {exception.Message}", IsTransient(exception));
            }
        }

        /// <summary>Connects unless another caller did meanwhile; null on success, else the failure.</summary>
        private async Task<DeliveryResult?> ConnectAsync(CancellationToken cancellationToken)
        {
            await _connectGate.WaitAsync(cancellationToken);
            try
            {
                if (_client.IsConnected)
                {
                    return null;
                }
                if (_wasConnected)
                {
                    Log.Reconnecting(logger, key.ToString());
                }
                var builder = new MqttClientOptionsBuilder()
                    .WithTcpServer(key.Host, key.Port)
                    .WithProtocolVersion(key.Version)
                    .WithClientId("aeros-notifier-" + Guid.NewGuid().ToString("N"))
                    .WithCleanSession(true)
                    .WithKeepAlivePeriod(TimeSpan.FromSeconds(30));
                if (key.UserName is not null)
                {
                    builder.WithCredentials(key.UserName, key.Password);
                }
                if (key.Tls)
                {
                    builder.WithTlsOptions(tls => tls.UseTls(true).WithTargetHost(key.Host));
                }
                MqttClientConnectResult result;
                try
                {
                    result = await _client.ConnectAsync(builder.Build(), cancellationToken);
                }
                catch (MqttConnectingFailedException exception)
                {
                    // The broker answered CONNACK with an error, e.g. bad user name or password.
                    return DeliveryResult.Failed($"MQTT broker {key} refused the connection: {exception.Message}",
                        retryable: !IsAuthenticationFailure(exception.Message));
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    return DeliveryResult.Failed($"MQTT connection to {key} failed: {exception.Message}", IsTransient(exception));
                }
                if (result.ResultCode != MqttClientConnectResultCode.Success)
                {
                    return DeliveryResult.Failed($"MQTT broker {key} refused the connection: {result.ResultCode}",
                        retryable: !IsAuthenticationFailure(result.ResultCode.ToString()));
                }
                _wasConnected = true;
                Log.Connected(logger, key.ToString(), key.Version.ToString());
                return null;
            }
            finally
            {
                _connectGate.Release();
            }
        }

        private static bool IsAuthenticationFailure(string reason) =>
            reason.Contains(nameof(MqttClientConnectResultCode.BadUserNameOrPassword), StringComparison.Ordinal)
            || reason.Contains(nameof(MqttClientConnectResultCode.NotAuthorized), StringComparison.Ordinal)
            || reason.Contains(nameof(MqttClientConnectResultCode.Banned), StringComparison.Ordinal)
            || reason.Contains(nameof(MqttClientConnectResultCode.UnsupportedProtocolVersion), StringComparison.Ordinal);

        private static bool IsTransient(Exception exception) =>
            exception is MqttCommunicationException or SocketException or IOException or TimeoutException or OperationCanceledException
            || exception.InnerException is { } inner && IsTransient(inner);

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (_client.IsConnected)
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), timeout.Token);
                }
            }
            catch (Exception exception) when (exception is MqttCommunicationException or OperationCanceledException or SocketException or IOException)
            {
                // Leaving anyway: the broker drops the session when the socket closes.
            }
            finally
            {
                _client.Dispose();
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2630, EventName = "MqttConnected", Level = LogLevel.Debug,
            Message = "Connected to MQTT broker {Broker} ({Version}) for notifications.")]
        public static partial void Connected(ILogger logger, string broker, string version);

        [LoggerMessage(EventId = 2631, EventName = "MqttReconnecting", Level = LogLevel.Information,
            Message = "The connection to MQTT broker {Broker} was lost; reconnecting.")]
        public static partial void Reconnecting(ILogger logger, string broker);
    }
}
