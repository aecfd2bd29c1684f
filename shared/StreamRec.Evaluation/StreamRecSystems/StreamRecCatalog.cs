using StreamRec.Contracts;
using StreamRec.Pipeline.Engines;
using StreamRec.Ports;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.Evaluation.StreamRecSystems;

/// <summary>
/// The item side shared by every StreamRec variant in a run: one in-memory embedded vector store holding the items
/// collection, filled by the item-indexer's own <see cref="ItemIndexEngine"/>. Items are indexed once per event
/// however many variants observe it; user state stays with each variant.
/// </summary>
public sealed class StreamRecCatalog : IDisposable
{
    private readonly EmbeddedVectorStore _store;
    private readonly ItemIndexEngine _indexer;
    private IStreamRecEvent? _lastIndexed;
    private bool _initialized;

    public StreamRecCatalog(ITextEncoder encoder, ReplayClock clock)
    {
        Encoder = encoder;
        Clock = clock;
        _store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
        _indexer = new ItemIndexEngine(_store, encoder, clock);
    }

    public IVectorStore Store => _store;

    public ITextEncoder Encoder { get; }

    public ReplayClock Clock { get; }

    /// <summary>Indexes an item event unless this very event was just indexed for another variant.</summary>
    public async ValueTask IndexAsync(IStreamRecEvent e, CancellationToken cancellationToken)
    {
        if (ReferenceEquals(e, _lastIndexed))
        {
            return;
        }

        await EnsureInitializedAsync(cancellationToken);
        await _indexer.IndexAsync([e], cancellationToken);
        _lastIndexed = e;
    }

    public async ValueTask EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        if (!_initialized)
        {
            await _indexer.EnsureCollectionAsync(cancellationToken);
            _initialized = true;
        }
    }

    public void Dispose() => _store.Dispose();
}
