using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Aeros.Broker.Tests.TestSupport;

/// <summary>
/// A real mosquitto MQTT broker started for the tests from <see cref="BinaryPath"/> with its own configuration:
/// an anonymous listener on <see cref="Port"/> and a password-protected one on <see cref="AuthPort"/>
/// (<see cref="UserName"/>/<see cref="Password"/>), both on 127.0.0.1 at free ports. It never relies on a system
/// service. A missing binary fails the test with a message saying how to install it.
/// </summary>
public sealed class Mosquitto : IAsyncLifetime
{
    public const string BinaryPath = "/usr/sbin/mosquitto";
    public const string UserName = "aeros";
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(10);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "aeros-mosquitto-" + Guid.NewGuid().ToString("N"));
    private readonly StringBuilder _log = new();
    private Process? _process;

    public string Password { get; } = "pw-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The listener that lets anyone in.</summary>
    public int Port { get; private set; }

    /// <summary>The listener that needs <see cref="UserName"/> and <see cref="Password"/>.</summary>
    public int AuthPort { get; private set; }

    /// <summary>What mosquitto printed so far (for failure messages).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(BinaryPath))
        {
            throw new InvalidOperationException(
                $"The MQTT tests need a real mosquitto broker at {BinaryPath}, which is missing. Install it with " +
                "'apt-get install -y mosquitto' (.ci/run does this).");
        }
        Directory.CreateDirectory(_directory);
        Port = Aeros.Testing.TestPorts.Free();
        AuthPort = Aeros.Testing.TestPorts.Free();
        await File.WriteAllTextAsync(Path.Combine(_directory, "passwd"), $"{UserName}:{HashPassword(Password)}\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(_directory, "passwd"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        await File.WriteAllTextAsync(Path.Combine(_directory, "mosquitto.conf"), $"""
            per_listener_settings true
            persistence false
            # Running as root, mosquitto would switch to its own user, who cannot read our temp files.
            user {Environment.UserName}
            log_dest stderr
            log_type error
            log_type warning
            listener {Port} 127.0.0.1
            allow_anonymous true
            listener {AuthPort} 127.0.0.1
            allow_anonymous false
            password_file {Path.Combine(_directory, "passwd")}

            """);
        await StartAsync();
    }

    /// <summary>Kills the broker and starts a fresh one on the same ports (clients lose their connections).</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task StartAsync()
    {
        var info = new ProcessStartInfo(BinaryPath)
        {
            ArgumentList = { "-c", Path.Combine(_directory, "mosquitto.conf") },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited with code {process.ExitCode} at start:\n{Log}");
            }
            if (await AcceptsAsync(Port) && await AcceptsAsync(AuthPort))
            {
                return;
            }
            if (deadline.Elapsed > StartDeadline)
            {
                await StopAsync();
                throw new TimeoutException($"mosquitto did not listen on 127.0.0.1:{Port} and :{AuthPort} within {StartDeadline}:\n{Log}");
            }
            // Polling the port: mosquitto tells no one when it is ready.
            await Task.Delay(25);
        }
    }

    private async Task StopAsync()
    {
        var process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            using var cts = new CancellationTokenSource(StopDeadline);
            await process.WaitForExitAsync(cts.Token);
        }
        finally
        {
            process.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            if (_log.Length < 64 * 1024)
            {
                _log.AppendLine(line);
            }
        }
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>A mosquitto password-file hash: <c>$6$salt$SHA-512(password + salt)</c>, both base64.</summary>
    private static string HashPassword(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(12);
        var input = Encoding.UTF8.GetBytes(password).Concat(salt).ToArray();
        return $"$6${Convert.ToBase64String(salt)}${Convert.ToBase64String(SHA512.HashData(input))}";
    }
}
