using StreamRec.Domain;
using StreamRec.Observability;

namespace StreamRec.Pipeline.Engines;

/// <summary>Live quality of what is served: diversity and fresh share per list, catalog coverage over a window.</summary>
public sealed class ServedListStats
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _recentlyServed = new(StringComparer.Ordinal);
    private readonly TimeSpan _window;
    private long _catalogSize;
    private DateTimeOffset _lastPrune = DateTimeOffset.MinValue;

    public ServedListStats(TimeSpan coverageWindow) => _window = coverageWindow;

    /// <summary>Items indexed (refreshed by the host from the vector store).</summary>
    public long CatalogSize
    {
        get => Interlocked.Read(ref _catalogSize);
        set => Interlocked.Exchange(ref _catalogSize, value);
    }

    /// <summary>Distinct items served within the window.</summary>
    public int DistinctServed
    {
        get
        {
            lock (_gate)
            {
                return _recentlyServed.Count;
            }
        }
    }

    public void Record(RecommendationResult result, DateTimeOffset eventTime, DateTimeOffset wallClock, RankingOptions ranking)
    {
        if (result.Items.Count == 0)
        {
            return;
        }

        StreamRecMetrics.ListDiversity.Observe(VectorMath.IntraListDiversity(result.Items.Select(i => i.Candidate.Vector).ToArray()) / 2.0);
        var fresh = result.Items.Count(i => i.Candidate.PublishedAt is { } p && eventTime - p <= ranking.FreshHorizon);
        StreamRecMetrics.ListFreshShare.Observe((double)fresh / result.Items.Count);

        lock (_gate)
        {
            foreach (var item in result.Items)
            {
                _recentlyServed[item.Candidate.ItemId] = wallClock;
            }

            if (wallClock - _lastPrune > TimeSpan.FromSeconds(10))
            {
                foreach (var (id, at) in _recentlyServed.ToArray())
                {
                    if (wallClock - at > _window)
                    {
                        _recentlyServed.Remove(id);
                    }
                }

                _lastPrune = wallClock;
            }

            var catalog = CatalogSize;
            if (catalog > 0)
            {
                StreamRecMetrics.CatalogCoverage.Set(Math.Min(1.0, (double)_recentlyServed.Count / catalog));
            }
        }
    }
}
