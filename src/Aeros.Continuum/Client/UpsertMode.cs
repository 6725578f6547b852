namespace Aeros.Continuum;

/// <summary>What an upsert does to an entity that already exists (NGSI-LD batch upsert <c>options</c>).</summary>
public enum UpsertMode
{
    /// <summary>The entity becomes exactly the record: attributes not in it are removed.</summary>
    Replace,

    /// <summary>The record's attributes are written over the entity; attributes not in the record are kept.</summary>
    Update,
}
