using Microsoft.Extensions.Options;
using StreamRec.Ports;
using StreamRec.TestSupport;
using StreamRec.VectorStore.Qdrant;

namespace StreamRec.VectorStore.Tests.Contract;

/// <summary>One fake Qdrant gRPC server for a whole test class (each test uses its own collection).</summary>
public sealed class FakeQdrantFixture : IAsyncLifetime
{
    public FakeQdrantGrpcServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await FakeQdrantGrpcServer.StartAsync();

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>The contract against the Qdrant adapter talking gRPC (through Qdrant.Client) to the in-memory fake Qdrant.</summary>
public sealed class QdrantFakeContractTests(FakeQdrantFixture fixture) : VectorStoreContractTests, IClassFixture<FakeQdrantFixture>, IDisposable
{
    private QdrantVectorStore? _store;

    protected override Task<IVectorStore> StoreAsync()
    {
        _store ??= new QdrantVectorStore(Options.Create(new QdrantOptions { Url = fixture.Server.BaseAddress.ToString() }), TimeProvider.System);
        return Task.FromResult<IVectorStore>(_store);
    }

    public void Dispose() => _store?.Dispose();
}
