using Aeros.Broker.Errors;
using Aeros.Broker.Model;
using Aeros.Broker.Query;
using static Aeros.Broker.Tests.Query.TestEntities;

namespace Aeros.Broker.Tests.Query;

public sealed class QExpressionTests
{
    private static readonly Entity Pisa = Entity("urn:ngsi-ld:Building:pisa")
        .Property("name", "\"Pisa Tower\"")
        .Property("almostFull", "false")
        .Property("height", "56.67")
        .Property("floors", "8")
        .Property("tags", "[\"tower\", \"leaning\", 3]")
        .Property("address", """{"city": "Pisa", "street": {"name": "Piazza del Duomo", "number": 1}, "zip": [56126]}""")
        .Relationship("locatedIn", "urn:ngsi-ld:City:Pisa")
        .ListRelationship("neighbours", "urn:ngsi-ld:Building:a", "urn:ngsi-ld:Building:b")
        .Property("temperature", "20.5", observedAt: "2017-12-24T12:00:00Z", unitCode: "CEL",
            subAttributes: Subs(("accuracy", Instance(AttributeKind.Property, "0.5", observedAt: "2017-12-24T11:00:00Z")),
                ("sensor", Instance(AttributeKind.Relationship, "\"urn:ngsi-ld:Device:t1\""))))
        .Property("dateOpened", "\"2018-01-01T12:00:00Z\"")
        .Property("openingTime", "\"09:30:00Z\"")
        .Property("speed", "50")
        .Property("speed", "80", datasetId: "urn:ngsi-ld:Dataset:gps")
        .LanguageProperty("label", """{"fr": "Tour de Pise", "en": "Pisa Tower", "it": ["Torre", "Torre di Pisa"]}""")
        .VocabProperty("category", "https://example.org/ns/monument")
        .ListProperty("readings", "[1, 2, 3]")
        .Property("typed", """{"@type": "https://uri.etsi.org/ngsi-ld/DateTime", "@value": "2020-05-05T10:00:00Z"}""")
        .Property("https://other.org/vocab/v1.0/rating", "4")
        .Build();

    private static bool Q(string q, Entity entity) => QExpression.Parse(q, Expand).Matches(entity);

    [Theory]
    [InlineData("name==\"Pisa Tower\"", true)]
    [InlineData("name==\"Eiffel Tower\"", false)]
    [InlineData("name!=\"Eiffel Tower\"", true)]
    [InlineData("name!=\"Pisa Tower\"", false)]
    [InlineData("height>56", true)]
    [InlineData("height>56.67", false)]
    [InlineData("height>=56.67", true)]
    [InlineData("height<57", true)]
    [InlineData("height<56.67", false)]
    [InlineData("height<=56.67", true)]
    [InlineData("floors==8", true)]
    [InlineData("floors==8.0", true)]
    [InlineData("floors==8e0", true)]
    [InlineData("floors>-1", true)]
    [InlineData("almostFull==false", true)]
    [InlineData("almostFull==true", false)]
    [InlineData("almostFull!=true", true)]
    [InlineData("name>\"Pisa\"", true)]
    [InlineData("name<\"Pisa\"", false)]
    public void Matches_ComparisonOperators_CompareSameTypedValues(string q, bool expected) =>
        Assert.Equal(expected, Q(q, Pisa));

    [Theory]
    [InlineData("height>\"10\"", false)]
    [InlineData("height==\"56.67\"", false)]
    [InlineData("height!=\"56.67\"", true)]
    [InlineData("name>5", false)]
    [InlineData("name<5", false)]
    [InlineData("name!=5", true)]
    [InlineData("almostFull==0", false)]
    [InlineData("almostFull!=0", true)]
    public void Matches_TypeMismatch_NoMatchExceptNotEqual(string q, bool expected) =>
        Assert.Equal(expected, Q(q, Pisa));

