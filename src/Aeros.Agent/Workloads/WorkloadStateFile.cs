using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aeros.Agent.Workloads;

/// <summary>
/// The desired workloads on disk (<c>workloads.json</c> in the state directory), with the last run of each and
/// its restart count, so that a restarted agent adopts or restarts them without asking anyone. Written atomically:
/// a temporary file, flushed to disk, renamed over the old one.
/// </summary>
internal static class WorkloadStateFile
{
    public const int Version = 1;

    /// <summary>One workload in the file.</summary>
    public sealed record Item(WorkloadSpec Spec, string? InstanceId, int Restarts);

    public static void Write(string path, IEnumerable<Item> items)
    {
        var json = new JsonObject
        {
            ["version"] = Version,
            ["workloads"] = new JsonArray(items.Select(i => (JsonNode?)new JsonObject
            {
                ["spec"] = i.Spec.ToJson(includeSecrets: true),
                ["instanceId"] = i.InstanceId,
                ["restarts"] = i.Restarts,
            }).ToArray()),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            if (!OperatingSystem.IsWindows())
            {
                // Registry passwords may be inside.
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                json.WriteTo(writer);
            }
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Reads the file; a missing file is empty. Throws <see cref="InvalidDataException"/> when it is unreadable.</summary>
    public static List<Item> Read(string path, out List<string> skipped)
    {
        skipped = [];
        var items = new List<Item>();
        if (!File.Exists(path))
        {
            return items;
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The state file {path} is not valid JSON: {e.Message}", e);
        }
        if (root?["workloads"] is not JsonArray workloads)
        {
            throw new InvalidDataException($"The state file {path} has no 'workloads' array.");
        }
        foreach (var node in workloads)
        {
            var spec = WorkloadSpec.Parse(node?["spec"], null, out var errors);
            if (spec is null)
            {
                skipped.Add($"{node?["spec"]?["name"]}: {string.Join(" ", errors)}");
                continue;
            }
            var instanceId = node?["instanceId"] is JsonValue v && v.TryGetValue<string>(out var id) ? id : null;
            var restarts = node?["restarts"] is JsonValue r && r.TryGetValue<int>(out var n) ? n : 0;
            items.Add(new Item(spec, instanceId, restarts));
        }
        return items;
    }
}
