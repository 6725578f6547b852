using System.Text.Json.Nodes;
using Aeros.Agent.Workloads;

namespace Aeros.Agent.Tests.Workloads;

public sealed class WorkloadSpecTests
{
    [Fact]
    public void Parse_FullContainerSpec_ReadsEveryField()
    {
        var json = JsonNode.Parse("""
            {"name":"web","kind":"container","image":"localhost/aeros-busybox:test","command":"httpd","args":["-f","-p","8080"],
             "env":{"MODE":"edge"},"ports":["18080:8080/tcp","5353:53/udp","9000:9000"],"cpuLimit":0.5,"memoryLimit":"64m",
             "credentials":{"username":"u","password":"p"},"declaredPorts":[18080],"restartPolicy":"onfailure","isJob":false}
            """);

        var spec = WorkloadSpec.Parse(json, "web", out var errors);

        Assert.Empty(errors);
        Assert.NotNull(spec);
        Assert.Equal(WorkloadKind.Container, spec.Kind);
        Assert.Equal(["-f", "-p", "8080"], spec.Args);
        Assert.Equal([new PortMapping(18080, 8080, "tcp"), new PortMapping(5353, 53, "udp"), new PortMapping(9000, 9000, "tcp")], spec.Ports);
        Assert.Equal(0.5, spec.CpuLimit);
        Assert.Equal(64L * 1024 * 1024, spec.MemoryLimit);
        Assert.Equal(new RegistryCredentials("u", "p"), spec.Credentials);
        Assert.Equal(RestartPolicy.OnFailure, spec.RestartPolicy);
        Assert.Equal([5353, 9000, 18080], spec.ListeningPorts());
        Assert.Equal("***", spec.ToJson(includeSecrets: false)["credentials"]!["password"]!.GetValue<string>());
    }

    [Fact]
    public void Parse_SpecWrittenByToJson_RoundTrips()
    {
        var spec = new WorkloadSpec
        {
            Name = "p1", Kind = WorkloadKind.Process, Command = "/bin/sh", Args = ["-c", "echo hi"], Env = new Dictionary<string, string> { ["A"] = "b" },
            WorkingDirectory = "/tmp", DeclaredPorts = [80], RestartPolicy = RestartPolicy.Never, IsJob = true,
        };

        var back = WorkloadSpec.Parse(spec.ToJson(includeSecrets: true), null, out var errors);

        Assert.Empty(errors);
        Assert.True(back!.SameAs(spec));
    }

    [Fact]
    public void Parse_JobWithoutPolicy_DefaultsToOnFailure()
    {
        var spec = WorkloadSpec.Parse(JsonNode.Parse("""{"name":"j","kind":"Process","command":"true","isJob":true}"""), null, out _);

        Assert.Equal(RestartPolicy.OnFailure, spec!.RestartPolicy);
    }

    [Fact]
    public void Parse_InvalidContainerSpec_ListsEveryError()
    {
        var json = JsonNode.Parse("""
            {"name":"other","kind":"Container","image":"bad image","ports":["80","70000:80","1:2/sctp",5],"cpuLimit":-1,
             "memoryLimit":"1k","env":{"1BAD":"x","OK":3},"restartPolicy":"Sometimes","isJob":"yes","credentials":{"username":"u"},
             "declaredPorts":[0],"surprise":true,"args":"not-a-list"}
            """);

        var spec = WorkloadSpec.Parse(json, "web", out var errors);

        Assert.Null(spec);
        string[] expected =
        [
            "Unknown property 'surprise'.",
            "The name 'other' in the body differs from the name 'web' in the URL.",
            "'restartPolicy' 'Sometimes' is not one of Always, OnFailure, Never.",
            "Port '80' must be host:container",
            "Port '70000:80' must be host:container",
            "Port '1:2/sctp' must be host:container",
            "'ports' item 5 must be a string.",
            "Declared port '0' must be an integer 1-65535.",
            "'credentials' needs both 'username' and 'password'.",
            "'isJob' must be true or false.",
            "Environment variable 'OK' must have a string value.",
            "'args' must be an array of strings.",
            "Environment variable name '1BAD' is invalid",
            "Image 'bad image' is invalid",
            "'cpuLimit' -1 must be above 0",
            "'memoryLimit' 1024 bytes is below the minimum of 6 MiB.",
        ];
        Assert.Equal(expected.Length, errors.Count);
        foreach (var message in expected)
        {
            Assert.Contains(errors, e => e.StartsWith(message, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Parse_ProcessSpecWithContainerFields_ListsEveryError()
    {
        var json = JsonNode.Parse("""
            {"name":"-bad","kind":"Process","workingDirectory":"relative","image":"x","ports":["1:1"],"cpuLimit":1,"credentials":{"username":"u","password":"p"},
             "isJob":true,"restartPolicy":"Always"}
            """);

        WorkloadSpec.Parse(json, null, out var errors);

        Assert.Equal(
        [
            "Name '-bad' is invalid: use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit.",
            "A job cannot have restart policy Always (it would never complete); use OnFailure or Never.",
            "A process workload needs a 'command'.",
            "'workingDirectory' 'relative' must be an absolute path.",
            "A process workload has no 'image' (use kind Container).",
            "A process workload publishes no 'ports'; list the ports it listens on in 'declaredPorts'.",
            "'cpuLimit' and 'memoryLimit' apply to container workloads only.",
            "'credentials' apply to container workloads only.",
        ], errors);
    }

    [Fact]
    public void Parse_MissingNameAndKind_ReportsBothAndTheOtherErrors()
    {
        WorkloadSpec.Parse(JsonNode.Parse("""{"env":{"bad-name":"x"},"kind":"Vm"}"""), null, out var errors);

        Assert.Equal(
        [
            "'kind' 'Vm' is not one of Process, Container.",
            "'name' is required.",
            "Environment variable name 'bad-name' is invalid: use letters, digits and '_', not starting with a digit.",
        ], errors);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("42")]
    [InlineData("null")]
    public void Parse_NotAnObject_OneError(string json)
    {
        Assert.Null(WorkloadSpec.Parse(JsonNode.Parse(json), "x", out var errors));
        Assert.Equal(["The workload spec must be a JSON object."], errors);
    }

    [Theory]
    [InlineData("\"512Mi\"", 512L * 1024 * 1024)]
    [InlineData("\"1g\"", 1024L * 1024 * 1024)]
    [InlineData("\"100m\"", 100L * 1024 * 1024)]
    [InlineData("8000000", 8000000L)]
    public void TryParseBytes_Sizes_AreBinaryUnits(string json, long expected)
    {
        Assert.True(WorkloadSpec.TryParseBytes(JsonNode.Parse(json)!, out var bytes));
        Assert.Equal(expected, bytes);
    }
}
