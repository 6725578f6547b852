using System.Text;
using Aeros.Orchestration.Blueprints;

namespace Aeros.Orchestration.Tests.Blueprints;

public sealed class BlueprintParserValidationTests
{
    private const string Valid = """
        tosca_definitions_version: tosca_simple_yaml_1_3
        node_templates:
          web:
            type: tosca.nodes.Container.Application
            artifacts:
              img:
                file: nginx
                type: tosca.artifacts.Deployment.Image.Container.Docker
        """;

    private static IReadOnlyList<BlueprintError> Errors(string text)
    {
        var result = BlueprintParser.Parse(text);
        Assert.False(result.IsValid);
        Assert.Null(result.Blueprint);
        Assert.NotEmpty(result.Errors);
        return result.Errors;
    }

    [Fact]
    public void Parse_MinimalBlueprint_IsValid()
    {
        var result = BlueprintParser.Parse(Valid);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
    }

    [Fact]
    public void Parse_ManyMistakes_ListsEveryErrorWithLineAndColumn()
    {
        const string text = """
            tosca_definitions_version: tosca_simple_yaml_1_0
            node_templates:
              web:
                type: tosca.nodes.Compute
                replicas: 0
                requirements:
                  - host:
                      node_filter:
                        capabilities:
                          - host:
                              properties:
                                cpu_usage: { equal: 0.5 }
                                mem_size: { greater_or_equal: 12 parsecs }
                                colour: { equal: blue }
                                area:
                                  coordinates:
                                    - [1, 2]
                                    - [3, 100]
                  - network:
                      properties:
                        ports:
                          p1:
                            properties:
                              protocol: [tcp]
                              source: 70000
                          p2:
                            properties:
                              protocol: [tcp]
                              source: 80
                          p3:
                            properties:
                              protocol: [tcp]
                              source: 80
                  - dependency: { node: ghost, max_latency_ms: -1 }
                artifacts:
                  img:
                    file: nginx
                    type: tosca.artifacts.Deployment.Image.Container.Docker
                interfaces:
                  Standard:
                    create:
                      implementation: missing_artifact
              "bad name!":
                type: tosca.nodes.Container.Application
            """;

        var errors = Errors(text);

        void Has(int line, int column, string pathEnd, string messagePart) => Assert.True(
            errors.Any(e => e.Line == line && e.Column == column && e.Path.EndsWith(pathEnd, StringComparison.Ordinal) && e.Message.Contains(messagePart, StringComparison.Ordinal)),
            $"expected ({line}:{column}) {pathEnd}: ...{messagePart}... in:\n{string.Join("\n", errors)}");
        Has(1, 28, "tosca_definitions_version", "Unsupported version 'tosca_simple_yaml_1_0'");
        Has(4, 11, "node_templates.web.type", "Unknown node type 'tosca.nodes.Compute'");
        Has(5, 15, "node_templates.web.replicas", "from 1 to 100");
        Has(12, 34, "properties.cpu_usage", "Operator 'equal' cannot be used here");
        Has(13, 51, "properties.mem_size", "'12 parsecs' is not a size");
        Has(14, 21, "properties.colour", "Unknown host property 'colour'");
        Has(18, 31, "area.coordinates[1][1]", "latitude must be between -90 and 90");
        Has(25, 27, "ports.p1.properties.source", "Port 70000 is out of range");
        Has(30, 15, "ports.p3", "Port 80/TCP is given more than once");
        Has(34, 52, "requirements[2].dependency.max_latency_ms", "must be more than 0");
        Has(42, 27, "interfaces.Standard.create.implementation", "'missing_artifact' is not one of the component's artifacts (img)");
        Has(43, 3, "node_templates.bad name!", "cannot be part of an aerOS id");
        Has(44, 5, "node_templates.bad name!", "has no artifact");
        // Errors come sorted by position.
        Assert.Equal(errors.OrderBy(e => e.Line).ThenBy(e => e.Column), errors);
    }

