namespace Aeros.Broker.Storage;

/// <summary>
/// A write named a tenant that does not exist and was not allowed to create it (NGSI-LD NonexistentTenant).
/// Thrown by <see cref="IEntityStore.WriteAsync{T}"/> before the work runs.
/// </summary>
internal sealed class UnknownTenantException : AerosException
{
    public UnknownTenantException(string tenant)
        : base($"Tenant '{tenant}' does not exist.")
    {
        Tenant = tenant;
    }

    /// <summary>The tenant that was named.</summary>
    public string Tenant { get; }
}
