namespace Aeros.Broker.Storage;

/// <summary>A non-creating operation named a tenant that does not exist.</summary>
internal sealed class UnknownTenantException(string tenant) : AerosException($"Tenant '{tenant}' does not exist.")
{
    public string Tenant { get; } = tenant;
}
