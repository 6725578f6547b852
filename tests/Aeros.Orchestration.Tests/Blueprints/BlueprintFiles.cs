namespace Aeros.Orchestration.Tests.Blueprints;

/// <summary>The aerOS TOSCA fixtures (shared/fixtures/aeros-tosca) and the samples (samples/blueprints) of the worktree.</summary>
internal static class BlueprintFiles
{
    public static string Fixture(string name) => File.ReadAllText(Path.Combine(FindUp(Path.Combine("shared", "fixtures", "aeros-tosca")), name));

    public static string SamplesDirectory => FindUp(Path.Combine("samples", "blueprints"));

    public static string Sample(string name) => File.ReadAllText(Path.Combine(SamplesDirectory, name));

    private static string FindUp(string relative)
    {
        // The worktree sits next to shared/ (e.g. /work/wt-x and /work/shared); walk up from the test binaries.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException(relative + " not found above " + AppContext.BaseDirectory);
    }
}
