using System.Text.Json.Nodes;

namespace Aeros.Orchestration.Tests.Cli.Client;

/// <summary>The client commands as a user runs them (the real <c>aeros</c> process) against a <see cref="FakeHlo"/> on loopback.</summary>
public sealed class ClientCommandTests
{
    private const string ServiceId = "urn:ngsi-ld:Service:hello-web";

    private static string Sample(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "samples", "blueprints", name);
            if (File.Exists(path))
            {
                return path;
            }
        }
        throw new FileNotFoundException("samples/blueprints not found above " + AppContext.BaseDirectory, name);
    }

    private static string[] Lines(string output, string stream) =>
        [.. output.Split('\n').Where(l => l.StartsWith($"[{stream}] ", StringComparison.Ordinal)).Select(l => l[6..].TrimEnd('\r'))];

    private static JsonNode Json(string output) => JsonNode.Parse(string.Join('\n', Lines(output, "out")))!;

    [Fact]
    public async Task Deploy_ComponentReachesRunning_PrintsEachChangeAndExitsZero()
    {
        await using var hlo = await FakeHlo.StartAsync();
        hlo.Script["hello-web"] = ["Locating", "Starting", "Starting", "Running"];

        var (code, output) = await AerosProcess.RunAsync("deploy", Sample("hello-web.yaml"), "--url", hlo.Url.AbsoluteUri, "--timeout", "60");

        Assert.True(code == 0, output);
        var lines = Lines(output, "out");
        Assert.Equal($"Submitted {ServiceId} to {hlo.Url}.", lines[0]);
        Assert.Contains(lines, l => l.Contains("hello-web: Locating", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("hello-web: Starting on urn:ngsi-ld:InfrastructureElement:domain1:ie2 (domain1) gen 1 [heuristic: lowest energy of 2 feasible IEs]", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("hello-web: Starting", StringComparison.Ordinal)); // a repeated status is not printed again
        Assert.Contains(lines, l => l.Contains("hello-web: Running on", StringComparison.Ordinal));
        Assert.StartsWith($"{ServiceId}: all 1 component(s) Running after ", lines[^1], StringComparison.Ordinal);
        Assert.Contains("tosca_simple_yaml_1_3", hlo.Bodies[ServiceId], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deploy_ComponentFails_ExitsOneWithTheReasonAndJsonOutcome()
    {
        await using var hlo = await FakeHlo.StartAsync();
        hlo.Script["hello-web"] = ["Locating", "Starting", "Failed"];

        var (code, output) = await AerosProcess.RunAsync("deploy", Sample("hello-web.yaml"), "--url", hlo.Url.AbsoluteUri, "--output", "json", "--id", "web1");

        Assert.True(code == 1, output);
        Assert.Contains("aeros deploy: component hello-web failed: exec: /nonexistent: no such file", string.Join('\n', Lines(output, "err")), StringComparison.Ordinal);
        var json = Json(output);
        Assert.Equal("failed", (string?)json["outcome"]);
        Assert.Equal("urn:ngsi-ld:Service:web1", (string?)json["service"]!["id"]);
        Assert.Equal(["Locating", "Starting", "Failed"], json["events"]!.AsArray().Select(e => (string)e!["status"]!));
    }

    [Fact]
    public async Task Deploy_InvalidBlueprint_ListsEveryErrorWithLineColumnAndSendsNothing()
    {
        await using var hlo = await FakeHlo.StartAsync();
        var file = Path.Combine(Path.GetTempPath(), "aeros-bad-" + Guid.NewGuid().ToString("N") + ".yaml");
        await File.WriteAllTextAsync(file, "tosca_definitions_version: tosca_simple_yaml_1_0\nnode_templates:\n  web:\n    type: tosca.nodes.Nope\n");
        try
        {
            var (code, output) = await AerosProcess.RunAsync("deploy", file, "--url", hlo.Url.AbsoluteUri);

            Assert.True(code == 4, output);
            var errors = Lines(output, "err");
            Assert.Contains(errors, l => l.StartsWith($"{file}:1:", StringComparison.Ordinal));
            Assert.Contains(errors, l => l.StartsWith($"{file}:4:", StringComparison.Ordinal));
            Assert.Contains(errors, l => l.StartsWith("aeros deploy: ", StringComparison.Ordinal) && l.EndsWith("nothing was deployed.", StringComparison.Ordinal));
            Assert.Empty(hlo.Requests);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Deploy_HloRefusesWith400_PrintsItsErrorsAndExitsFour()
    {
        await using var hlo = await FakeHlo.StartAsync();
        hlo.SubmitAnswer = (400, new JsonObject
        {
            ["title"] = "Invalid blueprint",
            ["errors"] = new JsonArray(new JsonObject { ["line"] = 12, ["column"] = 7, ["path"] = "node_templates.hello-web", ["message"] = "no element is feasible" }),
        });
        var sample = Sample("hello-web.yaml");

        var (code, output) = await AerosProcess.RunAsync("deploy", sample, "--url", hlo.Url.AbsoluteUri);

        Assert.True(code == 4, output);
        Assert.Contains($"{sample}:12:7: node_templates.hello-web: no element is feasible", Lines(output, "err"));
    }

    [Fact]
    public async Task Deploy_BadFiles_ClearErrorsWithoutAContinuum()
    {
        var missing = Path.Combine(Path.GetTempPath(), "aeros-missing-" + Guid.NewGuid().ToString("N") + ".yaml");
        var (code, output) = await AerosProcess.RunAsync("deploy", missing, "--url", "http://127.0.0.1:9/");
        Assert.True(code == 4, output);
        Assert.Contains($"aeros deploy: {missing}: no such file.", Lines(output, "err"));

        var notYaml = Path.Combine(Path.GetTempPath(), "aeros-notyaml-" + Guid.NewGuid().ToString("N") + ".yaml");
        await File.WriteAllTextAsync(notYaml, "key: [unclosed\n  - : :\n");
        try
        {
            (code, output) = await AerosProcess.RunAsync("deploy", notYaml, "--url", "http://127.0.0.1:9/");
            Assert.True(code == 4, output);
            Assert.Contains(Lines(output, "err"), l => l.StartsWith(notYaml + ":", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(notYaml);
        }
    }

    [Fact]
    public async Task Commands_DomainNotReachable_ExitSixWithClearMessage()
    {
        var port = AerosProcess.FreePort(); // nothing listens there
        var url = $"http://127.0.0.1:{port}/";

        var (code, output) = await AerosProcess.RunAsync("deploy", Sample("hello-web.yaml"), "--url", url);
        Assert.True(code == 6, output);
        Assert.Contains(Lines(output, "err"), l => l.StartsWith($"aeros deploy: the domain host at {url} is not reachable", StringComparison.Ordinal));

        (code, output) = await AerosProcess.RunAsync("services", "--url", url);
        Assert.True(code == 6, output);
        (code, output) = await AerosProcess.RunAsync("ie", "list", "--url", url);
        Assert.True(code == 6, output);
    }

    [Fact]
    public async Task Commands_NoLocalContinuum_ExitOneNamingTheDataDirectory()
    {
        var data = Path.Combine(Path.GetTempPath(), "aeros-none-" + Guid.NewGuid().ToString("N"));

        var (code, output) = await AerosProcess.RunAsync("services", "--data", data);

        Assert.True(code == 1, output);
        Assert.Contains($"aeros services: no local continuum is running on {data} (no continuum.json); start one with 'aeros up' or name a domain host with --url.", Lines(output, "err"));
    }

    [Fact]
    public async Task Services_ListAndShow_TableAndJsonShapes()
    {
        await using var hlo = await FakeHlo.StartAsync();
        hlo.Script["hello-web"] = ["Running"];
        var (code, output) = await AerosProcess.RunAsync("deploy", Sample("hello-web.yaml"), "--url", hlo.Url.AbsoluteUri, "--no-wait");
        Assert.True(code == 0, output);

        (code, output) = await AerosProcess.RunAsync("services", "--url", hlo.Url.AbsoluteUri, "--output", "json");
        Assert.True(code == 0, output);
        var list = Json(output).AsArray();
        Assert.Equal([ServiceId], list.Select(s => (string)s!["id"]!));
        Assert.Equal(1, (int)list[0]!["components"]!);

        (code, output) = await AerosProcess.RunAsync("services", "hello-web", "--url", hlo.Url.AbsoluteUri);
        Assert.True(code == 0, output);
        var lines = Lines(output, "out");
        Assert.Equal($"Service {ServiceId}: Deploying, handled by domain1", lines[0]);
        Assert.StartsWith("COMPONENT", lines[2], StringComparison.Ordinal);
        Assert.Matches(@"^hello-web\s+Running\s+urn:ngsi-ld:InfrastructureElement:domain1:ie2\s+domain1\s+1\s+heuristic\s+lowest energy of 2 feasible IEs$", lines[4]);

        (code, output) = await AerosProcess.RunAsync("services", "nope", "--url", hlo.Url.AbsoluteUri);
        Assert.True(code == 5, output);
        Assert.Contains(Lines(output, "err"), l => l.StartsWith("aeros services: no service urn:ngsi-ld:Service:nope on ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Delete_Wait_ReturnsOnceTheServiceIsGoneAndUnknownIsFive()
    {
        await using var hlo = await FakeHlo.StartAsync();
        hlo.Script["hello-web"] = ["Running"];
        var (code, output) = await AerosProcess.RunAsync("deploy", Sample("hello-web.yaml"), "--url", hlo.Url.AbsoluteUri, "--no-wait");
        Assert.True(code == 0, output);

        (code, output) = await AerosProcess.RunAsync("delete", "hello-web", "--wait", "--url", hlo.Url.AbsoluteUri, "--output", "json");
        Assert.True(code == 0, output);
        Assert.Equal("deleted", (string?)Json(output)["outcome"]);
        Assert.Equal(3, hlo.Requests.Count(r => r.StartsWith("GET /ngsi-ld/v1/entities?", StringComparison.Ordinal))); // waited until none was left
        Assert.Contains(hlo.Requests, r => r.StartsWith("GET /ngsi-ld/v1/entities?", StringComparison.Ordinal) && r.Contains(Uri.EscapeDataString($"service==\"{ServiceId}\""), StringComparison.Ordinal));
        // The id travels escaped in the path; the server sees it decoded.
        Assert.Contains($"DELETE /hlo/v1/services/{ServiceId}", hlo.Requests);

        (code, output) = await AerosProcess.RunAsync("delete", "hello-web", "--url", hlo.Url.AbsoluteUri);
        Assert.True(code == 5, output);
    }

    [Fact]
    public async Task Logs_ServiceSlashNode_AsksTheLloForThatComponent()
    {
        await using var hlo = await FakeHlo.StartAsync();
        hlo.LogLines.AddRange(["first line", "second line"]);

        var (code, output) = await AerosProcess.RunAsync("logs", "hello-web/hello-web", "--tail", "2", "--url", hlo.Url.AbsoluteUri);

        Assert.True(code == 0, output);
        Assert.Equal(["first line", "second line"], Lines(output, "out"));
        Assert.Contains($"GET /llo/v1/components/{ServiceId}:Component:hello-web/logs?tail=2", hlo.Requests);

        (code, output) = await AerosProcess.RunAsync("logs", "not-a-component", "--url", hlo.Url.AbsoluteUri);
        Assert.True(code == 2, output);
        (code, output) = await AerosProcess.RunAsync("logs", "a/b", "--tail", "0", "--url", hlo.Url.AbsoluteUri);
        Assert.True(code == 2, output);
    }
}
