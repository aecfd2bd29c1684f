using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace StreamRec.VectorStore.Qdrant.Internal;

/// <summary>
/// The one gRPC channel a store uses for its lifetime (HTTP/2 multiplexes every call over it). Built here
/// rather than through <c>QdrantChannel.ForAddress</c> because that accepts only a certificate thumbprint, and we
/// need a private CA and our own socket settings; the API key is attached exactly as Qdrant.Client attaches
/// it, as the <c>api-key</c> metadata of every call.
/// </summary>
internal static class QdrantChannelFactory
{
    /// <summary>Qdrant answers up to its own max_request_size (32 MiB by default); gRPC's client default of
    /// 4 MiB would cut off a batch of 200-candidate queries with vectors and payloads.</summary>
    private const int MaxReceiveMessageBytes = 64 * 1024 * 1024;

    public const string ApiKeyHeader = "api-key";

    public static GrpcChannel CreateChannel(QdrantOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            // One long-lived connection set: no idle recycling between bursts, pings keep NATs and load
            // balancers from silently dropping an idle HTTP/2 connection, and a second connection opens when
            // the first reaches the server's concurrent-stream limit.
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = options.AttemptTimeout,
        };

        if (!string.IsNullOrEmpty(options.CaCertificatePath))
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(options.CaCertificatePath);
            if (authorities.Count == 0)
            {
                throw new InvalidOperationException($"{QdrantOptions.SectionName}:{nameof(QdrantOptions.CaCertificatePath)} holds no PEM certificate");
            }

            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,

                // A private CA rarely publishes revocation lists, and this machine may not reach them: checking
                // would fail every handshake. The CA file itself is the trust decision.
                RevocationMode = X509RevocationMode.NoCheck,
            };
            policy.CustomTrustStore.AddRange(authorities);
            handler.SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy };
        }

        return GrpcChannel.ForAddress(options.Url, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = MaxReceiveMessageBytes,

            // A cancelled call throws OperationCanceledException rather than RpcException(Cancelled), which is
            // how Polly's timeouts recognise their own cancellation and how callers see theirs.
            ThrowOperationCanceledOnCancellation = true,
        });
    }

    /// <summary>The channel's invoker, adding the API key to every call when one is configured.</summary>
    public static CallInvoker CreateInvoker(ChannelBase channel, string? apiKey)
    {
        var invoker = channel.CreateCallInvoker();
        return string.IsNullOrEmpty(apiKey)
            ? invoker
            : invoker.Intercept(metadata =>
            {
                metadata.Add(ApiKeyHeader, apiKey);
                return metadata;
            });
    }
}
