using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aeros.Orchestration.Federation;

/// <summary>How far the federator got with one other domain.</summary>
internal enum PeerSyncState
{
    /// <summary>Discovered, not yet federated.</summary>
    Pending,
    /// <summary>Both sides hold each other's registrations (as of the last pass).</summary>
    Synced,
    /// <summary>The last attempt failed; retried with back-off.</summary>
    Unreachable,
}

/// <summary>What the federator knows of another domain (immutable; replaced on every change).</summary>
internal sealed record KnownDomain(string Name, Uri PublicUrl, string? Alias, PeerSyncState State, string? LastError,
    DateTimeOffset? LastSuccess, DateTimeOffset? LastAttempt);

/// <summary>The state of a configured peer URL (asked for the domains it knows).</summary>
internal sealed record PeerStatus(Uri Url, bool Reachable, string? LastError, DateTimeOffset? LastAttempt);

/// <summary>Everything the federation API reports.</summary>
internal sealed record FederationSnapshot(string Domain, Uri? PublicUrl, Uri? BrokerUrl, string? Alias, bool Left,
    DateTimeOffset? LastPass, bool LastPassComplete, IReadOnlyList<KnownDomain> Domains, IReadOnlyList<PeerStatus> Peers,
    Uri? NameConflict = null);

/// <summary>The outcome of leaving for one other domain.</summary>
internal sealed record LeaveOutcome(string Domain, bool RegistrationsRemoved, string? Error);

/// <summary>
/// The reconciler of domain federation. One pass (<see cref="SyncOnceAsync"/>) re-reads everything and converges:
/// it writes this domain's Domain entity, learns the other domains (its own broker's federated view, the
/// registrations it holds, its peers' federated views), and for every other domain that is alive and not
/// removed puts that domain's four registrations into its own broker and its own four into that domain's broker
/// — idempotently. A domain seen as <c>Removed</c> has its registrations dropped on both sides and is forgotten.
/// Failures of one domain never stop the others; the caller repeats passes with back-off.
/// </summary>
internal sealed partial class DomainFederator
{
    private readonly FederationOptions _options;
    private readonly BrokerClient _client;
    private readonly FederationEndpoints _endpoints;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<string, KnownDomain> _domains = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Uri, PeerStatus> _peers = new();
    private volatile bool _left;
    private volatile Uri? _nameConflict;
    private volatile string? _alias;
    private DateTimeOffset? _lastPass;
    private bool _lastPassComplete;
    private readonly SemaphoreSlim _wake = new(0, 1);

    public DomainFederator(IOptions<FederationOptions> options, BrokerClient client, FederationEndpoints endpoints, TimeProvider time, ILogger<DomainFederator> logger)
    {
        _options = options.Value;
        _client = client;
        _endpoints = endpoints;
        _time = time;
        _logger = logger;
        foreach (var peer in _options.Peers)
        {
            _peers[peer] = new PeerStatus(peer, false, null, null);
        }
    }

    /// <summary>This domain's name.</summary>
    public string DomainName => _options.DomainName;

    /// <summary>Whether this domain left the continuum (no more passes join it).</summary>
    public bool HasLeft => _left;

    /// <summary>Asks the loop for a pass now instead of after its delay (a wake during a pass is kept for after it).</summary>
    public void Wake()
    {
        lock (_wake)
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
    }

    /// <summary>Waits <paramref name="delay"/> (on the injected clock) or until <see cref="Wake"/> is called.</summary>
    public async Task WaitForNextPassAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var woken = _wake.WaitAsync(both.Token);
        var elapsed = Task.Delay(delay, _time, both.Token);
        await Task.WhenAny(woken, elapsed);
        // Cancelling the loser withdraws a pending wait without consuming a later wake.
        await both.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Joins again after <see cref="LeaveAsync"/>: the next pass (started now) writes everything back.</summary>
    public void Rejoin()
    {
        _left = false;
        Wake();
    }

    /// <summary>A consistent copy of the state for the API.</summary>
    public FederationSnapshot Snapshot() => new(
        _options.DomainName, _endpoints.PublicUrl, _endpoints.BrokerUrl, _alias, _left, _lastPass, _lastPassComplete,
        _domains.Values.OrderBy(d => d.Name, StringComparer.Ordinal).ToList(),
        _peers.Values.OrderBy(p => p.Url.AbsoluteUri, StringComparer.Ordinal).ToList(), _nameConflict);