    [Theory]
    [InlineData("(name==\"Pisa Tower\"|name==\"Eiffel Tower\");almostFull==false", true)]
    [InlineData("(name==\"Pisa Tower\"|name==\"Eiffel Tower\");almostFull==true", false)]
    [InlineData("name==\"Eiffel Tower\"|name==\"Pisa Tower\";almostFull==true", false)]
    [InlineData("name==\"Pisa Tower\"|name==\"Eiffel Tower\";almostFull==true", true)]
    [InlineData("almostFull==true;floors==8|height>50", true)]
    [InlineData("almostFull==true;(floors==8|height>50)", false)]
    [InlineData("((floors==8))", true)]
    [InlineData("(floors==7|(height>50;(name==\"Pisa Tower\")))", true)]
    [InlineData(" floors == 8 ; height > 50 ", true)]
    public void Matches_Precedence_AndBindsTighterThanOr(string q, bool expected) =>
        Assert.Equal(expected, Q(q, Pisa));

    [Theory]
    [InlineData("floors==1,8,9", true)]
    [InlineData("floors==1,2", false)]
    [InlineData("floors!=1,2", true)]
    [InlineData("floors!=1,8", false)]
    [InlineData("name==\"a\",\"Pisa Tower\"", true)]
    [InlineData("floors==1..8", true)]
    [InlineData("floors==8..10", true)]
    [InlineData("floors==9..10", false)]
    [InlineData("floors!=9..10", true)]
    [InlineData("floors!=1..10", false)]
    [InlineData("height==56.5..56.7", true)]
    [InlineData("name==\"A\"..\"Q\"", true)]
    [InlineData("dateOpened==2017-01-01T00:00:00Z..2019-01-01T00:00:00Z", true)]
    [InlineData("dateOpened==2019-01-01..2020-01-01", false)]
    public void Matches_ListsAndRanges_AnyOrInclusive(string q, bool expected) =>
        Assert.Equal(expected, Q(q, Pisa));

    [Theory]
    [InlineData("tags==\"tower\"", true)]
    [InlineData("tags==\"castle\"", false)]
    [InlineData("tags==3", true)]
    [InlineData("tags!=\"castle\"", true)]
    [InlineData("tags!=\"tower\"", false)]
    [InlineData("tags==\"castle\",\"leaning\"", true)]
    [InlineData("tags>1", false)]
    [InlineData("readings==2", true)]
    [InlineData("readings==4", false)]
    public void Matches_ArrayTarget_EqualMeansContains(string q, bool expected) =>
        Assert.Equal(expected, Q(q, Pisa));

    [Theory]
    [InlineData("dateOpened>2017-12-31T00:00:00Z", true)]
    [InlineData("dateOpened<2017-12-31T00:00:00Z", false)]
    [InlineData("dateOpened==2018-01-01T12:00:00.000Z", true)]
    [InlineData("dateOpened==2018-01-01T13:00:00+01:00", true)]
    [InlineData("dateOpened==2018-01-01T13:00:00 01:00", true)] // '+' decoded to a space by the caller
    [InlineData("dateOpened>2018-01-01", true)]
    [InlineData("dateOpened<2018-01-02", true)]
    [InlineData("dateOpened>\"2017-06-01T00:00:00Z\"", true)]
    [InlineData("openingTime<10:00:00Z", true)]
    [InlineData("openingTime>10:00:00Z", false)]
    [InlineData("typed>2020-01-01T00:00:00Z", true)]
    [InlineData("typed<2020-01-01T00:00:00Z", false)]
    [InlineData("floors>2018-01-01T00:00:00Z", false)]
    public void Matches_DateTimes_CompareTemporally(string q, bool expected) =>
        Assert.Equal(expected, Q(q, Pisa));

    [Theory]
    [InlineData("createdAt>2023-12-31T00:00:00Z", true)]
    [InlineData("createdAt<2023-12-31T00:00:00Z", false)]
    [InlineData("modifiedAt>=2024-06-01T00:00:00Z", true)]
    [InlineData("modifiedAt==2024-06-01T00:00:00Z", true)]
    [InlineData("createdAt", true)]
    [InlineData("!modifiedAt", false)]
    [InlineData("temperature.createdAt==2024-02-01T00:00:00Z", true)]
    [InlineData("temperature.modifiedAt>2024-03-02T00:00:00Z", false)]
    public void Matches_SystemAttributes_AreQueryable(string q, bool expected) =>
        Assert.Equal(expected, Q(q, Pisa));

