using Aeros.Broker.Query;
using Aeros.Broker.Storage;
using Aeros.Broker.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Aeros.Broker.Tests.Storage;

/// <summary>The statements of pushed-down queries use the value index (EXPLAIN QUERY PLAN), never a full scan.</summary>
public sealed class AttributeValueIndexPlanTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Ns = "https://example.org/";
    private TempStore _temp = null!;

    public async Task InitializeAsync()
    {
        _temp = await TempStore.CreateAsync(durable: false);
        await _temp.Store.WriteAsync(Tenants.Default, false, s =>
        {
            for (var i = 0; i < 300; i++)
            {
                s.Insert(AttributeIndexPerformanceTests.Element(i));
            }
            return 0;
        }, CancellationToken.None).WaitAsync(TempStore.Deadline);
    }

    public async Task DisposeAsync() => await _temp.DisposeAsync();

    private static List<PushedTerm> Terms(string q) => PushedTerm.Extract(QExpression.Parse(q, n => Ns + n));

    /// <summary>The plan of the selection statement for these terms and driver.</summary>
    private List<string> Plan(string q, int driver, bool types = true)
    {
        using var reader = new SqliteReadConnection(SqliteConnectionSetup.ConnectionString(_temp.Store.DatabasePath, readOnly: true));
        var shape = types ? SqliteReadConnection.Shape.Types : SqliteReadConnection.Shape.None;
        var select = reader.SelectPushed(shape, Tenants.Default, null, types ? $"[\"{Ns}InfrastructureElement\"]" : null, Terms(q), driver, types ? Ns + "InfrastructureElement" : null);
        using var connection = new SqliteConnection(SqliteConnectionSetup.ConnectionString(_temp.Store.DatabasePath, readOnly: true));
        connection.Open();
        using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + select.CommandText;
        foreach (SqliteParameter p in select.Parameters)
        {
            explain.Parameters.AddWithValue(p.ParameterName, p.Value);
        }
        var plan = new List<string>();
        using (var rows = explain.ExecuteReader())
        {
            while (rows.Read())
            {
                plan.Add(rows.GetString(3));
            }
        }
        output.WriteLine($"q={q} driver={driver}:\n  {select.CommandText}\n  " + string.Join("\n  ", plan));
        return plan;
    }

    [Theory]
    [InlineData("hostname==\"ie-42\"", 0)]
    [InlineData("hostname==\"ie-42\";currentCpuUsage<50", 0)]
    [InlineData("hostname==\"ie-42\",\"ie-43\"", 0)]
    [InlineData("currentCpuUsage<50;ramCapacity>=8192", 0)]
    [InlineData("currentCpuUsage<50;ramCapacity>=8192", -1)]
    [InlineData("isVirtual==true,1,\"x\"", 0)]
    [InlineData("currentCpuUsage==3..5", 0)]
    public void Plans(string q, int driver)
    {
        Plan(q, driver);
        Plan(q, driver, types: false);
    }
}
