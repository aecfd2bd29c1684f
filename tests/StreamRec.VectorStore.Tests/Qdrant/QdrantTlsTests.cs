using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Microsoft.Extensions.Options;
using StreamRec.Ports;
using StreamRec.TestSupport;
using StreamRec.VectorStore.Qdrant;

namespace StreamRec.VectorStore.Tests.Qdrant;

/// <summary>TLS to Qdrant with a private CA: a CA and a server certificate for 127.0.0.1 are made in the test,
/// the fake Qdrant serves gRPC over https with the server certificate, and the adapter trusts the CA only
/// through <see cref="QdrantOptions.CaCertificatePath"/>.</summary>
public sealed class QdrantTlsTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("streamrec-tls-").FullName;
    private FakeQdrantGrpcServer _server = null!;
    private string _caPath = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=StreamRec test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.Now;
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var signed = serverRequest.Create(ca, now.AddHours(-1), now.AddHours(12), [1, 2, 3, 4]);
        using var withKey = signed.CopyWithPrivateKey(serverKey);

        // Through PKCS#12 so Kestrel gets a certificate whose key the TLS stack can use on every platform.
        var serverCertificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        _caPath = Path.Combine(_directory, "ca.pem");
        await File.WriteAllTextAsync(_caPath, ca.ExportCertificatePem(), Ct);
        _server = await FakeQdrantGrpcServer.StartAsync(serverCertificate);
    }

    [Fact]
    public async Task Https_WithThePrivateCa_Works_AndCarriesTheApiKey()
    {
        Assert.Equal("https", _server.BaseAddress.Scheme);
        using var store = new QdrantVectorStore(Options.Create(new QdrantOptions { Url = _server.BaseAddress.ToString(), CaCertificatePath = _caPath, ApiKey = "tls-key" }), TimeProvider.System);
        var spec = new CollectionSpec("tls-" + Guid.NewGuid().ToString("N"), new Dictionary<string, int> { ["text"] = 2 });

        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(spec.Name, [new VectorPoint("a", new Dictionary<string, float[]> { ["text"] = [1, 0] }, null)], Ct);

        Assert.Equal(1, await store.CountAsync(spec.Name, Ct));
        Assert.All(_server.Calls, c => Assert.Equal("tls-key", c.ApiKey));
    }

    [Fact]
    public async Task Https_WithoutThePrivateCa_FailsTheHandshake()
    {
        using var store = new QdrantVectorStore(Options.Create(new QdrantOptions { Url = _server.BaseAddress.ToString(), MaxRetries = 0 }), TimeProvider.System);

        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("any", Ct));

        Assert.Empty(_server.Calls);
        var rpc = Assert.IsType<RpcException>(ex.InnerException);
        var causes = new List<Exception>();
        for (var e = rpc.Status.DebugException; e is not null; e = e.InnerException)
        {
            causes.Add(e);
        }

        Assert.Contains(causes, e => e is AuthenticationException);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
