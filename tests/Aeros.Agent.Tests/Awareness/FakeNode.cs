using Aeros.Agent.Awareness;

namespace Aeros.Agent.Tests.Awareness;

/// <summary>A temporary directory laid out like a node's /proc and /sys, written from strings; deleted on dispose.</summary>
internal sealed class FakeNode : IDisposable
{
    public FakeNode()
    {
        Root = Path.Combine(Path.GetTempPath(), "aeros-fakenode-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Files = new HostFiles(Root);
    }

    public string Root { get; }

    public HostFiles Files { get; }

    public FakeNode Write(string absolute, string text)
    {
        var path = Files.PathOf(absolute);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return this;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
