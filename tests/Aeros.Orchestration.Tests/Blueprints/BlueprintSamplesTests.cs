using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Aeros.Orchestration.Blueprints;

namespace Aeros.Orchestration.Tests.Blueprints;

public sealed class BlueprintSamplesTests
{
    public static TheoryData<string> Samples() => new(SampleNames());

    private static List<string> SampleNames() =>
        Directory.GetFiles(BlueprintFiles.SamplesDirectory, "*.yaml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void Samples_TheFourDocumentedOnes_Exist()
    {
        Assert.Equal(["hello-web.yaml", "podman-web.yaml", "second-domain.yaml", "two-tier.yaml"], SampleNames());
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Parse_Sample_HasNoErrorsAndMaps(string file)
    {
        var result = BlueprintParser.Parse(BlueprintFiles.Sample(file));

        Assert.True(result.IsValid, string.Join(Environment.NewLine, result.Errors));
        var entities = BlueprintMapper.ToEntities(Path.GetFileNameWithoutExtension(file), result.Blueprint!);
        Assert.NotEmpty(entities.Components);
    }

    [Fact]
    public void Parse_SecondDomainSample_NeedsDomain2()
    {
        var component = Assert.Single(BlueprintParser.Parse(BlueprintFiles.Sample("second-domain.yaml")).Blueprint!.Components);

        Assert.Equal("urn:ngsi-ld:Domain:domain2", component.Host.DomainId);
    }

    [Fact]
    public void Parse_TwoTierSample_WebDependsOnApi()
    {
        var blueprint = BlueprintParser.Parse(BlueprintFiles.Sample("two-tier.yaml")).Blueprint!;

        Assert.Equal(["api", "web"], blueprint.Components.Select(c => c.Name));
        Assert.Equal([new ComponentLink("api", 20, 10)], blueprint.Components[1].Dependencies);
    }

    [Fact]
    public void Parse_PodmanSample_UsesTheLocalBusyboxImage()
    {
        var component = Assert.Single(BlueprintParser.Parse(BlueprintFiles.Sample("podman-web.yaml")).Blueprint!.Components);

        Assert.Equal("localhost/aeros-busybox:latest", Assert.IsType<ImageArtifact>(component.Artifact).Image);
    }

    [Fact]
    public async Task HelloWebSample_ItsProcessRun_ServesThePage()
    {
        var component = Assert.Single(BlueprintParser.Parse(BlueprintFiles.Sample("hello-web.yaml")).Blueprint!.Components);
        var process = Assert.IsType<ProcessArtifact>(component.Artifact);
        Assert.True(File.Exists(process.Command), process.Command + " is missing: install busybox-static");
        // Run the command as the agent would, on a free port instead of the sample's fixed one.
        var port = TestPorts.Free();
        var samplePort = component.Ports[0].Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var directory = Directory.CreateTempSubdirectory("aeros-hello-web-");
        var start = new ProcessStartInfo(process.Command) { WorkingDirectory = directory.FullName, UseShellExecute = false };
        foreach (var arg in process.Args)
        {
            start.ArgumentList.Add(arg.Replace(samplePort, port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }
        foreach (var (key, value) in component.EnvVars)
        {
            start.Environment[key] = value;
        }
        using var server = Process.Start(start)!;
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            string? body = null;
            await TestDeadline.Until(async () =>
            {
                try
                {
                    body = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/"));
                    return true;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "the hello-web page is served", TimeSpan.FromSeconds(60));

            Assert.Equal("Hello from Aeros (hello-web sample)\n", body);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync().Within("stopping busybox httpd");
            directory.Delete(recursive: true);
        }
    }
}