    /// <summary>
    /// One reconcile pass. Returns true when every known domain and every peer was reached (the next pass can wait
    /// the resync interval), false when something must be retried soon. Never throws for a failing broker.
    /// </summary>
    public async Task<bool> SyncOnceAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_left)
            {
                return true;
            }
            var complete = await SyncCoreAsync(cancellationToken);
            _lastPass = _time.GetUtcNow();
            _lastPassComplete = complete;
            return complete;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<bool> SyncCoreAsync(CancellationToken cancellationToken)
    {
        var self = _endpoints.BrokerUrl ?? throw new InvalidOperationException("The federator runs before the host listens.");
        var publicUrl = _endpoints.PublicUrl!;
        var name = _options.DomainName;

        // 1. The own broker: its alias and the Domain entity. Without them nothing else makes sense this pass.
        try
        {
            _alias = await _client.GetAliasAsync(self, cancellationToken);
            await WriteOwnDomainAsync(self, publicUrl, ContinuumTerms.DomainStatusFunctional, cancellationToken);
        }
        catch (BrokerRequestException e)
        {
            LogOwnBrokerFailed(_logger, name, e.Message);
            return false;
        }

        // 2. Discovery: the registrations the own broker holds (they survive a restart of the federator), what it
        // sees through them, and what each peer sees.
        var complete = true;
        var removed = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var registration in await _client.ListFederationRegistrationsAsync(self, cancellationToken))
            {
                if (registration.Endpoint is not null && registration.DomainName != name)
                {
                    Learn(registration.DomainName, registration.Endpoint);
                }
            }
            Observe(await _client.QueryDomainsAsync(self, local: false, cancellationToken), removed);
        }
        catch (BrokerRequestException e)
        {
            LogOwnBrokerFailed(_logger, name, e.Message);
            complete = false;
        }
        var peerViews = await Task.WhenAll(_peers.Keys.Select(async peer =>
        {
            try
            {
                var view = await _client.QueryDomainsAsync(peer, local: false, cancellationToken);
                _peers[peer] = new PeerStatus(peer, true, null, _time.GetUtcNow());
                return view;
            }
            catch (BrokerRequestException e)
            {
                LogPeerFailed(_logger, peer, e.Message);
                _peers[peer] = new PeerStatus(peer, false, e.Message, _time.GetUtcNow());
                return null;
            }
        }));
        foreach (var view in peerViews)
        {
            if (view is null)
            {
                complete = false;
                continue;
            }
            Observe(view, removed);
        }

        // 3. Converge with every known domain, each on its own (one slow domain does not hold up the others).
        var results = await Task.WhenAll(_domains.Values.ToList().Select(domain =>
            removed.Contains(domain.Name)
                ? ForgetAsync(domain, self, cancellationToken)
                : SyncWithAsync(domain, self, publicUrl, cancellationToken)));
        return complete && results.All(ok => ok);
    }

    /// <summary>
    /// Upserts this domain's Domain entity, unless the broker already holds exactly these attributes: a pass every
    /// resync interval must not rewrite it (each write would notify every subscriber to Domain entities).
    /// </summary>
    private async Task WriteOwnDomainAsync(Uri self, Uri publicUrl, string status, CancellationToken cancellationToken)
    {
        var desired = DomainRecord.BuildEntity(_options.DomainName, publicUrl, status, _options.IsEntrypoint, _options.Owners);
        if (!DomainRecord.Holds(await _client.GetDomainEntityAsync(self, _options.DomainName, cancellationToken), desired))
        {
            await _client.UpsertEntityAsync(self, desired, cancellationToken);
        }
    }

    /// <summary>Adds domains seen in a view; remembers the ones marked Removed; notices another domain using this name.</summary>
    private void Observe(IReadOnlyList<DomainRecord> view, HashSet<string> removed)
    {
        foreach (var record in view)
        {
            if (record.Name == _options.DomainName)
            {
                // Two domains of one name would overwrite each other's registrations everywhere: say so loudly.
                if (record.PublicUrl is not null && _endpoints.PublicUrl is { } own
                    && FederationRegistrations.EndpointText(record.PublicUrl) != FederationRegistrations.EndpointText(own))
                {
                    LogNameConflict(_logger, record.Name, record.PublicUrl, own);
                    _nameConflict = record.PublicUrl;
                }
                continue;
            }
            if (record.IsRemoved)
            {
                removed.Add(record.Name);
                continue;
            }
            if (record.PublicUrl is not null)
            {
                Learn(record.Name, record.PublicUrl);
            }
        }
    }

    private void Learn(string name, Uri publicUrl)
    {
        var added = false;
        _domains.AddOrUpdate(name,
            _ =>
            {
                added = true;
                return new KnownDomain(name, publicUrl, null, PeerSyncState.Pending, null, null, null);
            },
            (_, known) => known.PublicUrl == publicUrl ? known : known with { PublicUrl = publicUrl, State = PeerSyncState.Pending });
        if (added)
        {
            LogDiscovered(_logger, _options.DomainName, name, publicUrl);
        }
    }

    /// <summary>Checks the domain directly; if alive, puts the registrations on both sides.</summary>
    private async Task<bool> SyncWithAsync(KnownDomain domain, Uri self, Uri publicUrl, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        try
        {
            // Only a domain that answers and calls itself not Removed gets (re)registered here; a domain that left
            // and went away is never brought back into the continuum by a stale memory.
            var record = await _client.GetDomainAsync(domain.PublicUrl, domain.Name, cancellationToken);
            if (record is null)
            {
                throw new BrokerRequestException($"{domain.PublicUrl} holds no Domain entity {ContinuumTerms.DomainId(domain.Name)} (yet).");
            }
            if (record.IsRemoved)
            {
                return await ForgetAsync(domain, self, cancellationToken);
            }
            var alias = await _client.GetAliasAsync(domain.PublicUrl, cancellationToken);
            foreach (var registration in FederationRegistrations.Build(domain.Name, domain.PublicUrl, alias, _options.ForwardTimeout))
            {
                await _client.PutRegistrationAsync(self, registration, cancellationToken);
            }
            foreach (var registration in FederationRegistrations.Build(_options.DomainName, publicUrl, _alias, _options.ForwardTimeout))
            {
                await _client.PutRegistrationAsync(domain.PublicUrl, registration, cancellationToken);
            }
            if (domain.State != PeerSyncState.Synced)
            {
                LogSynced(_logger, _options.DomainName, domain.Name, domain.PublicUrl);
                // Its federator learns of this domain at once rather than at its next resync.
                await _client.NudgeAsync(domain.PublicUrl, cancellationToken);
            }
            Update(domain.Name, d => d with { Alias = alias, State = PeerSyncState.Synced, LastError = null, LastSuccess = now, LastAttempt = now });
            return true;
        }
        catch (BrokerRequestException e)
        {
            LogUnreachable(_logger, _options.DomainName, domain.Name, e.Message);
            Update(domain.Name, d => d with { State = PeerSyncState.Unreachable, LastError = e.Message, LastAttempt = now });
            return false;
        }
    }

    /// <summary>A domain that left: its registrations go from the own broker, the own ones from it (best effort there).</summary>
    private async Task<bool> ForgetAsync(KnownDomain domain, Uri self, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var id in FederationRegistrations.Ids(domain.Name))
            {
                await _client.DeleteRegistrationAsync(self, id, cancellationToken);
            }
        }
        catch (BrokerRequestException e)
        {
            LogOwnBrokerFailed(_logger, _options.DomainName, e.Message);
            return false;
        }
        try
        {
            foreach (var id in FederationRegistrations.Ids(_options.DomainName))
            {
                await _client.DeleteRegistrationAsync(domain.PublicUrl, id, cancellationToken);
            }
        }
        catch (BrokerRequestException e)
        {
            // It left; if it is gone too, there is nothing left to clean there.
            LogLeaveFailed(_logger, _options.DomainName, domain.Name, e.Message);
        }
        _domains.TryRemove(domain.Name, out _);
        LogPeerRemoved(_logger, _options.DomainName, domain.Name);
        return true;
    }

    private void Update(string name, Func<KnownDomain, KnownDomain> change)
    {
        // Only this domain's pass writes its entry (passes are serialized), so a plain read-modify-write suffices.
        if (_domains.TryGetValue(name, out var known))
        {
            _domains[name] = change(known);
        }
    }

    /// <summary>
    /// Leaves the continuum: marks the Domain entity Removed (so no other federator re-adds this domain), removes
    /// this domain's registrations from every known domain and every federation registration from the own broker,
    /// and stops joining. Idempotent; other domains that could not be reached clean up when they next see the
    /// Removed status.
    /// </summary>
    public async Task<IReadOnlyList<LeaveOutcome>> LeaveAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _left = true;
            var name = _options.DomainName;
            LogLeaving(_logger, name);
            var self = _endpoints.BrokerUrl ?? throw new InvalidOperationException("The federator runs before the host listens.");
            await WriteOwnDomainAsync(self, _endpoints.PublicUrl!, ContinuumTerms.DomainStatusRemoved, cancellationToken);
            try
            {
                foreach (var registration in await _client.ListFederationRegistrationsAsync(self, cancellationToken))
                {
                    if (registration.DomainName != name && registration.Endpoint is not null && !_domains.ContainsKey(registration.DomainName))
                    {
                        _domains[registration.DomainName] = new KnownDomain(registration.DomainName, registration.Endpoint, registration.Alias,
                            PeerSyncState.Pending, null, null, null);
                    }
                }
            }
            catch (BrokerRequestException e)
            {
                // The domains known in memory are still cleaned up.
                LogOwnBrokerFailed(_logger, name, e.Message);
            }
            var outcomes = await Task.WhenAll(_domains.Values.ToList().Select(async domain =>
            {
                try
                {
                    foreach (var id in FederationRegistrations.Ids(name))
                    {
                        await _client.DeleteRegistrationAsync(domain.PublicUrl, id, cancellationToken);
                    }
                    // Its federator forgets this domain at once rather than at its next resync.
                    await _client.NudgeAsync(domain.PublicUrl, cancellationToken);
                    return new LeaveOutcome(domain.Name, true, null);
                }
                catch (BrokerRequestException e)
                {
                    LogLeaveFailed(_logger, name, domain.Name, e.Message);
                    return new LeaveOutcome(domain.Name, false, e.Message);
                }
            }));
            foreach (var domain in _domains.Keys.ToList())
            {
                foreach (var id in FederationRegistrations.Ids(domain))
                {
                    await _client.DeleteRegistrationAsync(self, id, cancellationToken);
                }
            }
            _domains.Clear();
            return outcomes.OrderBy(o => o.Domain, StringComparer.Ordinal).ToList();
        }
        finally
        {
            _gate.Release();
        }
    }
}
