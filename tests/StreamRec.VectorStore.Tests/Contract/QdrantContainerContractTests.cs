using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Microsoft.Extensions.Options;
using StreamRec.Ports;
using StreamRec.VectorStore.Qdrant;
using StreamRec.VectorStore.Tests.Support;

namespace StreamRec.VectorStore.Tests.Contract;

/// <summary>A real Qdrant in Docker, started once for the class; nothing is started without Docker.</summary>
public sealed class QdrantContainerFixture : IAsyncLifetime
{
    public const string Image = "qdrant/qdrant:v1.13.4";
    private const int RestPort = 6333;

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
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(RestPort).ForPath("/readyz")))
            .Build();
        await _container.StartAsync(TestContext.Current.CancellationToken);
        BaseAddress = new UriBuilder("http", _container.Hostname, _container.GetMappedPublicPort(RestPort)).Uri;
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
    private readonly HttpClient _http = new();

    protected override Task<IVectorStore> StoreAsync()
    {
        if (fixture.SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }

        return Task.FromResult<IVectorStore>(new QdrantVectorStore(_http, Options.Create(new QdrantOptions { Url = fixture.BaseAddress!.ToString() }), TimeProvider.System));
    }

    public void Dispose() => _http.Dispose();
}
