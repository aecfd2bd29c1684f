using System.Net;
using System.Net.Sockets;

namespace StreamRec.VectorStore.Tests.Support;

/// <summary>Answers "can Testcontainers reach a Docker engine?" within a second, by connecting to
/// DOCKER_HOST (unix:// or tcp://) or the default socket.</summary>
public static class DockerAvailability
{
    private static readonly Lazy<string?> Reason = new(Probe);

    /// <summary>Null when Docker answers; otherwise why not, for Assert.Skip.</summary>
    public static string? UnavailableReason => Reason.Value;

    private static string? Probe()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (string.IsNullOrEmpty(host))
        {
            host = "unix:///var/run/docker.sock";
        }

        try
        {
            var uri = new Uri(host);
            if (uri.Scheme == "unix" && !File.Exists(uri.AbsolutePath))
            {
                return $"Docker is not available: no socket at {uri.AbsolutePath} (set DOCKER_HOST to use another engine)";
            }

            using var socket = uri.Scheme == "unix"
                ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                : new Socket(SocketType.Stream, ProtocolType.Tcp);
            EndPoint endPoint = uri.Scheme == "unix" ? new UnixDomainSocketEndPoint(uri.AbsolutePath) : new DnsEndPoint(uri.Host, uri.Port);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            socket.ConnectAsync(endPoint, cts.Token).AsTask().GetAwaiter().GetResult();
            return null;
        }
        catch (Exception ex)
        {
            return $"Docker is not available: cannot connect to {host} ({ex.GetType().Name}: {ex.Message})";
        }
    }
}
