using Aeros.JsonLd.Registry;
using Aeros.JsonLd.Resolution;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Aeros.JsonLd.Tests.TestSupport;

/// <summary>The JSON-LD module as a host wires it, with a fake clock unless a test needs real time.</summary>
internal sealed class JsonLdHarness : IDisposable
{
    private JsonLdHarness(ServiceProvider provider, FakeTimeProvider? time)
    {
        Provider = provider;
        Time = time;
    }

    public ServiceProvider Provider { get; }

    /// <summary>The fake clock; null when the harness runs on real time.</summary>
    public FakeTimeProvider? Time { get; }

    public JsonLdContextResolver Resolver => Provider.GetRequiredService<JsonLdContextResolver>();

    public IJsonLdContextResolver PublicResolver => Provider.GetRequiredService<IJsonLdContextResolver>();

    public JsonLdContextRegistry Registry => Provider.GetRequiredService<JsonLdContextRegistry>();

    public static JsonLdHarness Create(Action<JsonLdOptions>? configure = null, bool realTime = false)
    {
        var services = new ServiceCollection();
        FakeTimeProvider? time = null;
        if (!realTime)
        {
            time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
            services.AddSingleton<TimeProvider>(time);
        }

        services.AddAerosJsonLd(configure);
        return new JsonLdHarness(services.BuildServiceProvider(), time);
    }

    public void Dispose() => Provider.Dispose();
}
