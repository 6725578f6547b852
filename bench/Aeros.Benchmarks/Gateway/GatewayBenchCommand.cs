using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Aeros.Benchmarks.BrokerLoad;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Aeros.Benchmarks.Gateway;

/// <summary>
/// <c>gateway</c>: broker GET by id measured three ways in one run — directly, through Debian's nginx as a plain
/// reverse proxy (keep-alive upstream, no auth, access log off) and through <c>aeros gateway</c> with JWT validation
/// (RS256, key from a JWKS the driver serves) and RBAC on (access log off too) — with the raw load client of
/// broker-load. Prints throughput and p50/p99 of each, and the ratios the issue targets: gateway ≥ 90 % of nginx's
/// throughput, gateway p50 ≤ direct p50 + 1 ms.
/// </summary>
internal static class GatewayBenchCommand
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);
    private const int Rounds = 2;

    public static async Task<int> RunAsync(string[] args)
    {
        int entities = 1000, concurrency = 32, seconds = 10;
        string? aerosPath = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--entities" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 1_000_000: entities = n; i++; break;
                case "--concurrency" when int.TryParse(value, CultureInfo.InvariantCulture, out var c) && c is > 0 and <= 1024: concurrency = c; i++; break;
                case "--duration" when int.TryParse(value, CultureInfo.InvariantCulture, out var d) && d is > 0 and <= 3600: seconds = d; i++; break;
                case "--aeros" when value is not null: aerosPath = value; i++; break;
                default:
                    Console.Error.WriteLine($"""
                        gateway: unknown or invalid option '{args[i]}'.
                        Usage: gateway [--entities 1000] [--concurrency 32] [--duration 10] [--aeros PATH/aeros.dll]
                          Needs nginx on PATH (Debian: apt-get install nginx).
                        """);
                    return 2;
            }
        }
        return await Cancellable.RunAsync("gateway", token => ExecuteAsync(entities, concurrency, TimeSpan.FromSeconds(seconds), aerosPath, token));
    }

    private static async Task<int> ExecuteAsync(int entities, int concurrency, TimeSpan duration, string? aerosPath, CancellationToken cancellationToken)
    {
        var nginx = FindNginx();
        if (nginx is null)
        {
            Console.Error.WriteLine("gateway: nginx is not installed (Debian: apt-get install nginx); it is the baseline of this benchmark.");
            return 1;
        }
        var work = Directory.CreateTempSubdirectory("aeros-gwbench-");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var rsa = RSA.Create(2048);
        try
        {
            var aeros = await BrokerProcess.ResolveAsync(aerosPath, cancellationToken);
            await using var broker = BrokerProcess.Start(aeros, Path.Combine(work.FullName, "broker"));
            await broker.WaitUntilReadyAsync(http, BrokerProcess.ReadyProbe, ReadyTimeout, cancellationToken);
            Console.Error.WriteLine($"broker pid {broker.Id} at {broker.BaseAddress}; seeding {entities:N0} entities");
            await SeedAsync(http, broker.BaseAddress, entities, cancellationToken);

            await using var issuer = await JwksServer.StartAsync(rsa, cancellationToken);
            var gatewayConfig = Path.Combine(work.FullName, "gateway.yaml");
            await File.WriteAllTextAsync(gatewayConfig, $"""
                domainName: bench
                accessLog: false
                issuers:
                  - issuer: {issuer.Issuer}
                broker:
                  destinations: [{broker.BaseAddress}]
                limits:
                  clientRequestsPerSecond: 1000000
                  clientBurst: 1000000
                """, cancellationToken);
            await using var gateway = ChildProcess.Start("the gateway", aeros, ["gateway", "--config", gatewayConfig]);
            await gateway.WaitUntilReadyAsync(http, "ngsi-ld/v1/entities/x", ReadyTimeout, cancellationToken);

            var nginxPort = FreePort();
            using var nginxProcess = StartNginx(nginx, work.FullName, nginxPort, broker.BaseAddress);
            var nginxUrl = new Uri($"http://127.0.0.1:{nginxPort}/");
            try
            {
                await WaitForAsync(http, new Uri(nginxUrl, BrokerProcess.ReadyProbe), cancellationToken);
                var token = issuer.Mint(["ServiceDeveloper"], ["bench"]);
                var auth = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token };
                var random = new Random(42);
                var phase = NgsiLdRequests.GetById(() => random.NextInt64(entities));

                // Rounds interleave the three targets so that a burst of outside load does not land on one of them only;
                // each target's best round is reported (the least disturbed), every round is printed.
                var rounds = new List<(LoadResult Direct, LoadResult Nginx, LoadResult Gateway)>();
                for (var round = 0; round < Rounds; round++)
                {
                    rounds.Add((
                        await MeasureAsync("direct", broker.BaseAddress, null, phase, concurrency, duration, cancellationToken),
                        await MeasureAsync("nginx", nginxUrl, null, phase, concurrency, duration, cancellationToken),
                        await MeasureAsync("gateway", gateway.BaseAddress, auth, phase, concurrency, duration, cancellationToken)));
                }
                var direct = rounds.Select(r => r.Direct).MaxBy(r => r.Throughput)!;
                var viaNginx = rounds.Select(r => r.Nginx).MaxBy(r => r.Throughput)!;
                var viaGateway = rounds.Select(r => r.Gateway).MaxBy(r => r.Throughput)!;
                foreach (var (r, i) in rounds.Select((r, i) => (r, i)))
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"round {i + 1}: direct {r.Direct.Throughput:N0}/s p50 {r.Direct.PercentileMs(50):0.000} ms; nginx {r.Nginx.Throughput:N0}/s p50 {r.Nginx.PercentileMs(50):0.000} ms; gateway {r.Gateway.Throughput:N0}/s p50 {r.Gateway.PercentileMs(50):0.000} ms"));
                }
                // Sanity: without the token the gateway refuses (so the figure above really includes JWT + RBAC).
                using var anonymous = await http.GetAsync(new Uri(gateway.BaseAddress, "ngsi-ld/v1/entities/x"), cancellationToken);
                Print(entities, concurrency, duration, direct, viaNginx, viaGateway, (int)anonymous.StatusCode);
                return 0;
            }
            finally
            {
                StopNginx(nginxProcess);
            }
        }
        catch (DriverException e)
        {
            Console.Error.WriteLine($"gateway: {e.Message}");
            if (e.Output is not null)
            {
                Console.Error.WriteLine($"Server output (last lines):\n{e.Output}");
            }
            return 1;
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Left behind in the temp folder; nothing depends on it.
            }
        }
    }

    private static async Task<LoadResult> MeasureAsync(string name, Uri target, IReadOnlyDictionary<string, string>? headers, HttpPhase phase,
        int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var load = new RawHttpLoadGenerator(target, concurrency, LoadGenerator.Grace, headers);
        Console.Error.WriteLine($"{name}: warm-up");
        // The recorder preallocates one latency slot per operation: bound the count well above what 2 cores reach.
        await load.RunAsync(phase, 1_000_000, WarmUp, cancellationToken);
        var result = await load.RunAsync(phase, (long)Math.Min(100_000 * duration.TotalSeconds, 50_000_000), duration, cancellationToken);
        Console.Error.WriteLine($"{name}: {result.Throughput:N0}/s, p50 {result.PercentileMs(50):0.000} ms, {result.ErrorCount:N0} errors");
        if (result.ErrorCount > 0)
        {
            Console.Error.WriteLine($"{name} errors: {string.Join(", ", result.Errors.Select(e => $"{e.Key} ×{e.Value.Count}"))}");
        }
        return result;
    }

    private static void Print(int entities, int concurrency, TimeSpan duration, LoadResult direct, LoadResult nginx, LoadResult gateway, int anonymousStatus)
    {
        string Row(string name, LoadResult r) => string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {r.Throughput:N0} | {r.PercentileMs(50):0.000} | {r.PercentileMs(99):0.000} | {r.ErrorCount:N0} |");
        var ratio = gateway.Throughput / nginx.Throughput;
        var added = gateway.PercentileMs(50) - direct.PercentileMs(50);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""

            ## gateway: broker GET by id — direct, via nginx, via aeros gateway (JWT RS256 + RBAC)

            {MachineInfo.Describe()}; {entities:N0} entities, concurrency {concurrency}, {duration.TotalSeconds:0} s per target after {WarmUp.TotalSeconds:0} s warm-up, best of {Rounds} interleaved rounds, raw client, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC

            | target | GET/s | p50 ms | p99 ms | errors |
            |---|---:|---:|---:|---:|
            {Row("direct (broker)", direct)}
            {Row("nginx reverse proxy", nginx)}
            {Row("aeros gateway", gateway)}

            - nginx / direct: {nginx.Throughput / direct.Throughput:P0}; gateway / direct: {gateway.Throughput / direct.Throughput:P0}
            - **gateway / nginx: {ratio:P0}** (target ≥ 90 %: {(ratio >= 0.9 ? "met" : "missed")})
            - **gateway p50 − direct p50: {added:0.000} ms** (target ≤ 1 ms: {(added <= 1 ? "met" : "missed")})
            - the same GET without a token through the gateway: HTTP {anonymousStatus}
            """));
    }

    private static async Task SeedAsync(HttpClient http, Uri broker, int count, CancellationToken cancellationToken)
    {
        var generator = new EntityGenerator(42);
        for (var first = 0; first < count; first += 100)
        {
            var n = Math.Min(100, count - first);
            using var content = new ByteArrayContent(generator.Batch(first, n));
            content.Headers.ContentType = new("application/json");
            using var response = await http.PostAsync(new Uri(broker, "ngsi-ld/v1/entityOperations/upsert"), content, cancellationToken);
            if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.NoContent))
            {
                throw new DriverException($"seeding: the broker answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }
        }
    }

    private static string? FindNginx() =>
        new[] { "/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists);

    private static Process StartNginx(string nginx, string work, int port, Uri broker)
    {
        var prefix = Path.Combine(work, "nginx");
        Directory.CreateDirectory(Path.Combine(prefix, "logs"));
        var config = Path.Combine(prefix, "nginx.conf");
        File.WriteAllText(config, $$"""
            worker_processes auto;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/logs/error.log warn;
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path {{prefix}}/body;
                proxy_temp_path {{prefix}}/proxy;
                fastcgi_temp_path {{prefix}}/fastcgi;
                uwsgi_temp_path {{prefix}}/uwsgi;
                scgi_temp_path {{prefix}}/scgi;
                upstream broker {
                    server {{broker.Authority}};
                    keepalive 64;
                }
                server {
                    listen 127.0.0.1:{{port}};
                    location / {
                        proxy_pass http://broker;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_set_header Host $host;
                        proxy_buffering on;
                    }
                }
            }
            """);
        var start = new ProcessStartInfo(nginx) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-p", prefix, "-c", config, "-g", "daemon off;" })
        {
            start.ArgumentList.Add(a);
        }
        var process = Process.Start(start) ?? throw new DriverException("cannot start nginx");
        // Even if the driver dies, nginx (which outlives its parent) must not stay behind.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopNginx(process);
        return process;
    }

    private static void StopNginx(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true); // the master and its workers
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    private static async Task WaitForAsync(HttpClient http, Uri probe, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(probe, cancellationToken);
                if (response.StatusCode != HttpStatusCode.BadGateway)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            if (Stopwatch.GetElapsedTime(started) > ReadyTimeout)
            {
                throw new DriverException($"nothing answered at {probe} within {ReadyTimeout.TotalSeconds:0} s");
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The bench's token issuer: an RSA key served as JWKS (with discovery) on 127.0.0.1, and tokens signed with it.</summary>
    private sealed class JwksServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly RSA _rsa;

        private JwksServer(WebApplication app, RSA rsa, string issuer)
        {
            _app = app;
            _rsa = rsa;
            Issuer = issuer;
        }

        public string Issuer { get; }

        public static async Task<JwksServer> StartAsync(RSA rsa, CancellationToken cancellationToken)
        {
            var port = FreePort();
            var issuer = $"http://127.0.0.1:{port}/iam/";
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var p = rsa.ExportParameters(false);
            var jwks = new JsonObject
            {
                ["keys"] = new JsonArray(new JsonObject
                {
                    ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = "bench",
                    ["n"] = Base64Url.EncodeToString(p.Modulus), ["e"] = Base64Url.EncodeToString(p.Exponent),
                }),
            }.ToJsonString();
            app.MapGet("/iam/.well-known/openid-configuration", () => Results.Json(new JsonObject { ["issuer"] = issuer, ["jwks_uri"] = issuer + ".well-known/jwks" }));
            app.MapGet("/iam/.well-known/jwks", () => Results.Text(jwks, "application/json"));
            await app.StartAsync(cancellationToken);
            return new JwksServer(app, rsa, issuer);
        }

        public string Mint(string[] roles, string[] domains)
        {
            var now = DateTimeOffset.UtcNow;
            var header = new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = "bench" };
            var claims = new JsonObject
            {
                ["iss"] = Issuer, ["aud"] = "aeros", ["sub"] = "bench", ["client_id"] = "bench",
                ["iat"] = now.ToUnixTimeSeconds(), ["exp"] = now.AddHours(1).ToUnixTimeSeconds(),
                ["roles"] = new JsonArray([.. roles.Select(r => (JsonNode?)r)]),
                ["domains"] = new JsonArray([.. domains.Select(d => (JsonNode?)d)]),
            };
            var input = Part(header) + "." + Part(claims);
            return input + "." + Base64Url.EncodeToString(_rsa.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

            static string Part(JsonNode node) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(node.ToJsonString()));
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
