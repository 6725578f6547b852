using System.Text.Json;
using System.Text.Json.Serialization;

namespace Aeros.Cli.LocalContinuum;

/// <summary>
/// The state file of a running local continuum (<c>&lt;data&gt;/continuum.json</c>), written atomically by <c>aeros up</c>
/// once everything is ready and removed when it stops cleanly. Other commands (<c>status</c>, <c>down</c>, <c>deploy</c>,
/// <c>ie list</c>, <c>logs</c>) read it through <see cref="ContinuumStateFile"/> to find the domains and agents.
/// Process ids come with their kernel start time so that a recycled pid is never mistaken for a child.
/// </summary>
/// <param name="Version">Format version (1).</param>
/// <param name="UpPid">Process id of the <c>aeros up</c> that owns the continuum.</param>
/// <param name="UpStartTicks">Its start time (/proc/&lt;pid&gt;/stat field 22), null where unknown.</param>
/// <param name="StartedAt">When it became ready.</param>
/// <param name="DataDirectory">The absolute data directory.</param>
/// <param name="Domains">The domain hosts, domain1 first.</param>
/// <param name="Agents">The agents, domain by domain.</param>
/// <param name="Security">With security on: the CLI's administrator credential (the file is then readable by its owner only, as it also
/// holds each child's credential).</param>
public sealed record ContinuumState(int Version, int UpPid, long? UpStartTicks, DateTimeOffset StartedAt, string DataDirectory,
    IReadOnlyList<ContinuumDomainState> Domains, IReadOnlyList<ContinuumAgentState> Agents, ContinuumCredential? Security = null)
{
    /// <summary>The current <see cref="Version"/>.</summary>
    public const int CurrentVersion = 1;
}

/// <summary>A domain host of a local continuum.</summary>
/// <param name="Name">Domain name (<c>domain1</c>...).</param>
/// <param name="Url">Root URL of the domain host.</param>
/// <param name="BrokerUrl">Its NGSI-LD API (<c>&lt;url&gt;/ngsi-ld/v1/</c>).</param>
/// <param name="FederationUrl">Its federation API (<c>&lt;url&gt;/federation/v1/</c>).</param>
/// <param name="Entrypoint">Whether it is the continuum's entrypoint domain.</param>
/// <param name="Pid">Process id of the <c>aeros domain</c> child.</param>
/// <param name="StartTicks">Its start time (see <see cref="ContinuumState"/>).</param>
/// <param name="DataDirectory">Its data directory.</param>
/// <param name="LogFile">Its stdout/stderr.</param>
/// <param name="Credential">With security on: the domain host's own client credential (a restart passes it again).</param>
public sealed record ContinuumDomainState(string Name, string Url, string BrokerUrl, string FederationUrl, bool Entrypoint, int Pid, long? StartTicks,
    string DataDirectory, string LogFile, ContinuumCredential? Credential = null);

/// <summary>An agent (infrastructure element) of a local continuum.</summary>
/// <param name="IeId">Its InfrastructureElement id.</param>
/// <param name="Domain">The domain it reports to.</param>
/// <param name="Url">Root URL of its self-API (<c>/self/v1</c> lies under it).</param>
/// <param name="Pid">Process id of the <c>aeros agent</c> child.</param>
/// <param name="StartTicks">Its start time (see <see cref="ContinuumState"/>).</param>
/// <param name="StateDirectory">Its state directory.</param>
/// <param name="LogFile">Its stdout/stderr.</param>
/// <param name="Credential">With security on: the agent's client credential (a restart passes it again).</param>
public sealed record ContinuumAgentState(string IeId, string Domain, string Url, int Pid, long? StartTicks, string StateDirectory, string LogFile,
    ContinuumCredential? Credential = null);

/// <summary>A client credential of the continuum's IAM (the CLI's or a child's, from <c>aeros up</c>, or <c>aeros login</c>'s).</summary>
/// <param name="Issuer">The IAM's issuer, e.g. <c>http://127.0.0.1:9090/iam/</c>.</param>
/// <param name="TokenUrl">Its token endpoint.</param>
/// <param name="ClientId">The client id.</param>
/// <param name="ClientSecret">The client secret.</param>
public sealed record ContinuumCredential(string Issuer, string TokenUrl, string ClientId, string ClientSecret);

/// <summary>Reads and writes <see cref="ContinuumState"/> files.</summary>
public static class ContinuumStateFile
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The state file of the continuum on <paramref name="dataDirectory"/>.</summary>
    public static string PathOf(string dataDirectory) => ContinuumLayout.StateFile(Path.GetFullPath(dataDirectory));

    /// <summary>The state of the continuum on <paramref name="dataDirectory"/>, or null when there is no state file.</summary>
    /// <exception cref="InvalidDataException">The file exists but cannot be read as a state file.</exception>
    public static ContinuumState? Read(string dataDirectory)
    {
        var path = PathOf(dataDirectory);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        try
        {
            var state = JsonSerializer.Deserialize<ContinuumState>(text, Json);
            return state is { Domains: not null, Agents: not null } ? state : throw new InvalidDataException($"{path} is not a continuum state file.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a continuum state file: {e.Message}", e);
        }
    }

    /// <summary>Writes <paramref name="state"/> to a temporary file and renames it over the state file, so readers never see half a file.</summary>
    public static void Write(string dataDirectory, ContinuumState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var path = PathOf(dataDirectory);
        var temporary = path + ".tmp";
        WriteOwnerOnly(temporary, JsonSerializer.Serialize(state, Json));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Writes <paramref name="text"/> to a new file readable and writable by its owner only (mode 0600): it may hold a secret.</summary>
    internal static void WriteOwnerOnly(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        File.Delete(path);
        using var writer = new StreamWriter(path, System.Text.Encoding.UTF8, options);
        writer.Write(text);
    }

    /// <summary>Removes the state file (no error when there is none).</summary>
    public static void Delete(string dataDirectory) => File.Delete(PathOf(dataDirectory));
}
