using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Broker.Api;
using Aeros.Broker.Entities;
using Aeros.Broker.Model;
using Aeros.Broker.Notifications;

namespace Aeros.Broker.Subscriptions;

/// <summary>
/// Renders NGSI-LD Notifications (§5.3.1) for a subscription: the entity in the subscription's format and
/// projection, compacted with its jsonldContext or own @context, with the deletion shapes (deletedAt,
/// <c>urn:ngsi-ld:null</c> values) and, with showChanges, the previous* members. One render per
/// (subscription, change); nothing shared is changed.
/// </summary>
internal static class NotificationRenderer
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    /// <summary>Largest scratch buffer a thread keeps between notifications.</summary>
    private const int MaxKeptBuffer = 1 << 20;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>
    /// The entity to send for a change, with its augmenter; null when nothing is to be sent. <paramref name="fired"/>
    /// are the triggers that fired and the subscription listens to.
    /// </summary>
    public static (Entity Entity, Augmenter Augmenter) PrepareChange(Subscription s, Entity? before, Entity? after, ChangeAnalysis analysis,
        NotificationTriggers fired, DateTimeOffset at)
    {
        var showChanges = s.Notification.ShowChanges == true;
        var augmenter = new Augmenter();
        if (after is null)
        {
            // Entity deleted: {id, type, deletedAt} for entityDeleted (046_21_01); the deleted watched attributes as
            // NGSI-LD Null for attributeDeleted (046_22_12); with showChanges, every attribute with its previous value.
            var entity = Shell(before!);
            augmenter.DeletedAt = at;
            augmenter.IsEntityDeletion = true;
            var withAttributes = (fired & NotificationTriggers.AttributeDeleted) != 0 || showChanges;
            if (withAttributes && analysis.Deleted is { } deleted)
            {
                foreach (var (name, old) in deleted)
                {
                    AddNull(entity, name, old, augmenter, showChanges, at, languageMapAsString: true);
                }
            }
            return (entity, augmenter);
        }
        if (showChanges && analysis.Updated is { } updated)
        {
            foreach (var (current, old) in updated)
            {
                (augmenter.Previous ??= new(ReferenceEqualityComparer.Instance))[current] = old;
            }
        }
        if ((s.Triggers & NotificationTriggers.AttributeDeleted) != 0 && analysis.Deleted is { } removed)
        {
            var entity = Shell(after);
            foreach (var (name, instances) in after.Attributes)
            {
                entity.Attributes[name] = instances;
            }
            foreach (var (name, old) in removed)
            {
                AddNull(entity, name, old, augmenter, showChanges, at, languageMapAsString: false);
            }
            return (entity, augmenter);
        }
        return (after, augmenter);
    }

    private static Entity Shell(Entity source) => new()
    {
        Id = source.Id,
        Types = source.Types,
        Scopes = source.Scopes,
        CreatedAt = source.CreatedAt,
        ModifiedAt = source.ModifiedAt,
    };

    private static void AddNull(Entity entity, string name, NgsiAttribute old, Augmenter augmenter, bool showChanges, DateTimeOffset at, bool languageMapAsString)
    {
        // 046_34_04 expects {"@none": null-URI} for a deleted LanguageProperty, 046_37_01 the bare string on entity deletion.
        JsonNode value = old.Kind == AttributeKind.LanguageProperty && !languageMapAsString
            ? new JsonObject { ["@none"] = NgsiNames.Null }
            : JsonValue.Create(NgsiNames.Null);
        var instance = new NgsiAttribute
        {
            Kind = old.Kind,
            Value = value,
            DatasetId = old.DatasetId,
            CreatedAt = old.CreatedAt,
            ModifiedAt = old.ModifiedAt,
        };
        if (!entity.Attributes.TryGetValue(name, out var list))
        {
            list = [];
        }
        else
        {
            list = [.. list];
        }
        list.Add(instance);
        entity.Attributes[name] = list;
        (augmenter.Deleted ??= new(ReferenceEqualityComparer.Instance)).Add(instance);
        augmenter.DeletedAt = at;
        if (showChanges)
        {
            (augmenter.Previous ??= new(ReferenceEqualityComparer.Instance))[instance] = old;
        }
    }

    /// <summary>The render options of the subscription's notifications.</summary>
    public static RenderOptions Options(Subscription s, IRenderAugmenter? augmenter)
    {
        var n = s.Notification;
        var accept = n.Endpoint.EffectiveAccept;
        return new RenderOptions
        {
            Context = s.NotificationContext,
            Format = n.Format,
            SysAttrs = n.SysAttrs == true,
            IncludeContext = accept is NgsiLdHttp.ApplicationLdJson or NgsiLdHttp.ApplicationGeoJson,
            GeoJson = accept == NgsiLdHttp.ApplicationGeoJson,
            Attrs = n.AttributeSet,
            Projection = n.Projection,
            Lang = s.LangFilter,
            DatasetIds = s.DatasetIdSet,
            Augmenter = augmenter,
        };
    }

    /// <summary>Renders one Notification with <paramref name="entities"/> as data and wraps it as a message.</summary>
    public static NotificationMessage Render(Subscription s, string tenant, IReadOnlyList<(Entity Entity, IRenderAugmenter? Augmenter)> entities, DateTimeOffset now)
    {
        // One scratch buffer and writer per thread; the message keeps an exact-size copy, so a queued notification
        // holds its bytes and no more (queues of slow receivers can hold many).
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var w = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        w.Reset(buffer);
        try
        {
            w.WriteStartObject();
            w.WriteString("id", "urn:ngsi-ld:Notification:" + Guid.NewGuid().ToString());
            w.WriteString("type", "Notification");
            w.WriteString("subscriptionId", s.Id);
            w.WriteString("notifiedAt", NgsiNames.FormatTimestamp(now));
            w.WritePropertyName("data");
            if (s.Notification.Endpoint.EffectiveAccept == NgsiLdHttp.ApplicationGeoJson)
            {
                EntityRenderer.WriteEntities(w, entities.Select(e => e.Entity), Options(s, entities.Count > 0 ? entities[0].Augmenter : null));
            }
            else
            {
                w.WriteStartArray();
                foreach (var (entity, augmenter) in entities)
                {
                    EntityRenderer.WriteEntity(w, entity, Options(s, augmenter));
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
            w.Flush();
        }
        finally
        {
            w.Reset(Stream.Null); // no reference to the buffer's next user
        }
        var body = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > MaxKeptBuffer)
        {
            t_buffer = null; // a huge periodic notification does not pin its buffer for the thread's life
        }
        var endpoint = s.Notification.Endpoint;
        var accept = endpoint.EffectiveAccept;
        return new NotificationMessage(
            endpoint.Uri,
            accept == NgsiLdHttp.ApplicationJson ? NgsiLdHttp.ApplicationJson : accept,
            accept == NgsiLdHttp.ApplicationJson ? s.NotificationLinkHeader : null,
            endpoint.ReceiverInfo ?? [],
            endpoint.NotifierInfo ?? [],
            tenant,
            body,
            // Zero lets the dispatcher apply its default timeout.
            endpoint.Timeout is { } t && t > 0 ? TimeSpan.FromMilliseconds(t) : TimeSpan.Zero,
            endpoint.Cooldown is { } c ? TimeSpan.FromMilliseconds(c) : TimeSpan.Zero);
    }

    /// <summary>Writes previous* members (showChanges) and deletedAt (deletions) into rendered notifications.</summary>
    internal sealed class Augmenter : IRenderAugmenter
    {
        public Dictionary<NgsiAttribute, NgsiAttribute>? Previous { get; set; }

        public HashSet<NgsiAttribute>? Deleted { get; set; }

        /// <summary>Set for a deleted entity: written as the entity's deletedAt.</summary>
        public DateTimeOffset? DeletedAt { get; set; }

        public bool IsEntityDeletion { get; set; }

        public bool HasExtras(NgsiAttribute instance) => Previous?.ContainsKey(instance) == true;

        public void WriteInstanceExtras(Utf8JsonWriter writer, NgsiAttribute instance, RenderOptions options)
        {
            if (Previous is not null && Previous.TryGetValue(instance, out var old))
            {
                writer.WritePropertyName(AttributeKinds.PreviousMember(old.Kind));
                WritePreviousValue(writer, old, options);
            }
            if (options.SysAttrs && DeletedAt is { } at && Deleted?.Contains(instance) == true)
            {
                writer.WriteString("deletedAt", NgsiNames.FormatTimestamp(at));
            }
        }

        public void WriteEntityExtras(Utf8JsonWriter writer, Entity entity, RenderOptions options)
        {
            if (IsEntityDeletion && DeletedAt is { } at)
            {
                writer.WriteString("deletedAt", NgsiNames.FormatTimestamp(at));
            }
        }

        private static void WritePreviousValue(Utf8JsonWriter writer, NgsiAttribute old, RenderOptions options)
        {
            var value = old.Value;
            if (value is null)
            {
                writer.WriteNullValue();
                return;
            }
            if (old.Kind == AttributeKind.VocabProperty)
            {
                if (value is JsonArray vocabs)
                {
                    writer.WriteStartArray();
                    foreach (var v in vocabs)
                    {
                        writer.WriteStringValue(options.Context.CompactVocabValue(v!.GetValue<string>()));
                    }
                    writer.WriteEndArray();
                }
                else
                {
                    writer.WriteStringValue(options.Context.CompactVocabValue(value.GetValue<string>()));
                }
                return;
            }
            value.WriteTo(writer);
        }
    }
}
