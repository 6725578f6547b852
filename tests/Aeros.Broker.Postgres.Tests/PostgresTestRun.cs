using System.Runtime.CompilerServices;
using Aeros.Testing;

namespace Aeros.Broker.Postgres.Tests;

/// <summary>Selects the PostgreSQL store for every broker this test assembly starts.</summary>
internal static class PostgresTestRun
{
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "Selects the store before any test runs.")]
    internal static void SelectStore() => TestStore.Engine = Aeros.Broker.BrokerOptions.PostgresStore;
}
