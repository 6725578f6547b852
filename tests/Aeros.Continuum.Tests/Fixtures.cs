using System.Text.Json.Nodes;
using Aeros.Abstractions.Continuum;

namespace Aeros.Continuum.Tests;

/// <summary>The aerOS data-model examples in <c>shared/fixtures/aeros-datamodel</c> and their record types.</summary>
internal static class Fixtures
{
    public static readonly IReadOnlyDictionary<string, Type> RecordTypes = new Dictionary<string, Type>
    {
        ["CloudRegion"] = typeof(CloudRegion),
        ["Domain"] = typeof(Domain),
        ["InfrastructureElement"] = typeof(InfrastructureElement),
        ["InfrastructureElementRequirements"] = typeof(InfrastructureElementRequirements),
        ["LowLevelOrchestrator"] = typeof(LowLevelOrchestrator),
        ["NetworkConnection"] = typeof(NetworkConnection),
        ["NetworkPort"] = typeof(NetworkPort),
        ["PersistentStorage"] = typeof(PersistentStorage),
        ["PowerSource"] = typeof(PowerSource),
        ["Service"] = typeof(Service),
        ["ServiceComponent"] = typeof(ServiceComponent),
        ["ServiceType"] = typeof(ServiceType),
    };

    public static string Directory { get; } = Find();

    /// <summary>Every example folder name (one per entity type).</summary>
    public static TheoryData<string> Examples() => new(Names());

    public static IReadOnlyList<string> Names() => System.IO.Directory.GetDirectories(Directory)
        .Where(dir => File.Exists(Path.Combine(dir, "example-normalized.jsonld")))
        .Select(dir => Path.GetFileName(dir))
        .Order(StringComparer.Ordinal)
        .ToList();

    public static JsonObject Example(string name) =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(Directory, name, "example-normalized.jsonld")))!;

    private static string Find()
    {
        // The worktree sits next to shared/ (e.g. /work/wt-x and /work/shared); walk up from the test binaries.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "fixtures", "aeros-datamodel");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("shared/fixtures/aeros-datamodel not found above " + AppContext.BaseDirectory);
    }
}