    [Fact]
    public void Parse_DependencyOnUnknownComponent_NamesIt()
    {
        var errors = Errors(Valid + """

                requirements:
                  - dependency: { node: ghost }
            """);

        var error = Assert.Single(errors);
        Assert.Equal("node_templates.web.requirements[0].dependency", error.Path);
        Assert.Contains("'ghost', which is not a component", error.Message, StringComparison.Ordinal);
        Assert.Equal((10, 21), (error.Line, error.Column));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   \n# only a comment\n", "empty")]
    [InlineData("tosca_definitions_version: tosca_simple_yaml_1_3\n", "node_templates is missing")]
    [InlineData("node_templates: {}\n", "tosca_definitions_version is missing")]
    [InlineData("- a\n- b\n", "must be a mapping")]
    public void Parse_IncompleteText_ExplainsWhatIsMissing(string text, string messagePart)
    {
        var errors = Errors(text);

        Assert.Contains(errors, e => e.Message.Contains(messagePart, StringComparison.Ordinal) && e.Line >= 1 && e.Column >= 1);
    }

    [Fact]
    public void Parse_MalformedYaml_OneErrorAtTheParsersMark()
    {
        var error = Assert.Single(Errors("tosca_definitions_version: tosca_simple_yaml_1_3\nnode_templates:\n  web: [unclosed\n  other: 1\n"));

        Assert.StartsWith("Not valid YAML/JSON", error.Message, StringComparison.Ordinal);
        Assert.True(error.Line >= 3, error.ToString());
    }

    [Fact]
    public void Parse_DuplicateKey_ReportedAtTheSecondKey()
    {
        var error = Assert.Single(Errors(Valid + "\n  web:\n    type: tosca.nodes.Container.Application\n"));

        Assert.Contains("Duplicate key", error.Message, StringComparison.Ordinal);
        Assert.Equal(9, error.Line);
    }

    [Fact]
    public void Parse_TextOverOneMegabyte_RefusedWithoutParsing()
    {
        var text = Valid + "\n#" + new string('x', BlueprintParser.MaxTextLength);

        var error = Assert.Single(Errors(text));

        Assert.Contains("at most 1048576", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DeeplyNestedFlowCollections_RefusedInsteadOfOverflowingTheStack()
    {
        var text = "a: " + new string('[', 500_000) + new string(']', 500_000);

        var error = Assert.Single(Errors(text));

        Assert.Contains("nests deeper than 64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AliasBomb_RefusedByExpandedSize()
    {
        var text = new StringBuilder("tosca_definitions_version: tosca_simple_yaml_1_3\ndsl_definitions:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 9; i++)
        {
            text.Append($"  a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n");
        }

        var error = Assert.Single(Errors(text.ToString()));

        Assert.Contains("aliases are expanded", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SecondDocument_Refused()
    {
        var error = Assert.Single(Errors(Valid + "\n---\nfoo: bar\n"));

        Assert.Contains("one YAML document", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cpu_arch: { equal: sparc }", "Unknown CPU architecture 'sparc'")]
    [InlineData("cpu_arch: { less_than: x86_64 }", "Operator 'less_than' cannot be used here; use equal")]
    [InlineData("cpu_usage: { less_or_equal: 0 }", "more than 0 and at most 1")]
    [InlineData("cpu_usage: { less_or_equal: 150 }", "more than 0 and at most 1")]
    [InlineData("mem_size: { greater_or_equal: -5 MB }", "is not a size")]
    [InlineData("mem_size: { greater_or_equal: 0 GB }", "must be more than 0")]
    [InlineData("mem_size: { greater_or_equal: 4 XB }", "is not a size")]
    [InlineData("mem_size: { less_or_equal: 4 GB }", "use greater_or_equal or greater_than")]
    [InlineData("realtime: { equal: maybe }", "'maybe' is not true or false")]
    [InlineData("energy_efficiency: { greater_or_equal: 1.5 }", "ratio must be more than 0 and at most 1")]
    [InlineData("green: { greater_or_equal: 0 }", "ratio must be more than 0 and at most 1")]
    [InlineData("domain_id: { equal: 'bad domain' }", "is not a domain name")]
    [InlineData("area: { coordinates: [[0, 0], [1, 1]] }", "at least 3 points")]
    [InlineData("area: { coordinates: [[0, 0, 0], [1, 1], [2, 2]] }", "[longitude, latitude] pair")]
    [InlineData("area: { coordinates: [[200, 0], [1, 1], [2, 2]] }", "longitude must be between -180 and 180")]
    [InlineData("area: { type: Point, coordinates: [[0, 0], [1, 1], [2, 2]] }", "An area is a Polygon")]
    [InlineData("gpu_memory: { greater_or_equal: lots }", "'lots' is not a size")]
    [InlineData("cpu_usage: { less_or_equal: 0.5, greater_than: 0.1 }", "one operator and a value")]
    public void Parse_BadHostProperty_ExplainsIt(string property, string messagePart)
    {
        var text = Valid + $$"""

                requirements:
                  - host:
                      node_filter:
                        capabilities:
                          - host:
                              properties:
                                {{property}}
            """;

        var errors = Errors(text);

        Assert.Contains(errors, e => e.Message.Contains(messagePart, StringComparison.Ordinal) && e.Line == 15 && e.Path.Contains(".properties.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("id: not-a-urn", "is not an element id")]
    [InlineData("cpu: 1", "Unknown node_filter property")]
    public void Parse_BadPinnedProperty_ExplainsIt(string property, string messagePart)
    {
        var text = Valid + $$"""

                requirements:
                  - host:
                      node_filter:
                        properties:
                          {{property}}
            """;

        Assert.Contains(Errors(text), e => e.Message.Contains(messagePart, StringComparison.Ordinal) && e.Line == 13);
    }

    [Theory]
    [InlineData("    replicas: 101\n", "from 1 to 100")]
    [InlineData("    replicas: 1.5\n", "from 1 to 100")]
    [InlineData("    resources: { cpu: -1 }\n", "more than 0 and at most 1024 cores")]
    [InlineData("    resources: { cpu: fast }\n", "is not a CPU amount")]
    [InlineData("    resources: { memory: 0 MB }\n", "must be more than 0")]
    [InlineData("    resources: { disk: 1 GB }\n", "Unknown key; resources may hold")]
    [InlineData("    isJob: perhaps\n", "is not true or false")]
    [InlineData("    colour: red\n", "Unknown key; a component may hold")]
    [InlineData("    requirements:\n      - storage: {}\n", "Unknown requirement 'storage'")]
    [InlineData("    requirements:\n      - network: { properties: { ports: { p: { protocol: [tcp, udp], source: 80 } } } }\n", "one protocol per port")]
    [InlineData("    requirements:\n      - network: { properties: { ports: { p: { protocol: [icmp], source: 80 } } } }\n", "Unknown protocol 'icmp'")]
    [InlineData("    requirements:\n      - network: { properties: { ports: { p: { protocol: [tcp] } } } }\n", "has no number")]
    [InlineData("    requirements:\n      - network: { properties: { ports: { p: { source: 0 } } } }\n", "out of range")]
    [InlineData("    requirements:\n      - dependency: { node: web }\n", "cannot depend on itself")]
    [InlineData("    requirements:\n      - dependency: { max_latency_ms: 5 }\n", "names no component")]
    [InlineData("    requirements:\n      - host: { node_filter: { properties: { id: urn:a:b } } }\n      - host: { node_filter: { properties: { id: urn:a:c } } }\n", "one host requirement")]
    [InlineData("    interfaces: { Standard: { create: { inputs: { envVars: [{ '1BAD': x }] } } } }\n", "is not an environment variable name")]
    [InlineData("    interfaces: { Standard: { create: { inputs: { envVars: [{ A: x }, { A: y }] } } } }\n", "given more than once")]
    [InlineData("    interfaces: { Standard: { create: { inputs: { volumes: [] } } } }\n", "Unknown input")]
    [InlineData("    interfaces: { Standard: { delete: x } }\n", "Unknown operation")]
    [InlineData("    interfaces: { Configure: {} }\n", "Unknown interface")]
    public void Parse_BadComponentKey_ExplainsIt(string addition, string messagePart)
    {
        var errors = Errors(Valid + "\n" + addition);

        Assert.Contains(errors, e => e.Message.Contains(messagePart, StringComparison.Ordinal) && e.Line >= 9 && e.Path.StartsWith("node_templates.web", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("type: tosca.artifacts.File", "Unknown artifact type")]
    [InlineData("type: tosca.artifacts.Deployment.Image.Container.Docker", "has no file")]
    [InlineData("file: nginx", "has no type")]
    [InlineData("{ file: nginx, type: tosca.artifacts.Deployment.Image.Container.Docker, isPrivate: true, username: u }", "needs username and password")]
    [InlineData("{ file: nginx, type: tosca.artifacts.Deployment.Image.Container.Docker, args: [a] }", "args belong to process artifacts")]
    [InlineData("{ file: /bin/true, type: aeros.artifacts.Deployment.Process, args: a }", "args must be a list")]
    [InlineData("{ file: '', type: aeros.artifacts.Deployment.Process }", "The file is empty")]
    public void Parse_BadArtifact_ExplainsIt(string artifact, string messagePart)
    {
        var text = $"""
            tosca_definitions_version: tosca_simple_yaml_1_3
            node_templates:
              web:
                type: tosca.nodes.Container.Application
                artifacts:
                  a:
                    {(artifact.StartsWith('{') ? "" : artifact)}
            """;
        if (artifact.StartsWith('{'))
        {
            text = text.TrimEnd().Replace("      a:", "      a: " + artifact, StringComparison.Ordinal);
        }

        Assert.Contains(Errors(text), e => e.Message.Contains(messagePart, StringComparison.Ordinal) && e.Path.StartsWith("node_templates.web.artifacts.a", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_SeveralArtifactsWithoutImplementation_AsksWhichOne()
    {
        var errors = Errors(Valid + "\n      other: { file: redis, type: tosca.artifacts.Deployment.Image.Container.Docker }\n");

        Assert.Contains(errors, e => e.Message.Contains("must name the one to run", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_ReplicaNameTakenByAnotherComponent_Refused()
    {
        var errors = Errors(Valid + """

                replicas: 2
              web-2:
                type: tosca.nodes.Container.Application
                artifacts:
                  img: { file: nginx, type: tosca.artifacts.Deployment.Image.Container.Docker }
            """);

        Assert.Contains(errors, e => e.Message.Contains("replica 'web-2' has the name of another component", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_TooManyErrors_ListsTheMaximumAndCountsTheRest()
    {
        var text = new StringBuilder(Valid).Append('\n');
        for (var i = 0; i < BlueprintParser.MaxErrors + 50; i++)
        {
            text.Append($"    unknown{i}: 1\n");
        }

        var errors = Errors(text.ToString());

        Assert.Equal(BlueprintParser.MaxErrors + 1, errors.Count);
        Assert.Equal("50 more errors are not listed.", errors[^1].Message);
    }

    /// <summary>The example of docs/blueprints.md ("Validation"); keep both in step.</summary>
    [Fact]
    public void Parse_DocumentedExample_ListsTheErrorsShownInTheDocs()
    {
        const string text = """
            tosca_definitions_version: tosca_simple_yaml_1_3
            node_templates:
              web:
                type: tosca.nodes.Container.Application
                replicas: 0
                requirements:
                  - host:
                      node_filter:
                        capabilities:
                          - host:
                              properties:
                                cpu_arch: { equal: sparc }
                                mem_size: { greater_or_equal: 4 GX }
                  - network:
                      properties:
                        ports:
                          http: { properties: { protocol: [tcp], source: 80 } }
                          http2: { properties: { protocol: [tcp], source: 80 } }
                  - dependency: { node: db, max_latency_ms: 20 }
                artifacts:
                  server: { type: aeros.artifacts.Deployment.Process, file: /bin/busybox, args: [httpd, -f] }
                interfaces:
                  Standard:
                    create:
                      implementation: servr
            """;

        var errors = BlueprintParser.Parse(text).Errors.Select(e => e.ToString());

        Assert.Equal(
            [
                "(5:15) node_templates.web.replicas: replicas must be a whole number from 1 to 100.",
                "(12:40) node_templates.web.requirements[0].host.node_filter.capabilities[0].host.properties.cpu_arch: Unknown CPU architecture 'sparc'; use x86_64 (amd64), arm64 (aarch64), arm32 (armv7), mips64le, ppc64le, riscv64 or s390x.",
                "(13:51) node_templates.web.requirements[0].host.node_filter.capabilities[0].host.properties.mem_size: '4 GX' is not a size; write a number and a unit: B, kB, KiB, MB, MiB, GB, GiB, TB or TiB (e.g. 4096 MB).",
                "(18:15) node_templates.web.requirements[1].network.properties.ports.http2: Port 80/TCP is given more than once in this component.",
                "(19:21) node_templates.web.requirements[2].dependency: Depends on 'db', which is not a component of this blueprint.",
                "(25:27) node_templates.web.interfaces.Standard.create.implementation: The implementation 'servr' is not one of the component's artifacts (server).",
            ],
            errors);
    }

    [Theory]
    [InlineData("TOSCA-portal-backend.yml")]
    [InlineData("tosca_dev_aeriOS_service.yaml")]
    public void Parse_TruncatedFixture_NeverThrowsAndErrorsHavePositions(string file)
    {
        var text = BlueprintFiles.Fixture(file);

        // Every 5th length keeps the test quick (each malformed prefix costs a YamlDotNet exception).
        for (var length = 0; length < text.Length; length += 5)
        {
            var result = BlueprintParser.Parse(text[..length]);

            Assert.True(result.IsValid || result.Errors.Count > 0, $"prefix {length}");
            Assert.All(result.Errors, e => Assert.True(e.Line >= 1 && e.Column >= 1, $"prefix {length}: {e}"));
            Assert.Equal(result.IsValid, result.Blueprint is not null);
        }
    }
}
