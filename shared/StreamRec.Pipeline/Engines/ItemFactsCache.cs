using System.Collections.Concurrent;

namespace StreamRec.Pipeline.Engines;

/// <summary>What the recommender reads of a text candidate beyond its vector: its publication time (freshness) and its
/// title (for the listed items).</summary>
internal sealed record ItemFacts(DateTimeOffset? PublishedAt, string? Title);

/// <summary>
/// The recommender's cache of <see cref="ItemFacts"/> by item id, each entry used for at most its age
/// (<c>StreamRec:Ranking:ItemFactsCacheSeconds</c>). A list's two hundred text candidates are mostly the same few
/// thousand items; without it every hit's payload was projected and parsed for every list. Lookups take no lock
/// (concurrent lists read it at once). Bounded by <see cref="Capacity"/> entries: a write that would pass it empties
/// the cache first (the entries are re-read as lists need them).
/// </summary>
internal sealed class ItemFactsCache(TimeSpan maxAge)
{
    /// <summary>Entries kept at most: about 20 MB at 100 bytes and a title each (by arithmetic).</summary>
    public const int Capacity = 200_000;

    private readonly ConcurrentDictionary<string, (ItemFacts Facts, DateTimeOffset ReadAt)> _entries = new(StringComparer.Ordinal);
    private readonly Lock _writeGate = new();
    private int _count;

    /// <summary>The facts of <paramref name="itemId"/> when they were read less than the maximum age before
    /// <paramref name="now"/>.</summary>
    public bool TryGet(string itemId, DateTimeOffset now, out ItemFacts? facts)
    {
        if (_entries.TryGetValue(itemId, out var entry) && now - entry.ReadAt < maxAge && now >= entry.ReadAt)
        {
            facts = entry.Facts;
            return true;
        }

        facts = null;
        return false;
    }

    /// <summary>Keeps <paramref name="facts"/>, read at <paramref name="now"/>.</summary>
    public void Set(IReadOnlyDictionary<string, ItemFacts> facts, DateTimeOffset now)
    {
        lock (_writeGate)
        {
            var added = 0;
            foreach (var id in facts.Keys)
            {
                added += _entries.ContainsKey(id) ? 0 : 1;
            }

            if (_count + added > Capacity)
            {
                _entries.Clear();
                _count = 0;
            }

            foreach (var (id, item) in facts)
            {
                if (_entries.TryAdd(id, (item, now)))
                {
                    _count++;
                }
                else
                {
                    _entries[id] = (item, now);
                }
            }
        }
    }
}
