using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Microsoft.Extensions.Options;
using StreamRec.Ports;
using StreamRec.VectorStore.Qdrant;
using StreamRec.VectorStore.Tests.Support;

namespace StreamRec.VectorStore.Tests.Contract;

/// <summary>A real Qdrant in Docker (REST port for readiness, gRPC port for the adapter), started once for the
/// class; nothing is started without Docker.</summary>
public sealed class QdrantContainerFixture : IAsyncLifetime
{
    public const string Image = "qdrant/qdrant:v1.16.3";
    private const int RestPort = 6333;
    private const int GrpcPort = 6334;

    private IContainer? _container;

    public Uri? BaseAddress { get; private set; }

    public string? SkipReason { get; private set; }

    public async ValueTask InitializeAsync()
    {
        SkipReason = DockerAvailability.UnavailableReason;
        if (SkipReason is not null)
        {
            return;
        }

        _container = new ContainerBuilder(Image)
            .WithPortBinding(RestPort, assignRandomHostPort: true)
            .WithPortBinding(GrpcPort, assignRandomHostPort: true)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(RestPort).ForPath("/readyz")))
            .Build();
        await _container.StartAsync(TestContext.Current.CancellationToken);
        // Readiness is asked over REST (/readyz); the adapter speaks gRPC.
        BaseAddress = new UriBuilder("http", _container.Hostname, _container.GetMappedPublicPort(GrpcPort)).Uri;
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }
}

/// <summary>The contract against a real Qdrant (Testcontainers); skips with the reason where Docker is absent.</summary>
public sealed class QdrantContainerContractTests(QdrantContainerFixture fixture) : VectorStoreContractTests, IClassFixture<QdrantContainerFixture>, IDisposable
{
    private QdrantVectorStore? _store;

    protected override Task<IVectorStore> StoreAsync()
    {
        if (fixture.SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }

        _store ??= new QdrantVectorStore(Options.Create(new QdrantOptions { Url = fixture.BaseAddress!.ToString() }), TimeProvider.System);
        return Task.FromResult<IVectorStore>(_store);
    }

    public void Dispose() => _store?.Dispose();
}
