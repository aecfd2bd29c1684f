namespace StreamRec.Pipeline.Engines;

/// <summary>What the recommender reads of a text candidate beyond its vector: its publication time (freshness) and its
/// title (for the listed items).</summary>
internal sealed record ItemFacts(DateTimeOffset? PublishedAt, string? Title);

/// <summary>
/// The recommender's cache of <see cref="ItemFacts"/> by item id, each entry kept for at most its age
/// (<c>StreamRec:Ranking:ItemFactsCacheSeconds</c>) and at most <see cref="Capacity"/> entries, the least recently
/// used going first. A list's two hundred text candidates are mostly the same few thousand items; without it every
/// hit's payload was projected and parsed for every list. Safe for concurrent lists.
/// </summary>
internal sealed class ItemFactsCache(TimeSpan maxAge)
{
    /// <summary>Entries kept at most: about 20 MB at 100 bytes and a title each (by arithmetic).</summary>
    public const int Capacity = 200_000;

    private readonly LruCache<string, (ItemFacts Facts, DateTimeOffset ReadAt)> _entries = new(Capacity, StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The facts of <paramref name="ids"/> read less than the maximum age before <paramref name="now"/>, and the
    /// ids without such facts.</summary>
    public (Dictionary<string, ItemFacts> Found, List<string> Missing) Lookup(IReadOnlyCollection<string> ids, DateTimeOffset now)
    {
        var found = new Dictionary<string, ItemFacts>(ids.Count, StringComparer.Ordinal);
        var missing = new List<string>();
        lock (_gate)
        {
            foreach (var id in ids)
            {
                if (_entries.TryGet(id, out var entry) && now - entry.ReadAt < maxAge && now >= entry.ReadAt)
                {
                    found[id] = entry.Facts;
                }
                else
                {
                    missing.Add(id);
                }
            }
        }

        return (found, missing);
    }

    /// <summary>Keeps <paramref name="facts"/>, read at <paramref name="now"/>.</summary>
    public void Set(IReadOnlyDictionary<string, ItemFacts> facts, DateTimeOffset now)
    {
        lock (_gate)
        {
            foreach (var (id, item) in facts)
            {
                _entries.Set(id, (item, now));
            }
        }
    }
}
