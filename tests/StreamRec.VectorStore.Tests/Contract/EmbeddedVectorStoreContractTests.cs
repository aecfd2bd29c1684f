using StreamRec.Ports;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.VectorStore.Tests.Contract;

/// <summary>The contract against the embedded store persisted in a temporary SQLite file.</summary>
public sealed class EmbeddedVectorStoreContractTests : VectorStoreContractTests, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("streamrec-vs-").FullName;
    private readonly EmbeddedVectorStore _store;

    public EmbeddedVectorStoreContractTests()
    {
        _store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = Path.Combine(_directory, "vectors.db"), SynchronousFull = false });
    }

    protected override Task<IVectorStore> StoreAsync() => Task.FromResult<IVectorStore>(_store);

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
