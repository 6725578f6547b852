namespace Aeros.Orchestration.Federation;

/// <summary>
/// Where this domain's own broker answers and the public URL other domains use. Set once by the host after the
/// server listens (the port may be chosen by the system); the federator waits for it.
/// </summary>
internal sealed class FederationEndpoints
{
    private readonly TaskCompletionSource<(Uri Broker, Uri Public)> _set = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The own broker's base URL, once known.</summary>
    public Uri? BrokerUrl => _set.Task.IsCompletedSuccessfully ? _set.Task.Result.Broker : null;

    /// <summary>The domain's public URL, once known.</summary>
    public Uri? PublicUrl => _set.Task.IsCompletedSuccessfully ? _set.Task.Result.Public : null;

    /// <summary>Sets both URLs; later calls are ignored.</summary>
    public void Set(Uri brokerUrl, Uri publicUrl) => _set.TrySetResult((brokerUrl, publicUrl));

    /// <summary>Waits until the URLs are set.</summary>
    public Task WhenSetAsync(CancellationToken cancellationToken) => _set.Task.WaitAsync(cancellationToken);
}
