namespace Aeros.Agent.Awareness;

/// <summary>
/// Reads files under <c>/proc</c>, <c>/sys</c>, <c>/etc</c> and <c>/dev</c> relative to a root (<c>/</c> on a real node; a
/// temporary tree in tests). Missing or unreadable files are null, not errors: many exist only on some nodes.
/// </summary>
internal sealed class HostFiles(string root)
{
    public static HostFiles Real { get; } = new("/");

    public string Root { get; } = root;

    public string PathOf(string absolute) => Root == "/" ? absolute : Path.Combine(Root, absolute.TrimStart('/'));

    public string? ReadText(string absolute)
    {
        try
        {
            return File.ReadAllText(PathOf(absolute));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public bool Exists(string absolute) => File.Exists(PathOf(absolute)) || Directory.Exists(PathOf(absolute));

    public IEnumerable<string> Glob(string absoluteDirectory, string pattern)
    {
        var directory = PathOf(absoluteDirectory);
        try
        {
            return Directory.Exists(directory)
                ? Directory.EnumerateFileSystemEntries(directory, pattern).Select(p => absoluteDirectory.TrimEnd('/') + "/" + Path.GetFileName(p)).Order(StringComparer.Ordinal).ToList()
                : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
