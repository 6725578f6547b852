using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Aeros.Benchmarks.BrokerLoad;

namespace Aeros.Benchmarks.TokenIssuance;

/// <summary>
/// <c>token-issuance</c>: client-credential tokens per second from a real <c>aeros iam serve</c> child process with N
/// concurrent clients (each request a full token request: client authentication, roles, RS256 signature), against a
/// baseline measured in the same run: a bare Kestrel child process that signs a comparable JWT itself; then the same
/// IAM with its client-credential fast path off (every token through OpenIddict's pipeline).
/// </summary>
internal static class TokenIssuanceCommand
{
    private sealed record Options(int Clients, TimeSpan Duration, TimeSpan Warmup, string? Aeros);

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Parse(args, out var error);
        if (options is null)
        {
            if (error is not null)
            {
                Console.Error.WriteLine("token-issuance: " + error);
            }
            Console.Error.WriteLine("Usage: token-issuance [--clients N (16)] [--duration SECONDS (10)] [--warmup SECONDS (3)] [--aeros PATH/aeros.dll]");
            return error is null ? 0 : 2;
        }
        return await Cancellable.RunAsync("token-issuance", async token =>
        {
            try
            {
                return await RunAsync(options, token);
            }
            catch (DriverException e)
            {
                Console.Error.WriteLine($"token-issuance: {e.Message}");
                if (e.Output is { Length: > 0 } output)
                {
                    Console.Error.WriteLine(output);
                }
                return 1;
            }
        });
    }

    private static async Task<int> RunAsync(Options options, CancellationToken cancellationToken)
    {
        var aeros = await BrokerProcess.ResolveAsync(options.Aeros, cancellationToken);
        var data = Path.Combine(Path.GetTempPath(), "aeros-token-bench-" + Guid.NewGuid().ToString("N"));
        Console.WriteLine($"token-issuance: {options.Clients} concurrent clients, {options.Duration.TotalSeconds:0} s per phase after {options.Warmup.TotalSeconds:0} s warm-up");
        Console.WriteLine($"machine: {MachineInfo.Describe()}");
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            double baseline;
            await using (var bare = ChildProcess.Start("the bare token server", typeof(TokenIssuanceCommand).Assembly.Location, [BareTokenServer.Command]))
            {
                await bare.WaitUntilReadyAsync(probe, "iam/connect/token", TimeSpan.FromSeconds(60), cancellationToken);
                baseline = await MeasureAsync("baseline (bare Kestrel + RS256 signature)", bare.BaseAddress, BareTokenServer.ClientId, BareTokenServer.Secret, options, cancellationToken);
                bare.EnsureRunning("the baseline");
            }
            var iam = await MeasureIamAsync("aeros iam (fast path, SQLite)", aeros, Path.Combine(data, "fast"), fastPath: true, probe, options, cancellationToken);
            // The same IAM with the fast path off: every token through OpenIddict's pipeline (the figure before the fast path).
            var openIddict = await MeasureIamAsync("aeros iam (fast path off: OpenIddict only, SQLite)", aeros, Path.Combine(data, "openiddict"), fastPath: false, probe, options, cancellationToken);
            Console.WriteLine();
            Console.WriteLine($"RESULT token-issuance: IAM {iam:N0} tokens/s, baseline {baseline:N0} tokens/s, ratio {iam / baseline:P0} (target >= 1,000 tokens/s); OpenIddict only {openIddict:N0} tokens/s ({openIddict / baseline:P0})");
            var load = MachineInfo.LoadAverage();
            if (load is not null)
            {
                Console.WriteLine($"load average after the run: {string.Join(" ", load.Select(l => l.ToString("0.00", CultureInfo.InvariantCulture)))}");
            }
            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>Starts <c>aeros iam serve</c> on a fresh data directory and measures it with its initial administrator client.</summary>
    private static async Task<double> MeasureIamAsync(string name, string aeros, string data, bool fastPath, HttpClient probe, Options options, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["Iam__ClientCredentialsFastPath"] = fastPath ? "true" : "false" };
        await using var server = ChildProcess.Start("the IAM", aeros, ["iam", "serve", "--data", data], environment);
        await server.WaitUntilReadyAsync(probe, "iam/.well-known/openid-configuration", TimeSpan.FromSeconds(60), cancellationToken);
        var secret = server.FirstLineStartingWith("client secret: ")?.Trim()
            ?? throw new DriverException("The IAM did not print its initial client secret.", server.RecentOutput);
        var rate = await MeasureAsync(name, server.BaseAddress, "aeros-admin", secret, options, cancellationToken);
        server.EnsureRunning("the IAM phase");
        return rate;
    }

    /// <summary>Warm-up, then N workers request tokens in a loop for the duration; returns successful tokens per second.</summary>
    private static async Task<double> MeasureAsync(string name, Uri baseAddress, string clientId, string secret, Options options, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = options.Clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret };
        await RunPhaseAsync(http, form, options.Clients, options.Warmup, cancellationToken);
        var (ok, failed, elapsed) = await RunPhaseAsync(http, form, options.Clients, options.Duration, cancellationToken);
        var rate = ok / elapsed.TotalSeconds;
        Console.WriteLine($"{name}: {ok:N0} tokens in {elapsed.TotalSeconds:0.0} s = {rate:N0} tokens/s, {failed:N0} failed");
        if (ok == 0)
        {
            throw new DriverException($"{name}: no token was issued ({failed} failures).");
        }
        return rate;
    }

    private static async Task<(long Ok, long Failed, TimeSpan Elapsed)> RunPhaseAsync(HttpClient http, Dictionary<string, string> form, int clients, TimeSpan duration, CancellationToken cancellationToken)
    {
        long ok = 0;
        long failed = 0;
        var started = Stopwatch.GetTimestamp();
        var until = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, clients).Select(async _ =>
        {
            while (Stopwatch.GetTimestamp() < until && !cancellationToken.IsCancellationRequested)
            {
                try
                {
                    using var response = await http.PostAsync("iam/connect/token", new FormUrlEncodedContent(form), cancellationToken);
                    var body = await response.Content.ReadAsStringAsync(cancellationToken);
                    if (response.StatusCode == HttpStatusCode.OK && JsonNode.Parse(body)?["access_token"] is not null)
                    {
                        Interlocked.Increment(ref ok);
                    }
                    else
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }).ToList();
        await Task.WhenAll(workers);
        return (ok, failed, Stopwatch.GetElapsedTime(started));
    }

    private static Options? Parse(string[] args, out string? error)
    {
        error = null;
        var clients = 16;
        var duration = 10.0;
        var warmup = 3.0;
        string? aeros = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value.");
            try
            {
                switch (args[i])
                {
                    case "--clients": clients = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--duration": duration = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--warmup": warmup = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                    case "--aeros": aeros = Next(); break;
                    case "--help" or "-h": return null;
                    default: error = $"unknown option {args[i]}."; return null;
                }
            }
            catch (FormatException e)
            {
                error = e.Message;
                return null;
            }
        }
        if (clients is < 1 or > 1024 || duration is <= 0 or > 3600 || warmup is < 0 or > 600)
        {
            error = "--clients must be 1-1024, --duration 0-3600 s, --warmup 0-600 s.";
            return null;
        }
        return new Options(clients, TimeSpan.FromSeconds(duration), TimeSpan.FromSeconds(warmup), aeros);
    }
}
