using Aeros.Agent.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Aeros.Agent.Tests.Runtime;

public sealed class RotatingLogWriterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "aeros-logs-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Write_MoreThanTheLimit_RotatesAndKeepsAtMostCountFilesOfAtMostMaxBytes()
    {
        var path = Path.Combine(_dir, "w.log");
        using var writer = new RotatingLogWriter(path, 1024, 3, TimeProvider.System, NullLogger.Instance);

        for (var i = 0; i < 100; i++)
        {
            writer.Write(System.Text.Encoding.ASCII.GetBytes($"line {i:D3} of the workload output\n"));
        }

        var files = Directory.GetFiles(_dir).Order().ToArray();
        Assert.Equal([path, path + ".1", path + ".2"], files);
        Assert.All(files, f => Assert.InRange(new FileInfo(f).Length, 1, 1024));
        Assert.EndsWith("line 099 of the workload output\n", File.ReadAllText(path));
        Assert.False(writer.Degraded);
    }

    [Fact]
    public void Write_OneChunkLargerThanTheLimit_IsCutAcrossFiles()
    {
        var path = Path.Combine(_dir, "big.log");
        using var writer = new RotatingLogWriter(path, 1024, 2, TimeProvider.System, NullLogger.Instance);

        writer.Write(new byte[1500]);

        Assert.Equal(1024, new FileInfo(path + ".1").Length);
        Assert.Equal(476, new FileInfo(path).Length);
    }

    [Fact]
    public void Write_FullDisk_DegradesWithoutThrowingAndRecoversLater()
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "full.log");
        File.CreateSymbolicLink(path, "/dev/full");
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        using var writer = new RotatingLogWriter(path, 1024, 2, time, NullLogger.Instance);

        writer.Write("first\n"u8);
        writer.Write("second\n"u8);

        Assert.True(writer.Degraded);
        Assert.Equal(13, writer.DroppedBytes);

        // The disk has room again: after the pause the writer tries again and writes.
        File.Delete(path);
        time.Advance(TimeSpan.FromSeconds(6));
        writer.Write("third\n"u8);

        Assert.False(writer.Degraded);
        Assert.Equal("third\n", File.ReadAllText(path));
    }
}
