namespace StreamRec.VectorStore.Tests.Contract;

/// <summary>The contract against the embedded store with every collection declared on disk: points are read from the
/// SQLite file, searches scan it, scrolls filter indexed fields in memory.</summary>
public sealed class EmbeddedOnDiskContractTests : EmbeddedFileStoreContractTests
{
    protected override bool OnDisk => true;
}
