using System.Text.Json;
using System.Text.Json.Nodes;
using Aeros.Broker.Entities;
using Aeros.JsonLd;

namespace Aeros.Broker.Registrations;

/// <summary>
/// Writes registrations compacted with the request's @context: entity types, attribute names and context source
/// property names; <c>mode</c> and <c>operations</c> with their defaults; the forwarding statistics.
/// </summary>
internal static class RegistrationRenderer
{
    public static void Write(Utf8JsonWriter writer, RegistrationEntry entry, JsonLdContext context, bool sysAttrs, bool includeContext)
    {
        var registration = entry.Registration;
        writer.WriteStartObject();
        writer.WriteString("id", registration.Id);
        writer.WriteString("type", RegistrationParser.TypeName);
        foreach (var (member, value) in registration.Document)
        {
            switch (member)
            {
                case "id" or "type":
                    break;
                case "information":
                    writer.WritePropertyName(member);
                    WriteInformation(writer, (JsonArray)value!, context);
                    break;
                default:
                    writer.WritePropertyName(RegistrationParser.CoreMembers.Contains(member) ? member : context.CompactIri(member));
                    if (value is null)
                    {
                        writer.WriteNullValue();
                    }
                    else
                    {
                        value.WriteTo(writer);
                    }
                    break;
            }
        }
        if (!registration.Document.ContainsKey("mode"))
        {
            writer.WriteString("mode", "inclusive");
        }
        if (!registration.Document.ContainsKey("operations"))
        {
            writer.WriteStartArray("operations");
            writer.WriteStringValue(RegistrationOperations.FederationOps);
            writer.WriteEndArray();
        }
        var (sent, failed, lastSuccess, lastFailure) = entry.Stats.Snapshot();
        if (entry.Stats.Status is { } status)
        {
            writer.WriteString("status", status);
        }
        if (sent > 0)
        {
            writer.WriteNumber("timesSent", sent);
            writer.WriteNumber("timesFailed", failed);
        }
        if (lastSuccess is { } success)
        {
            writer.WriteString("lastSuccess", NgsiNames.FormatTimestamp(success));
        }
        if (lastFailure is { } failure)
        {
            writer.WriteString("lastFailure", NgsiNames.FormatTimestamp(failure));
        }
        if (sysAttrs)
        {
            writer.WriteString("createdAt", NgsiNames.FormatTimestamp(registration.CreatedAt));
            writer.WriteString("modifiedAt", NgsiNames.FormatTimestamp(registration.ModifiedAt));
        }
        if (includeContext)
        {
            EntityRenderer.WriteContext(writer, context);
        }
        writer.WriteEndObject();
    }

    private static void WriteInformation(Utf8JsonWriter writer, JsonArray information, JsonLdContext context)
    {
        writer.WriteStartArray();
        foreach (var info in information.Cast<JsonObject>())
        {
            writer.WriteStartObject();
            foreach (var (member, value) in info)
            {
                writer.WriteStartArray(member);
                foreach (var element in (JsonArray)value!)
                {
                    if (element is JsonObject entity)
                    {
                        writer.WriteStartObject();
                        foreach (var (key, item) in entity)
                        {
                            var text = item!.GetValue<string>();
                            writer.WriteString(key, key == "type" ? context.CompactIri(text) : text);
                        }
                        writer.WriteEndObject();
                    }
                    else
                    {
                        writer.WriteStringValue(context.CompactIri(element!.GetValue<string>()));
                    }
                }
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }
}
