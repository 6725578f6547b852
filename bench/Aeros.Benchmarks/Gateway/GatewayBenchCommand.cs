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
/// <c>gateway</c>: broker GET by id measured in one run — directly, through Debian's nginx as a plain reverse proxy
/// (keep-alive upstream, no auth, access log off) and through <c>aeros gateway</c> with JWT validation (RS256, key
/// from a JWKS the driver serves) and RBAC on (access log off too), with its raw forwarder and fast path, with the raw forwarder behind endpoint routing (fast path off) and with YARP's forwarder
/// — plus Kestrel's floor (a bare Kestrel process answering the same bytes by itself), and optionally the default gateway
/// of another build (<c>--before-aeros</c>, an A/B within one run) — with the raw load client of broker-load, in
/// interleaved rounds. Every target gets the same request bytes, the bearer token included. Prints, per target, the median throughput with its spread, p50/p99, and the CPU
/// time per request of the proxy and of the broker (from <c>/proc</c>, steadier than req/s on a shared machine), and
/// the ratios the issue targets: gateway ≥ 90 % of nginx's throughput, gateway p50 ≤ direct p50 + 1 ms.
/// </summary>
internal static class GatewayBenchCommand
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan InitialWarmUp = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(string[] args)
    {
        int entities = 1000, concurrency = 32, seconds = 10, rounds = 5;
        string? aerosPath = null, beforePath = null;
        var gatewayEnvironment = new Dictionary<string, string>(StringComparer.Ordinal);
        var fastEnvironment = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--entities" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 1_000_000: entities = n; i++; break;
                case "--concurrency" when int.TryParse(value, CultureInfo.InvariantCulture, out var c) && c is > 0 and <= 1024: concurrency = c; i++; break;
                case "--duration" when int.TryParse(value, CultureInfo.InvariantCulture, out var d) && d is > 0 and <= 3600: seconds = d; i++; break;
                case "--rounds" when int.TryParse(value, CultureInfo.InvariantCulture, out var r) && r is > 0 and <= 100: rounds = r; i++; break;
                case "--aeros" when value is not null: aerosPath = value; i++; break;
                case "--before-aeros" when value is not null: beforePath = value; i++; break;
                case "--gateway-env" when value?.IndexOf('=', StringComparison.Ordinal) > 0:
                    gatewayEnvironment[value[..value.IndexOf('=', StringComparison.Ordinal)]] = value[(value.IndexOf('=', StringComparison.Ordinal) + 1)..];
                    i++;
                    break;
                case "--fast-env" when value?.IndexOf('=', StringComparison.Ordinal) > 0:
                    fastEnvironment[value[..value.IndexOf('=', StringComparison.Ordinal)]] = value[(value.IndexOf('=', StringComparison.Ordinal) + 1)..];
                    i++;
                    break;
                default:
                    Console.Error.WriteLine($"""
                        gateway: unknown or invalid option '{args[i]}'.
                        Usage: gateway [--entities 1000] [--concurrency 32] [--duration 10] [--rounds 5] [--aeros PATH/aeros.dll]
                                       [--gateway-env NAME=VALUE]...   (every gateway; e.g. DOTNET_gcServer=1, to compare runtime settings)
                                       [--fast-env NAME=VALUE]...      (the fast-path gateway only, e.g. Gateway__InlineScheduling=false)
                                       [--before-aeros PATH/aeros.dll] (one more target: the default gateway from another build, for an A/B in one run)
                          Needs nginx on PATH (Debian: apt-get install nginx).
                        """);
                    return 2;
            }
        }
        return await Cancellable.RunAsync("gateway", token => ExecuteAsync(entities, concurrency, TimeSpan.FromSeconds(seconds), rounds, aerosPath, beforePath,
            gatewayEnvironment, fastEnvironment, token));
    }

    private static async Task<int> ExecuteAsync(int entities, int concurrency, TimeSpan duration, int rounds, string? aerosPath, string? beforePath,
        IReadOnlyDictionary<string, string> gatewayEnvironment, IReadOnlyDictionary<string, string> fastEnvironment, CancellationToken cancellationToken)
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
            // The same gateway three times: with its defaults (fast path, raw forwarder, inline scheduling) and, as same-run
            // baselines, as it was before the fast path (routed, raw forwarder, thread-pool scheduling) and with YARP's forwarder.
            string GatewayConfig(string forwarder, bool fastPath = true)
            {
                var file = Path.Combine(work.FullName, $"gateway-{forwarder}-{fastPath}.yaml");
                File.WriteAllText(file, $"""
                    domainName: bench
                    accessLog: false
                    forwarder: {forwarder}
                    fastPath: {(fastPath ? "true" : "false")}
                    {(fastPath && forwarder == "raw" ? "" : "inlineScheduling: false")}
                    issuers:
                      - issuer: {issuer.Issuer}
                    broker:
                      destinations: [{broker.BaseAddress}]
                    limits:
                      clientRequestsPerSecond: 1000000
                      clientBurst: 1000000
                    """);
                return file;
            }
            await using var gateway = ChildProcess.Start("the gateway", aeros, ["gateway", "--config", GatewayConfig("raw")],
                gatewayEnvironment.Concat(fastEnvironment).GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Last().Value));
            await gateway.WaitUntilReadyAsync(http, "ngsi-ld/v1/entities/x", ReadyTimeout, cancellationToken);
            // The raw forwarder once more without the fast path (endpoint routing and YARP's route pipeline in front of it).
            await using var routedGateway = ChildProcess.Start("the routed gateway", aeros, ["gateway", "--config", GatewayConfig("raw", fastPath: false)], gatewayEnvironment);
            await routedGateway.WaitUntilReadyAsync(http, "ngsi-ld/v1/entities/x", ReadyTimeout, cancellationToken);
            await using var yarpGateway = ChildProcess.Start("the YARP gateway", aeros, ["gateway", "--config", GatewayConfig("yarp")], gatewayEnvironment);
            await yarpGateway.WaitUntilReadyAsync(http, "ngsi-ld/v1/entities/x", ReadyTimeout, cancellationToken);
            // Optionally the default gateway of another build (e.g. before a change), same configuration and environment.
            await using var beforeGateway = beforePath is null ? null
                : ChildProcess.Start("the gateway before", await BrokerProcess.ResolveAsync(beforePath, cancellationToken), ["gateway", "--config", GatewayConfig("raw")], gatewayEnvironment);
            if (beforeGateway is not null)
            {
                await beforeGateway.WaitUntilReadyAsync(http, "ngsi-ld/v1/entities/x", ReadyTimeout, cancellationToken);
            }

            // Kestrel's floor on this machine: a bare Kestrel process answering the same entity bytes, no forwarding.
            var bodyFile = Path.Combine(work.FullName, "entity.json");
            await File.WriteAllBytesAsync(bodyFile,
                await http.GetByteArrayAsync(new Uri(broker.BaseAddress, "ngsi-ld/v1/entities/" + Uri.EscapeDataString(EntityGenerator.Id(0))), cancellationToken),
                cancellationToken);
            await using var bare = BareServer.Start(bodyFile);
            await bare.WaitUntilReadyAsync(http, BareServer.ReadyProbe, ReadyTimeout, cancellationToken);

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
                var barePhase = NgsiLdRequests.GetOk(NgsiLdRequests.BareEntityPrefix, () => random.NextInt64(entities));
                var brokerCpu = ProcessCpu.Of(broker.Id);
                List<Target> targets =
                [
                    // Every target gets the same request bytes, token included: the broker and the floor ignore it, nginx
                    // forwards it (as a plain proxy in front of token-checking backends would), the gateways check it.
                    new("direct", broker.BaseAddress, auth, null, phase),
                    new("nginx", nginxUrl, auth, ProcessCpu.WithChildren(nginxProcess.Id), phase),
                    new("gateway", gateway.BaseAddress, auth, ProcessCpu.Of(gateway.Id), phase),
                    new("gateway-routed", routedGateway.BaseAddress, auth, ProcessCpu.Of(routedGateway.Id), phase),
                    new("gateway-yarp", yarpGateway.BaseAddress, auth, ProcessCpu.Of(yarpGateway.Id), phase),
                    new("kestrel-floor", bare.BaseAddress, auth, ProcessCpu.Of(bare.Id), barePhase, Floor: true),
                ];
                if (beforeGateway is not null)
                {
                    targets.Add(new("gateway-before", beforeGateway.BaseAddress, auth, ProcessCpu.Of(beforeGateway.Id), phase));
                }
                Console.Error.WriteLine($"nginx: {targets[1].Proxy!.Count} processes (master and workers)");
                foreach (var t in targets)
                {
                    // Once per target before any round: the gateway's JIT tiers up here, not in round 1.
                    await MeasureAsync(t, brokerCpu, concurrency, InitialWarmUp, cancellationToken);
                }
                // Rounds interleave the targets, in an order that rotates, so that a burst of outside load does not land on
                // one of them only; the median round of each is reported with the spread, and every round is printed.
                var samples = targets.ToDictionary(t => t.Name, _ => new List<Sample>());
                for (var round = 0; round < rounds; round++)
                {
                    for (var k = 0; k < targets.Count; k++)
                    {
                        var t = targets[(k + round) % targets.Count];
                        samples[t.Name].Add(await MeasureAsync(t, brokerCpu, concurrency, duration, cancellationToken));
                    }
                    Console.WriteLine($"round {round + 1}: " + string.Join("; ", targets.Select(t =>
                    {
                        var s = samples[t.Name][^1];
                        return string.Create(CultureInfo.InvariantCulture,
                            $"{t.Name} {s.Load.Throughput:N0}/s p50 {s.Load.PercentileMs(50):0.000} ms proxy {s.ProxyMicros:0} µs/req broker {s.BrokerMicros:0} µs/req");
                    })));
                }
                // Sanity: without the token the gateway refuses (so the figure above really includes JWT + RBAC).
                using var anonymous = await http.GetAsync(new Uri(gateway.BaseAddress, "ngsi-ld/v1/entities/x"), cancellationToken);
                Print(entities, concurrency, duration, rounds, samples, (int)anonymous.StatusCode, gatewayEnvironment, fastEnvironment);
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

    /// <summary>
    /// A target of the bench: where to send which GETs and which processes are the proxy (none when direct). The floor
    /// target is a bare Kestrel server answering by itself: its "proxy" CPU is Kestrel's own cost per GET, no broker.
    /// </summary>
    private sealed record Target(string Name, Uri Url, IReadOnlyDictionary<string, string>? Headers, ProcessCpu? Proxy, HttpPhase Phase, bool Floor = false);

    /// <summary>One measured run: the load result and the CPU microseconds per successful request of proxy and broker.</summary>
    private sealed record Sample(LoadResult Load, double ProxyMicros, double BrokerMicros)
    {
        public double TotalMicros => ProxyMicros + BrokerMicros;
    }

    private static async Task<Sample> MeasureAsync(Target target, ProcessCpu brokerCpu, int concurrency, TimeSpan duration,
        CancellationToken cancellationToken)
    {
        var phase = target.Phase;
        using var load = new RawHttpLoadGenerator(target.Url, concurrency, LoadGenerator.Grace, target.Headers);
        Console.Error.WriteLine($"{target.Name}: warm-up");
        // The recorder preallocates one latency slot per operation: bound the count well above what 2 cores reach.
        await load.RunAsync(phase, 1_000_000, WarmUp, cancellationToken);
        var proxyBefore = target.Proxy?.Seconds() ?? 0;
        var brokerBefore = brokerCpu.Seconds();
        var result = await load.RunAsync(phase, (long)Math.Min(100_000 * duration.TotalSeconds, 50_000_000), duration, cancellationToken);
        var proxySeconds = (target.Proxy?.Seconds() ?? 0) - proxyBefore;
        var brokerSeconds = brokerCpu.Seconds() - brokerBefore;
        var n = Math.Max(1, result.Succeeded);
        var sample = new Sample(result, proxySeconds * 1e6 / n, target.Floor ? 0 : brokerSeconds * 1e6 / n);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{target.Name}: {result.Throughput:N0}/s, p50 {result.PercentileMs(50):0.000} ms, proxy {sample.ProxyMicros:0} µs/req, broker {sample.BrokerMicros:0} µs/req, {result.ErrorCount:N0} errors"));
        if (result.ErrorCount > 0)
        {
            Console.Error.WriteLine($"{target.Name} errors: {string.Join(", ", result.Errors.Select(e => $"{e.Key} ×{e.Value.Count}"))}");
        }
        return sample;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static void Print(int entities, int concurrency, TimeSpan duration, int rounds, Dictionary<string, List<Sample>> samples,
        int anonymousStatus, IReadOnlyDictionary<string, string> gatewayEnvironment, IReadOnlyDictionary<string, string> fastEnvironment)
    {
        var direct = samples["direct"];
        var nginx = samples["nginx"];
        var gateway = samples["gateway"];
        var yarp = samples["gateway-yarp"];
        var routed = samples["gateway-routed"];
        var floor = samples["kestrel-floor"];
        var before = samples.GetValueOrDefault("gateway-before");
        static double Rate(List<Sample> s) => Median(s.Select(x => x.Load.Throughput));
        static double P50(List<Sample> s) => Median(s.Select(x => x.Load.PercentileMs(50)));
        string Row(string name, List<Sample> s) => string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {Rate(s):N0} | {s.Min(x => x.Load.Throughput):N0}–{s.Max(x => x.Load.Throughput):N0} | {P50(s):0.000} | {Median(s.Select(x => x.Load.PercentileMs(99))):0.000} | {Median(s.Select(x => x.ProxyMicros)):0} | {Median(s.Select(x => x.BrokerMicros)):0} | {s.Sum(x => x.Load.ErrorCount):N0} |");
        var ratio = Rate(gateway) / Rate(nginx);
        var added = P50(gateway) - P50(direct);
        var nginxCpu = Median(nginx.Select(x => x.ProxyMicros));
        var gatewayCpu = Median(gateway.Select(x => x.ProxyMicros));
        var yarpCpu = Median(yarp.Select(x => x.ProxyMicros));
        var routedCpu = Median(routed.Select(x => x.ProxyMicros));
        var floorCpu = Median(floor.Select(x => x.ProxyMicros));
        // If the 2 cores were the only limit, throughput would be inversely proportional to the server CPU per request.
        var cpuRatio = Median(nginx.Select(x => x.TotalMicros)) / Median(gateway.Select(x => x.TotalMicros));
        var env = (gatewayEnvironment.Count == 0 ? "" : "; gateway environment " + string.Join(" ", gatewayEnvironment.Select(e => $"{e.Key}={e.Value}")))
            + (fastEnvironment.Count == 0 ? "" : "; fast-path gateway only " + string.Join(" ", fastEnvironment.Select(e => $"{e.Key}={e.Value}")));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""

            ## gateway: broker GET by id — direct, via nginx, via aeros gateway (JWT RS256 + RBAC)

            {MachineInfo.Describe()}; load average {LoadAverage()}; {entities:N0} entities, concurrency {concurrency}, {duration.TotalSeconds:0} s per target and round after {InitialWarmUp.TotalSeconds:0} s initial and {WarmUp.TotalSeconds:0} s per-round warm-up, median of {rounds} interleaved rounds (rotating order), raw client{env}, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC

            | target | GET/s (median) | GET/s (min–max) | p50 ms | p99 ms | proxy CPU µs/GET | broker CPU µs/GET | errors |
            |---|---:|---:|---:|---:|---:|---:|---:|
            {Row("direct (broker)", direct)}
            {Row("nginx reverse proxy", nginx)}
            {Row("aeros gateway (fast path, raw forwarder)", gateway)}
            {Row("aeros gateway (routed, raw forwarder)", routed)}
            {Row("aeros gateway (YARP forwarder)", yarp)}
            {Row("kestrel floor (bare server, no broker)", floor)}{(before is null ? "" : "\n" + Row("aeros gateway before (fast path, other build)", before))}

            - nginx / direct: {Rate(nginx) / Rate(direct):P0}; gateway / direct: {Rate(gateway) / Rate(direct):P0}
            - **gateway / nginx throughput: {ratio:P1}** (target ≥ 90 %: {(ratio >= 0.9 ? "met" : "missed")})
            - **gateway p50 − direct p50: {added:0.000} ms** (target ≤ 1 ms: {(added <= 1 ? "met" : "missed")})
            - CPU per GET of the proxy alone: nginx {nginxCpu:0} µs, gateway {gatewayCpu:0} µs (gateway / nginx ×{gatewayCpu / nginxCpu:0.00}), routed through endpoint routing and YARP's pipeline {routedCpu:0} µs (fast / routed ×{gatewayCpu / routedCpu:0.00}), with YARP's forwarder {yarpCpu:0} µs (fast / YARP ×{gatewayCpu / yarpCpu:0.00})
            - Kestrel's floor: a bare Kestrel server answering the same bytes by itself uses {floorCpu:0} µs per GET; a Kestrel-based proxy serves one such request and makes one, so about ×2 that ({2 * floorCpu:0} µs) is what it cannot go below
            - **CPU-bound throughput ratio (nginx proxy+broker CPU/GET ÷ gateway proxy+broker CPU/GET): {cpuRatio:P1}** (target ≥ 90 %: {(cpuRatio >= 0.9 ? "met" : "missed")})
            - the same GET without a token through the gateway: HTTP {anonymousStatus}{(before is null ? "" : string.Create(CultureInfo.InvariantCulture,
                $"\n- A/B in this run: gateway {gatewayCpu:0} µs/GET vs the other build {Median(before.Select(x => x.ProxyMicros)):0} µs/GET; per round (this/other): {string.Join(", ", gateway.Zip(before, (a, b) => $"{a.ProxyMicros:0}/{b.ProxyMicros:0}"))}"))}
            """));
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
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