    [Theory]
    [InlineData("temperature.observedAt>=2017-12-24T12:00:00Z", true)]
    [InlineData("temperature.observedAt>2017-12-24T12:00:00Z", false)]
    [InlineData("temperature.observedAt", true)]
    [InlineData("name.observedAt", false)]
    [InlineData("!name.observedAt", true)]
    [InlineData("temperature.unitCode==\"CEL\"", true)]
    [InlineData("temperature.unitCode!=\"CEL\"", false)]
    [InlineData("temperature.accuracy<1", true)]
    [InlineData("temperature.accuracy>1", false)]
    [InlineData("temperature.accuracy.observedAt<2017-12-24T12:00:00Z", true)]
    [InlineData("temperature.sensor==urn:ngsi-ld:Device:t1", true)]
    [InlineData("temperature.missing", false)]
    [InlineData("temperature.missing==1", false)]
    [InlineData("temperature.missing!=1", false)]
    public void Matches_SubAttributePaths_ReadSubAttributesAndInstanceMembers(string q, bool expected) =>
        Assert.Equal(expected, Q(q, Pisa));

    [Theory]
    [InlineData("address[city]==\"Pisa\"", true)]
    [InlineData("address[city]==\"Berlin\"", false)]
    [InlineData("address[street.name]==\"Piazza del Duomo\"", true)]
    [InlineData("address[street.number]>=1", true)]
    [InlineData("address[street][number]==1", true)]
    [InlineData("address[zip]==56126", true)]
    [InlineData("address[zip.0]==56126", true)]
    [InlineData("address[country]", false)]
    [InlineData("address[country]!=\"Italy\"", false)]
    [InlineData("!address[country]", true)]
    [InlineData("address[city]", true)]
    public void Matches_CompoundValuePath_EntersJsonValue(string q, bool expected) =>
        Assert.Equal(expected, Q(q, Pisa));

    [Theory]
    [InlineData("label[fr]==\"Tour de Pise\"", true)]
    [InlineData("label[en]==\"Tour de Pise\"", false)]
    [InlineData("label[FR]==\"Tour de Pise\"", true)]
    [InlineData("label==\"Tour de Pise\"", true)]
    [InlineData("label==\"Pisa Tower\"", true)]
    [InlineData("label==\"Torre di Pisa\"", true)]
    [InlineData("label[it]==\"Torre\"", true)]
    [InlineData("label[*]==\"Pisa Tower\"", true)]
    [InlineData("label==\"Tour Eiffel\"", false)]
    [InlineData("label!=\"Tour Eiffel\"", true)]
    [InlineData("label!=\"Pisa Tower\"", false)]
    [InlineData("label[de]", false)]
    [InlineData("label[fr]", true)]
    [InlineData("label~=Pise", true)]
    [InlineData("label[en]~=Pise", false)]
    public void Matches_LanguageProperty_TagOrAnyLanguage(string q, bool expected) =>
        Assert.Equal(expected, Q(q, Pisa));

    [Theory]
    [InlineData("name~=Pisa", true)]
    [InlineData("name~=^Pisa", true)]
    [InlineData("name~=^Tower", false)]
    [InlineData("name~=Tow.r$", true)]
    [InlineData("name~=pisa", false)]
    [InlineData("name~=(?i)pisa", true)]
    [InlineData("name~=\"(?i)PISA\"", true)]
    [InlineData("name!~=Eiffel", true)]
    [InlineData("name!~=Pisa", false)]
    [InlineData("name~=(Eiffel|Pisa) Tower", false)] // the space is a decoded '+': "(Eiffel|Pisa)+Tower"
    [InlineData("name~=\"(Eiffel|Pisa) Tower\"", true)]
    [InlineData("name~=P[a-z]+a", true)]
    [InlineData("name~=P[a-z] a", true)] // '+' decoded to a space
    [InlineData("name~=[[:upper:]][[:lower:]]{3}", true)]
    [InlineData("name~=Pisa;floors==8", true)]
    [InlineData("name~=Eiffel|floors==8", true)]
    [InlineData("(name~=(Pisa))", true)]
    [InlineData("floors~=8", false)]
    [InlineData("floors!~=8", false)]
    [InlineData("locatedIn~=Pisa", false)]
    public void Matches_Regex_SearchesStringTargetsOnly(string q, bool expected) =>
        Assert.Equal(expected, Q(q, Pisa));

