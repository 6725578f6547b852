using System.Diagnostics.CodeAnalysis;
using System.Text;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Aeros.Broker.Notifications;

/// <summary>The MQTT broker a notification goes to; one kept-open client serves each distinct value.</summary>
internal readonly record struct MqttConnectionKey(string Host, int Port, string? UserName, string? Password, MqttProtocolVersion Version, bool Tls)
{
    /// <summary>For logs and errors: never the password.</summary>
    public override string ToString() => $"{(Tls ? "mqtts" : "mqtt")}://{(UserName is null ? "" : UserName + "@")}{Host}:{Port}";
}

/// <summary>
/// A parsed MQTT notification endpoint (ETSI GS CIM 009 §7.2): <c>mqtt[s]://[user[:password]@]host[:port]/topic</c>
/// with the notifierInfo settings <c>MQTT-QoS</c> (0, 1, 2; default 0) and <c>MQTT-Version</c>
/// (<c>mqtt3.1.1</c>, <c>mqtt5.0</c>; default mqtt5.0).
/// </summary>
internal sealed record MqttEndpoint(MqttConnectionKey Connection, string Topic, MqttQualityOfServiceLevel QoS)
{
    public const string QoSKey = "MQTT-QoS";
    public const string VersionKey = "MQTT-Version";
    public const int DefaultPort = 1883;
    public const int DefaultTlsPort = 8883;

    /// <summary>Parses the endpoint, or says in <paramref name="error"/> why it cannot be used.</summary>
    public static bool TryParse(
        Uri uri,
        IReadOnlyList<KeyValuePair<string, string>> notifierInfo,
        [NotNullWhen(true)] out MqttEndpoint? endpoint,
        [NotNullWhen(false)] out string? error)
    {
        endpoint = null;
        if (!uri.IsAbsoluteUri || uri.Scheme is not ("mqtt" or "mqtts"))
        {
            error = "MQTT endpoint must be an absolute mqtt:// or mqtts:// URI.";
            return false;
        }
        var tls = uri.Scheme == "mqtts";
        var host = uri.IdnHost;
        if (host.Length == 0)
        {
            error = "MQTT endpoint has no host.";
            return false;
        }
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            error = "MQTT endpoint must not have a query or fragment ('?' and '#' are not allowed in a topic).";
            return false;
        }
        var path = uri.AbsolutePath;
        var topic = Uri.UnescapeDataString(path.StartsWith('/') ? path[1..] : path);
        if (topic.Length == 0)
        {
            error = "MQTT endpoint has no topic: give it as the URI path, e.g. mqtt://host:1883/notifications.";
            return false;
        }
        if (topic.Contains('+', StringComparison.Ordinal) || topic.Contains('#', StringComparison.Ordinal) || topic.Contains('\0', StringComparison.Ordinal))
        {
            error = $"MQTT topic '{topic}' must not contain the wildcards '+' or '#'.";
            return false;
        }
        if (Encoding.UTF8.GetByteCount(topic) > ushort.MaxValue)
        {
            error = "MQTT topic is longer than 65535 bytes.";
            return false;
        }
        string? user = null;
        string? password = null;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        var qos = MqttQualityOfServiceLevel.AtMostOnce;
        var version = MqttProtocolVersion.V500;
        foreach (var (key, rawValue) in notifierInfo)
        {
            var value = rawValue.Trim();
            if (string.Equals(key, QoSKey, StringComparison.OrdinalIgnoreCase))
            {
                switch (value)
                {
                    case "0": qos = MqttQualityOfServiceLevel.AtMostOnce; break;
                    case "1": qos = MqttQualityOfServiceLevel.AtLeastOnce; break;
                    case "2": qos = MqttQualityOfServiceLevel.ExactlyOnce; break;
                    default:
                        error = $"{QoSKey} '{rawValue}' is not supported; use 0, 1 or 2.";
                        return false;
                }
            }
            else if (string.Equals(key, VersionKey, StringComparison.OrdinalIgnoreCase))
            {
                if (value.Equals("mqtt5.0", StringComparison.OrdinalIgnoreCase))
                {
                    version = MqttProtocolVersion.V500;
                }
                else if (value.Equals("mqtt3.1.1", StringComparison.OrdinalIgnoreCase))
                {
                    version = MqttProtocolVersion.V311;
                }
                else
                {
                    error = $"{VersionKey} '{rawValue}' is not supported; use mqtt3.1.1 or mqtt5.0.";
                    return false;
                }
            }
        }
        var port = uri.Port > 0 ? uri.Port : tls ? DefaultTlsPort : DefaultPort;
        endpoint = new MqttEndpoint(new MqttConnectionKey(host, port, user, password, version, tls), topic, qos);
        error = null;
        return true;
    }
}
