using System.Net;
using System.Net.Sockets;

namespace Aeros.Testing;

/// <summary>
/// Ports for servers a test starts as separate processes (brokers, domains, agents, PostgreSQL, mosquitto). A port
/// from <c>bind(0)</c> lies in the kernel's ephemeral range (32768-60999 on Linux), so between "free a moment ago"
/// and the child binding it, any in-process test server on port 0 or any outgoing connection may take it — and a
/// readiness probe is then answered by the wrong server. These ports come from 20000-32767 instead, which the kernel
/// never hands out by itself: only another test's allocation can collide, and the probe below plus a random start per
/// process make that rare; the bind check skips ports in use.
/// </summary>
public static class TestPorts
{
    private const int First = 20000;
    private const int Count = 32767 - First + 1;
    private static int s_next = Random.Shared.Next(Count);

    /// <summary>A port on 127.0.0.1 that was free a moment ago, outside the ephemeral range.</summary>
    public static int Free()
    {
        for (var attempt = 0; attempt < Count; attempt++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref s_next) % Count);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use: try the next one.
            }
        }
        throw new InvalidOperationException($"No free port on 127.0.0.1 between {First} and {First + Count - 1}.");
    }
}
