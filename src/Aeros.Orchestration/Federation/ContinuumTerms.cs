namespace Aeros.Orchestration.Federation;

/// <summary>
/// Expanded IRIs of the aerOS continuum terms the federator writes and registers. They are the expansions of the
/// aerOS @context (smart-data-models dataModel.IT, <c>shared/fixtures/aeros-datamodel/context.jsonld</c>), so a
/// registration for <see cref="InfrastructureElement"/> matches what agents write with that context.
/// <c>Organization</c> and <c>Benchmark</c> are not in that context; they are expanded in the same
/// dataModel.IT vocabulary (documented in docs/federation.md).
/// </summary>
public static class ContinuumTerms
{
    /// <summary>The vocabulary base of the aerOS data model (smart-data-models dataModel.IT).</summary>
    public const string DataModelIt = "https://smartdatamodels.org/dataModel.IT/";

    /// <summary>Entity type <c>Domain</c>.</summary>
    public const string Domain = DataModelIt + "Domain";

    /// <summary>Entity type <c>LowLevelOrchestrator</c>.</summary>
    public const string LowLevelOrchestrator = DataModelIt + "LowLevelOrchestrator";

    /// <summary>Entity type <c>InfrastructureElement</c>.</summary>
    public const string InfrastructureElement = DataModelIt + "InfrastructureElement";

    /// <summary>Entity type <c>Service</c>.</summary>
    public const string Service = DataModelIt + "Service";

    /// <summary>Entity type <c>ServiceComponent</c>.</summary>
    public const string ServiceComponent = DataModelIt + "ServiceComponent";

    /// <summary>Entity type <c>NetworkPort</c>.</summary>
    public const string NetworkPort = DataModelIt + "NetworkPort";

    /// <summary>Entity type <c>InfrastructureElementRequirements</c>.</summary>
    public const string InfrastructureElementRequirements = DataModelIt + "InfrastructureElementRequirements";

    /// <summary>Entity type <c>Organization</c> (not in the aerOS context; same vocabulary).</summary>
    public const string Organization = DataModelIt + "Organization";

    /// <summary>Entity type <c>Benchmark</c> (not in the aerOS context; same vocabulary).</summary>
    public const string Benchmark = DataModelIt + "Benchmark";

    /// <summary>Domain property <c>publicUrl</c>: the URL of the domain's exposed API (its broker under <c>/ngsi-ld/v1</c>).</summary>
    public const string PublicUrl = DataModelIt + "publicUrl";

    /// <summary>Domain relationship <c>domainStatus</c> to a <c>urn:ngsi-ld:DomainStatus:*</c> URN.</summary>
    public const string DomainStatus = DataModelIt + "domainStatus";

    /// <summary>Domain property <c>isEntrypoint</c>.</summary>
    public const string IsEntrypoint = DataModelIt + "isEntrypoint";

    /// <summary>Domain relationship <c>owner</c> to one or more organizations.</summary>
    public const string Owner = "https://smartdatamodels.org/owner";

    /// <summary>The id prefix of Domain entities: <c>urn:ngsi-ld:Domain:&lt;name&gt;</c>.</summary>
    public const string DomainIdPrefix = "urn:ngsi-ld:Domain:";

    /// <summary>The id prefix of organizations named by a plain word in <c>--owner</c>.</summary>
    public const string OrganizationIdPrefix = "urn:ngsi-ld:Organization:";

    /// <summary>The URN prefix of the domain status enumeration.</summary>
    public const string DomainStatusPrefix = "urn:ngsi-ld:DomainStatus:";

    /// <summary>Status of a domain that is part of the continuum.</summary>
    public const string DomainStatusFunctional = DomainStatusPrefix + "Functional";

    /// <summary>Status of a domain that left the continuum.</summary>
    public const string DomainStatusRemoved = DomainStatusPrefix + "Removed";

    /// <summary>The Domain entity id of a domain name.</summary>
    public static string DomainId(string domainName) => DomainIdPrefix + domainName;
}
