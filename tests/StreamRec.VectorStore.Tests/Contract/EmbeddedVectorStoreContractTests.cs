using StreamRec.Ports;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.VectorStore.Tests.Contract;

/// <summary>The contract against the embedded store persisted in a temporary SQLite file.</summary>
public sealed class EmbeddedVectorStoreContractTests : EmbeddedFileStoreContractTests;

/// <summary>An embedded store in a temporary SQLite file, deleted after each test.</summary>
public abstract class EmbeddedFileStoreContractTests : VectorStoreContractTests, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("streamrec-vs-").FullName;
    private readonly EmbeddedVectorStore _store;

    protected EmbeddedFileStoreContractTests()
    {
        _store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = Path.Combine(_directory, "vectors.db"), SynchronousFull = false });
    }

    protected override Task<IVectorStore> StoreAsync() => Task.FromResult<IVectorStore>(_store);

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _store.Dispose();
            Directory.Delete(_directory, recursive: true);
        }
    }
}
