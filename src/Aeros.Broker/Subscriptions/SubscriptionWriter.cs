using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Broker.Entities;
using Aeros.JsonLd;

namespace Aeros.Broker.Subscriptions;

/// <summary>
/// Writes a subscription as JSON: compacted with a request's @context for clients (§5.2.12), or with expanded
/// names for storage (<see cref="ToStoredJson"/>). Only members that were given are written, plus the computed
/// <c>status</c>, the default <c>notificationTrigger</c> and the notification status members.
/// </summary>
internal static class SubscriptionWriter
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    /// <summary>The representation for a client; <paramref name="status"/> null omits it (storage).</summary>
    public static void Write(Utf8JsonWriter w, Subscription s, SubscriptionState? state, Func<string, string> compact, string? status, bool sysAttrs, bool forStorage = false)
    {
        w.WriteStartObject();
        w.WriteString("id", s.Id);
        w.WriteString("type", Subscription.DefaultType);
        WriteOptional(w, "subscriptionName", s.Name);
        WriteOptional(w, "description", s.Description);
        if (s.Entities is { } entities)
        {
            w.WriteStartArray("entities");
            foreach (var e in entities)
            {
                w.WriteStartObject();
                WriteOptional(w, "id", e.Id);
                WriteOptional(w, "idPattern", e.IdPattern);
                w.WriteString("type", SubscriptionParser.MapTypeNames(e.TypeText, compact));
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        WriteNames(w, "watchedAttributes", s.WatchedAttributes, compact);
        w.WriteStartArray("notificationTrigger");
        foreach (var t in s.TriggerNames ?? TriggerNames.Default)
        {
            w.WriteStringValue(t);
        }
        w.WriteEndArray();
        WriteNumber(w, "timeInterval", s.TimeInterval);
        WriteNumber(w, "throttling", s.Throttling);
        WriteOptional(w, "q", s.Q?.Text);
        WriteOptional(w, "csf", s.Csf?.Text);
        if (s.GeoQJson is { } geoQ)
        {
            w.WriteStartObject("geoQ");
            foreach (var (name, value) in geoQ)
            {
                w.WritePropertyName(name);
                if (name == "geoproperty")
                {
                    w.WriteStringValue(compact(value!.GetValue<string>()));
                }
                else
                {
                    value!.WriteTo(w);
                }
            }
            w.WriteEndObject();
        }
        WriteOptional(w, "scopeQ", s.ScopeQ?.Text);
        WriteOptional(w, "lang", s.Lang);
        if (s.DatasetIds is { } datasetIds)
        {
            w.WriteStartArray("datasetId");
            foreach (var d in datasetIds)
            {
                w.WriteStringValue(d);
            }
            w.WriteEndArray();
        }
        if (s.IsActive is { } isActive)
        {
            w.WriteBoolean("isActive", isActive);
        }
        if (s.ExpiresAt is { } expiresAt)
        {
            w.WriteString("expiresAt", s.ExpiresAtText ?? NgsiNames.FormatTimestamp(expiresAt));
        }
        WriteOptional(w, "jsonldContext", s.JsonLdContextUrl);
        WriteNotification(w, s.Notification, state, compact, forStorage);
        if (status is not null)
        {
            w.WriteString("status", status);
        }
        if (sysAttrs)
        {
            w.WriteString("createdAt", NgsiNames.FormatTimestamp(s.CreatedAt));
            w.WriteString("modifiedAt", NgsiNames.FormatTimestamp(s.ModifiedAt));
        }
    }

    private static void WriteNotification(Utf8JsonWriter w, NotificationParameters n, SubscriptionState? state, Func<string, string> compact, bool forStorage)
    {
        w.WriteStartObject("notification");
        WriteNames(w, "attributes", n.Attributes, compact);
        WriteNames(w, "pick", n.Pick, compact);
        WriteNames(w, "omit", n.Omit, compact);
        WriteOptional(w, "format", n.FormatText);
        if (n.SysAttrs is { } sysAttrs)
        {
            w.WriteBoolean("sysAttrs", sysAttrs);
        }
        if (n.ShowChanges is { } showChanges)
        {
            w.WriteBoolean("showChanges", showChanges);
        }
        var e = n.Endpoint;
        w.WriteStartObject("endpoint");
        w.WriteString("uri", e.Uri.OriginalString);
        WriteOptional(w, "accept", e.Accept);
        WritePairs(w, "receiverInfo", e.ReceiverInfo);
        WritePairs(w, "notifierInfo", e.NotifierInfo);
        WriteNumber(w, "timeout", e.Timeout);
        WriteNumber(w, "cooldown", e.Cooldown);
        w.WriteEndObject();
        state?.WriteMembers(w, forStorage);
        w.WriteEndObject();
    }

    /// <summary>
    /// The stored document: the subscription with expanded names, the contexts it needs to be read back, its
    /// timestamps and its notification status members.
    /// </summary>
    public static string ToStoredJson(Subscription s, SubscriptionState state, string contextLink)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WritePropertyName("subscription");
            Write(w, s, state, static n => n, status: null, sysAttrs: true, forStorage: true);
            w.WriteEndObject();
            w.WritePropertyName("context");
            WriteSource(w, s.Context);
            w.WriteString("contextLink", contextLink);
            if (s.Q is not null || s.Csf is not null)
            {
                w.WritePropertyName("qContext");
                WriteSource(w, s.QContext ?? s.Context);
            }
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteSource(Utf8JsonWriter w, JsonLdContext context)
    {
        if (context.SourceJson is { } json)
        {
            w.WriteRawValue(json, skipInputValidation: true);
        }
        else
        {
            w.WriteNullValue();
        }
    }

    private static void WriteNames(Utf8JsonWriter w, string name, IReadOnlyList<string>? names, Func<string, string> compact)
    {
        if (names is null)
        {
            return;
        }
        w.WriteStartArray(name);
        foreach (var n in names)
        {
            w.WriteStringValue(n is "id" or "type" or "scope" ? n : compact(n));
        }
        w.WriteEndArray();
    }

    private static void WritePairs(Utf8JsonWriter w, string name, IReadOnlyList<KeyValuePair<string, string>>? pairs)
    {
        if (pairs is null)
        {
            return;
        }
        w.WriteStartArray(name);
        foreach (var (key, value) in pairs)
        {
            w.WriteStartObject();
            w.WriteString("key", key);
            w.WriteString("value", value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteNumber(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            // Whole numbers stay integers (5, not 5.0) so clients get back what they sent.
            if (v == Math.Floor(v) && Math.Abs(v) < 1e15)
            {
                w.WriteNumber(name, (long)v);
            }
            else
            {
                w.WriteNumber(name, v);
            }
        }
    }

    /// <summary>Reads back a stored document's parts.</summary>
    public static (JsonObject Subscription, JsonNode? Context, string ContextLink, JsonNode? QContext) ReadStored(string json)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        var subscription = root["subscription"]!.AsObject();
        return (subscription, root["context"], root["contextLink"]?.GetValue<string>() ?? JsonLdContext.CoreContextUrl, root["qContext"]);
    }
}
