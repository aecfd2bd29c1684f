using StreamRec.Contracts;
using StreamRec.Pipeline.Engines;
using StreamRec.Ports;

namespace StreamRec.Evaluation.StreamRecSystems;

/// <summary>
/// The item side shared by every StreamRec variant in a run: one vector store holding the items collection (the caller's,
/// through the port; the CLI passes an in-memory embedded store, which it owns and disposes), filled by the
/// item-indexer's own <see cref="ItemIndexEngine"/>. Items are indexed once per event however many variants observe it;
/// user state stays with each variant.
/// </summary>
public sealed class StreamRecCatalog
{
    private readonly IVectorStore _store;
    private readonly ItemIndexEngine _indexer;
    private IStreamRecEvent? _lastIndexed;
    private bool _initialized;

    public StreamRecCatalog(IVectorStore store, ITextEncoder encoder, ReplayClock clock)
    {
        Encoder = encoder;
        Clock = clock;
        _store = store;
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
}
