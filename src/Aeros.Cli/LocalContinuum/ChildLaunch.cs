namespace Aeros.Cli.LocalContinuum;

/// <summary>
/// How <c>aeros up</c> starts a child: its <c>aeros</c> arguments and the environment it adds (with security on, the
/// child's credential; secrets travel only here, never in the arguments). The same for the first start and for a restart
/// from the state file, so a restarted domain host or agent (after a crash) gets exactly its credentials again.
/// </summary>
/// <param name="Arguments">The arguments after <c>aeros</c>.</param>
/// <param name="Environment">Variables added to the child's environment; null: none.</param>
internal sealed record ChildLaunch(IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string>? Environment)
{
    /// <summary>A domain host: <c>aeros domain --name N --urls U --data D [--entrypoint] [--peer P]</c>.</summary>
    public static ChildLaunch Domain(string name, Uri url, string dataDirectory, bool entrypoint, Uri? peer, IReadOnlyDictionary<string, string>? environment)
    {
        List<string> args = ["domain", "--name", name, "--urls", url.AbsoluteUri.TrimEnd('/'), "--data", dataDirectory];
        if (entrypoint)
        {
            args.Add("--entrypoint");
        }
        if (peer is not null)
        {
            args.AddRange(["--peer", peer.AbsoluteUri.TrimEnd('/')]);
        }
        return new ChildLaunch(args, environment);
    }

    /// <summary>An agent: <c>aeros agent --broker B --domain N --ie-id I --urls U --state-dir S</c>.</summary>
    public static ChildLaunch Agent(Uri domainUrl, string domain, string ieId, Uri url, string stateDirectory, IReadOnlyDictionary<string, string>? environment) =>
        new(["agent", "--broker", domainUrl.AbsoluteUri.TrimEnd('/'), "--domain", domain, "--ie-id", ieId, "--urls", url.AbsoluteUri.TrimEnd('/'),
            "--state-dir", stateDirectory], environment);

    /// <summary>The domain host <paramref name="name"/> of a running continuum, as <c>aeros up</c> started it (for a restart).</summary>
    public static ChildLaunch DomainOf(ContinuumState state, string name)
    {
        ArgumentNullException.ThrowIfNull(state);
        var domain = state.Domains.Single(d => d.Name == name);
        var entrypoint = state.Domains.First(d => d.Entrypoint);
        // The IAM's administrator secret only matters at its first start; its database outlives a restart.
        var environment = domain.Credential is { } credential
            ? ContinuumSecurity.DomainEnvironment(credential, domain.Entrypoint, state.Domains.Select(d => new Uri(d.Url)), initialAdminSecret: null,
                state.Agents.Where(a => a.Domain == name).Select(a => new Uri(a.Url)))
            : null;
        return Domain(domain.Name, new Uri(domain.Url), domain.DataDirectory, domain.Entrypoint, domain.Entrypoint ? null : new Uri(entrypoint.Url), environment);
    }

    /// <summary>The agent of <paramref name="ieId"/> of a running continuum, as <c>aeros up</c> started it (for a restart).</summary>
    public static ChildLaunch AgentOf(ContinuumState state, string ieId)
    {
        ArgumentNullException.ThrowIfNull(state);
        var agent = state.Agents.Single(a => a.IeId == ieId);
        var domain = state.Domains.Single(d => d.Name == agent.Domain);
        return Agent(new Uri(domain.Url), domain.Name, agent.IeId, new Uri(agent.Url), agent.StateDirectory,
            agent.Credential is { } credential ? ContinuumSecurity.AgentEnvironment(credential) : null);
    }
}
