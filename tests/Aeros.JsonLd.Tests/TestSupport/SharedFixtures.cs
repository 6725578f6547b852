namespace Aeros.JsonLd.Tests.TestSupport;

/// <summary>Finds the project's shared fixtures: the <c>shared/</c> folder beside the repository root.</summary>
internal static class SharedFixtures
{
    /// <summary>The full path of a file under <c>shared/fixtures/</c>.</summary>
    public static string Path(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Aeros.slnx")))
            {
                var path = System.IO.Path.Combine(dir.FullName, "..", "shared", "fixtures", relative);
                return File.Exists(path) ? System.IO.Path.GetFullPath(path)
                    : throw new FileNotFoundException($"Shared fixture not found beside the repository: {path}");
            }
        }
        throw new DirectoryNotFoundException("No Aeros.slnx above " + AppContext.BaseDirectory);
    }
}
