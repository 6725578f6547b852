using System.Globalization;
using System.Net;
using System.Reflection;
using System.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Aeros.Benchmarks.BrokerLoad;

/// <summary>
/// The ceiling: a minimal slim Kestrel app, logging off, that answers <c>GET /entity/{id}</c> with the bytes of a
/// file as <c>application/json</c> and does no other work. It runs as a child process
/// (<c>dotnet Aeros.Benchmarks.dll bare-server --body FILE --urls http://127.0.0.1:PORT</c>), like the broker, so
/// that it does not share the driver's thread pool and GC.
/// </summary>
internal static class BareServer
{
    /// <summary>The hidden subcommand that runs the server.</summary>
    public const string Command = "bare-server";

    /// <summary>Any path under <c>entity/</c> answers; the driver polls this one until the server is up.</summary>
    public const string ReadyProbe = "entity/probe";

    /// <summary>The server prints one line starting with this at start: its GC settings.</summary>
    public const string GcLinePrefix = "bare-server gc: ";

    /// <summary>Starts the server on <paramref name="bodyFile"/> as a child process of the driver.</summary>
    public static ChildProcess Start(string bodyFile)
    {
        var self = Assembly.GetEntryAssembly()?.Location;
        if (string.IsNullOrEmpty(self) || !File.Exists(self))
        {
            throw new DriverException("Cannot find the driver's own assembly to start the bare server (single-file publish is not supported).");
        }
        return ChildProcess.Start("the bare server", self, [Command, "--body", bodyFile]);
    }

    /// <summary><c>bare-server --urls http://127.0.0.1:PORT --body FILE</c>: serves until killed.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        string? urls = null;
        string? bodyFile = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--urls": urls = args[i + 1]; break;
                case "--body": bodyFile = args[i + 1]; break;
                default: return Usage($"unknown option {args[i]}");
            }
        }
        if (args.Length % 2 != 0 || urls is null || bodyFile is null)
        {
            return Usage("--urls and --body are required");
        }
        if (!Uri.TryCreate(urls, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttp
            || !IPAddress.TryParse(url.Host, out var address))
        {
            return Usage($"--urls must be http://IP:PORT, not '{urls}'");
        }
        byte[] body;
        try
        {
            body = await File.ReadAllBytesAsync(bodyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Usage($"cannot read --body {bodyFile}: {e.Message}");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{GcLinePrefix}IsServerGC={GCSettings.IsServerGC} LatencyMode={GCSettings.LatencyMode}"));
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, url.Port));
        var app = builder.Build();
        app.MapGet("/entity/{id}", (string id) => Results.Bytes(body, "application/json"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bare-server: {body.Length} bytes at {url}entity/{{id}}"));
        await app.RunAsync();
        return 0;
    }

    private static int Usage(string error)
    {
        Console.Error.WriteLine($"{Command}: {error}\nUsage: {Command} --urls http://127.0.0.1:PORT --body FILE");
        return 2;
    }
}
