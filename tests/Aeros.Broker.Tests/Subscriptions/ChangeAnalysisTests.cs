using Aeros.Broker.Model;
using Aeros.Broker.Subscriptions;
using Aeros.Broker.Tests.Query;

namespace Aeros.Broker.Tests.Subscriptions;

public sealed class ChangeAnalysisTests
{
    private static readonly string Speed = TestEntities.Expand("speed");
    private static readonly string Name = TestEntities.Expand("name");

    private static Entity Vehicle(int speed, string? observedAt = null, AttributeMap? subs = null) =>
        TestEntities.Entity("urn:ngsi-ld:Vehicle:1", "Vehicle").Property("speed", speed.ToString(System.Globalization.CultureInfo.InvariantCulture), observedAt: observedAt, subAttributes: subs)
            .Property("name", "\"car\"").Build();

    [Fact]
    public void Analyze_Creation_EntityAndAttributeCreated()
    {
        var result = ChangeAnalysis.Analyze(null, Vehicle(1), null, null);

        Assert.Equal(NotificationTriggers.EntityCreated | NotificationTriggers.AttributeCreated, result.Fired);
    }

    [Fact]
    public void Analyze_CreationWithoutWatchedAttribute_NothingFires()
    {
        var result = ChangeAnalysis.Analyze(null, Vehicle(1), [TestEntities.Expand("colour")], null);

        Assert.Equal(NotificationTriggers.None, result.Fired);
    }

    [Fact]
    public void Analyze_OnlyTimestampsChanged_NothingFires()
    {
        var before = Vehicle(1);
        var after = Vehicle(1);
        after.Attributes[Speed][0].ModifiedAt = after.Attributes[Speed][0].ModifiedAt.AddHours(1);
        after.ModifiedAt = after.ModifiedAt.AddHours(1);

        Assert.Equal(NotificationTriggers.None, ChangeAnalysis.Analyze(before, after, null, null).Fired);
    }

    [Theory]
    [InlineData("value")]
    [InlineData("observedAt")]
    [InlineData("subAttribute")]
    public void Analyze_MemberChanged_AttributeAndEntityUpdated(string what)
    {
        var before = Vehicle(1, "2024-01-01T00:00:00Z", TestEntities.Subs(("accuracy", TestEntities.Instance(AttributeKind.Property, "1"))));
        var after = what switch
        {
            "value" => Vehicle(2, "2024-01-01T00:00:00Z", TestEntities.Subs(("accuracy", TestEntities.Instance(AttributeKind.Property, "1")))),
            "observedAt" => Vehicle(1, "2024-01-02T00:00:00Z", TestEntities.Subs(("accuracy", TestEntities.Instance(AttributeKind.Property, "1")))),
            _ => Vehicle(1, "2024-01-01T00:00:00Z", TestEntities.Subs(("accuracy", TestEntities.Instance(AttributeKind.Property, "2")))),
        };

        var result = ChangeAnalysis.Analyze(before, after, [Speed], null);

        Assert.Equal(NotificationTriggers.AttributeUpdated | NotificationTriggers.EntityUpdated, result.Fired);
        var (current, previous) = Assert.Single(result.Updated!);
        Assert.Same(after.Attributes[Speed][0], current);
        Assert.Same(before.Attributes[Speed][0], previous);
    }

    [Fact]
    public void Analyze_InstanceAddedAndRemoved_CreatedAndDeletedFired()
    {
        var before = TestEntities.Entity().Property("name", "\"a\"", datasetId: "urn:ds:1").Build();
        var after = TestEntities.Entity().Property("name", "\"a\"", datasetId: "urn:ds:2").Build();

        var result = ChangeAnalysis.Analyze(before, after, null, null);

        Assert.Equal(NotificationTriggers.AttributeCreated | NotificationTriggers.AttributeDeleted | NotificationTriggers.EntityUpdated, result.Fired);
        Assert.Equal("urn:ds:1", Assert.Single(result.Deleted!).Before.DatasetId);
    }

    [Fact]
    public void Analyze_DatasetFilter_OtherInstancesIgnored()
    {
        var before = TestEntities.Entity().Property("name", "\"a\"").Property("name", "\"x\"", datasetId: "urn:ds:1").Build();
        var after = TestEntities.Entity().Property("name", "\"b\"").Property("name", "\"x\"", datasetId: "urn:ds:1").Build();

        Assert.Equal(NotificationTriggers.None, ChangeAnalysis.Analyze(before, after, null, ["urn:ds:1"]).Fired);
        Assert.NotEqual(NotificationTriggers.None, ChangeAnalysis.Analyze(before, after, null, ["@none"]).Fired);
    }

    [Fact]
    public void Analyze_ScopeChangedWithoutWatchedAttributes_EntityUpdatedOnly()
    {
        var before = TestEntities.Entity().Property("name", "\"a\"").Build();
        var after = TestEntities.Entity().Property("name", "\"a\"").Scopes("/a").Build();

        Assert.Equal(NotificationTriggers.EntityUpdated, ChangeAnalysis.Analyze(before, after, null, null).Fired);
        Assert.Equal(NotificationTriggers.None, ChangeAnalysis.Analyze(before, after, [Name], null).Fired);
    }

    [Fact]
    public void Analyze_Deletion_EntityAndWatchedAttributesDeleted()
    {
        var result = ChangeAnalysis.Analyze(Vehicle(1), null, [Name], null);

        Assert.Equal(NotificationTriggers.EntityDeleted | NotificationTriggers.AttributeDeleted, result.Fired);
        Assert.Equal(Name, Assert.Single(result.Deleted!).Name);
    }
}
