using Microsoft.Extensions.Options;
using StreamRec.Ports;
using StreamRec.VectorStore.Qdrant;
using StreamRec.VectorStore.Tests.Support;

namespace StreamRec.VectorStore.Tests.Contract;

/// <summary>One fake Qdrant server for the whole contract class (each test uses its own collection).</summary>
public sealed class FakeQdrantFixture : IAsyncLifetime
{
    public FakeQdrantServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await FakeQdrantServer.StartAsync();

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>The contract against the Qdrant adapter talking HTTP to the in-memory fake Qdrant.</summary>
public sealed class QdrantFakeContractTests(FakeQdrantFixture fixture) : VectorStoreContractTests, IClassFixture<FakeQdrantFixture>, IDisposable
{
    private readonly HttpClient _http = new();

    protected override Task<IVectorStore> StoreAsync() =>
        Task.FromResult<IVectorStore>(new QdrantVectorStore(_http, Options.Create(new QdrantOptions { Url = fixture.Server.BaseAddress.ToString() }), TimeProvider.System));

    public void Dispose() => _http.Dispose();
}