    [Theory]
    [InlineData("locatedIn==urn:ngsi-ld:City:Pisa", true)]
    [InlineData("locatedIn==\"urn:ngsi-ld:City:Pisa\"", true)]
    [InlineData("locatedIn==urn:ngsi-ld:City:Rome", false)]
    [InlineData("locatedIn!=urn:ngsi-ld:City:Rome", true)]
    [InlineData("locatedIn==urn:ngsi-ld:City:Rome,urn:ngsi-ld:City:Pisa", true)]
    [InlineData("locatedIn>urn:ngsi-ld:City:A", false)]
    [InlineData("neighbours==urn:ngsi-ld:Building:b", true)]
    [InlineData("neighbours==urn:ngsi-ld:Building:c", false)]
    [InlineData("neighbours!=urn:ngsi-ld:Building:c", true)]
    [InlineData("category==https://example.org/ns/monument", true)]
    [InlineData("category==\"https://example.org/ns/monument\"", true)]
    [InlineData("category==\"monument\"", true)]
    [InlineData("category==\"shop\",\"monument\"", true)]
    [InlineData("category!=\"monument\"", false)]
    [InlineData("category==\"shop\"", false)]
    public void Matches_RelationshipsAndUris_CompareObjects(string q, bool expected) =>
        Assert.Equal(expected, Q(q, Pisa));

    [Theory]
    [InlineData("speed==50", true)]
    [InlineData("speed==80", true)]
    [InlineData("speed==60", false)]
    [InlineData("speed>70", true)]
    [InlineData("speed!=50", true)] // the gps instance (80) differs
    [InlineData("speed.datasetId==urn:ngsi-ld:Dataset:gps", true)]
    [InlineData("speed.datasetId==urn:ngsi-ld:Dataset:other", false)]
    [InlineData("speed.datasetId", true)]
    [InlineData("name.datasetId", false)]
    public void Matches_MultipleInstances_AnyInstanceMatches(string q, bool expected) =>
        Assert.Equal(expected, Q(q, Pisa));

    [Theory]
    [InlineData("name", true)]
    [InlineData("invalidQuery", false)]
    [InlineData("!invalidQuery", true)]
    [InlineData("!name", false)]
    [InlineData("name;locatedIn", true)]
    [InlineData("name;!locatedIn", false)]
    [InlineData("nothing|locatedIn", true)]
    [InlineData("https://other.org/vocab/v1.0/rating", true)]
    [InlineData("https://other.org/vocab/v1.0/rating>=4", true)]
    [InlineData("https://other.org/vocab/v1.0/rating.observedAt", false)]
    [InlineData("ex:name", false)]
    public void Matches_Existence_TestsAttributePresence(string q, bool expected) =>
        Assert.Equal(expected, Q(q, Pisa));

    [Fact]
    public void Matches_AttributeNamesAreExpanded_WithTheGivenFunction()
    {
        var expression = QExpression.Parse("nombre==\"Pisa Tower\"", name => name == "nombre" ? Ns + "name" : Ns + name);
        Assert.True(expression.Matches(Pisa));
        Assert.Equal("nombre==\"Pisa Tower\"", expression.Text);
    }

    [Fact]
    public void Matches_QuotedStringWithEscapes_IsDecoded()
    {
        var entity = Entity().Property("motto", "\"say \\\"hi\\\"; or | not\"").Build();
        Assert.True(Q("motto==\"say \\\"hi\\\"; or | not\"", entity));
        Assert.True(Q("motto==\"say \\u0022hi\\u0022; or | not\"", entity));
    }

