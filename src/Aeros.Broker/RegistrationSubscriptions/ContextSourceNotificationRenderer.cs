using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Broker.Api;
using Aeros.Broker.Entities;
using Aeros.Broker.Notifications;
using Aeros.Broker.Registrations;
using Aeros.Broker.Subscriptions;

namespace Aeros.Broker.RegistrationSubscriptions;

/// <summary>Why a ContextSourceNotification is sent (§5.3.2 <c>triggerReason</c>).</summary>
internal static class TriggerReasons
{
    public const string NewlyMatching = "newlyMatching";
    public const string Updated = "updated";
    public const string NoLongerMatching = "noLongerMatching";
}

/// <summary>
/// Renders ContextSourceNotifications (§5.3.2): <c>{id, type: "ContextSourceNotification", subscriptionId,
/// notifiedAt, triggerReason, data: [CSourceRegistration…]}</c>, the registrations written as /csourceRegistrations
/// writes them, compacted with the subscription's jsonldContext or own @context, with only the given
/// RegistrationInfo entries.
/// </summary>
internal static class ContextSourceNotificationRenderer
{
    public const string TypeName = "ContextSourceNotification";

    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    /// <summary>Renders one notification and wraps it as a message for the dispatcher.</summary>
    public static NotificationMessage Render(Subscription s, string tenant, string triggerReason,
        IReadOnlyList<(ContextSourceRegistration Registration, JsonArray? Information)> data, DateTimeOffset now)
    {
        var endpoint = s.Notification.Endpoint;
        var isJson = endpoint.EffectiveAccept == NgsiLdHttp.ApplicationJson;
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("id", "urn:ngsi-ld:Notification:" + Guid.NewGuid().ToString());
            w.WriteString("type", TypeName);
            w.WriteString("subscriptionId", s.Id);
            w.WriteString("notifiedAt", NgsiNames.FormatTimestamp(now));
            w.WriteString("triggerReason", triggerReason);
            w.WriteStartArray("data");
            foreach (var (registration, information) in data)
            {
                // Fresh statistics: the forwarding statistics of the registration are not part of the notification.
                var entry = new RegistrationEntry(tenant, registration, new RegistrationStats());
                RegistrationRenderer.Write(w, entry, s.NotificationContext, s.Notification.SysAttrs == true, includeContext: !isJson, information);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return new NotificationMessage(
            endpoint.Uri,
            isJson ? NgsiLdHttp.ApplicationJson : NgsiLdHttp.ApplicationLdJson,
            isJson ? $"<{s.NotificationContextLink}>; rel=\"{NgsiLdHttp.JsonLdContextRel}\"; type=\"application/ld+json\"" : null,
            endpoint.ReceiverInfo ?? [],
            endpoint.NotifierInfo ?? [],
            tenant,
            buffer.WrittenMemory,
            // Zero lets the dispatcher apply its default timeout.
            endpoint.Timeout is { } t && t > 0 ? TimeSpan.FromMilliseconds(t) : TimeSpan.Zero,
            endpoint.Cooldown is { } c ? TimeSpan.FromMilliseconds(c) : TimeSpan.Zero);
    }
}