    [Fact]
    public void Matches_EntityWithoutAttribute_OnlyNegatedExistenceHolds()
    {
        var empty = Entity().Build();
        Assert.False(Q("name!=\"x\"", empty));
        Assert.False(Q("name", empty));
        Assert.True(Q("!name", empty));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("name==")]
    [InlineData("name=\"x\"")]
    [InlineData("name===\"x\"")]
    [InlineData("name==Pisa")]
    [InlineData("name==\"unterminated")]
    [InlineData("name==\"bad \\q escape\"")]
    [InlineData("(name==\"x\"")]
    [InlineData("name==\"x\")")]
    [InlineData("((name)")]
    [InlineData("()")]
    [InlineData("name;")]
    [InlineData("name|")]
    [InlineData(";name")]
    [InlineData("|name")]
    [InlineData("name;;floors")]
    [InlineData("name||floors")]
    [InlineData("name floors")]
    [InlineData("1name==1")]
    [InlineData("na-me==1")]
    [InlineData("name.==1")]
    [InlineData("name..sub==1")]
    [InlineData("temperature.observedAt.x==1")]
    [InlineData("createdAt.x==1")]
    [InlineData("name[city==1")]
    [InlineData("name[]==1")]
    [InlineData("name]==1")]
    [InlineData("name{x}==1")]
    [InlineData("floors>true")]
    [InlineData("floors>1,2")]
    [InlineData("floors>1..2")]
    [InlineData("floors==1..")]
    [InlineData("floors==..2")]
    [InlineData("floors==1..\"b\"")]
    [InlineData("floors==true..false")]
    [InlineData("floors==1,")]
    [InlineData("floors==,1")]
    [InlineData("floors==01")]
    [InlineData("floors==1.")]
    [InlineData("floors==NaN")]
    [InlineData("name~=")]
    [InlineData("name~=(unclosed")]
    [InlineData("name~=\"(?<=x)y\"")]
    [InlineData("!name==1")]
    [InlineData("name<>1")]
    [InlineData("name=~1")]
    [InlineData("name==1 2")]
    public void Parse_InvalidSyntax_ThrowsBadRequestData(string q)
    {
        var e = Assert.Throws<NgsiLdException>(() => QExpression.Parse(q, Expand));
        Assert.Equal(ErrorTypes.BadRequestData, e.Type);
        Assert.Equal(400, e.Status);
        Assert.Contains("q", e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Error_DetailSaysWhatAndWhere()
    {
        var e = Assert.Throws<NgsiLdException>(() => QExpression.Parse("name==\"x\";floors=5", Expand));
        Assert.Contains("position 16", e.Detail, StringComparison.Ordinal);
        Assert.Contains("operator", e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Matches_PathologicalRegex_RunsInLinearTime()
    {
        var entity = Entity().Property("text", "\"" + new string('a', 100_000) + "!\"").Build();
        var expression = QExpression.Parse("text~=^(a+)+$", Expand);
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(expression.Matches(entity));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
    }

    [Theory]
    [InlineData("[")]
    [InlineData("a{2,1}")]
    [InlineData("(?=x)")]
    public void CreateRegex_InvalidOrUnsupportedPattern_ThrowsBadRequestData(string pattern)
    {
        var e = Assert.Throws<NgsiLdException>(() => QuerySyntax.CreateRegex(pattern, "idPattern"));
        Assert.Equal(ErrorTypes.BadRequestData, e.Type);
        Assert.Contains("idPattern", e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Matches_ManyEntities_DoesNotAllocatePerEvaluation()
    {
        var expression = QExpression.Parse("(name==\"Pisa Tower\"|floors==1,2,3);speed>70;temperature.observedAt>=2017-01-01T00:00:00Z", Expand);
        expression.Matches(Pisa);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(expression.Matches(Pisa));
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 8 * 1000, $"allocated {allocated} bytes for 1000 evaluations");
    }
}
