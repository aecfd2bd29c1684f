namespace StreamRec.Domain;

/// <summary>
/// Time-decayed popularity: each click adds 1 to its item's score, and scores halve every half-life.
/// Time is event time, so a replay of the same stream gives the same counts. Thread-safe.
/// </summary>
public sealed class TrendingCounter
{
    private readonly Dictionary<string, Entry> _scores = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly TimeSpan _halfLife;
    private DateTimeOffset _latest = DateTimeOffset.MinValue;

    public TrendingCounter(TimeSpan halfLife) => _halfLife = halfLife;

    /// <summary>Items with a score.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _scores.Count;
            }
        }
    }

    /// <summary>The newest event time seen: the "now" of trending.</summary>
    public DateTimeOffset Latest
    {
        get
        {
            lock (_gate)
            {
                return _latest;
            }
        }
    }

    /// <summary>Adds <paramref name="weight"/> for <paramref name="itemId"/> at event time <paramref name="at"/>.</summary>
    public void Add(string itemId, DateTimeOffset at, double weight = 1.0)
    {
        lock (_gate)
        {
            if (at > _latest)
            {
                _latest = at;
            }

            if (_scores.TryGetValue(itemId, out var e))
            {
                // Express both at the later of the two times, like UserProfile does.
                _scores[itemId] = at >= e.At
                    ? new Entry(e.Score * Decay.Factor(at - e.At, _halfLife) + weight, at)
                    : new Entry(e.Score + weight * Decay.Factor(e.At - at, _halfLife), e.At);
            }
            else
            {
                _scores[itemId] = new Entry(weight, at);
            }
        }
    }

    /// <summary>Removes an item (retired).</summary>
    public void Remove(string itemId)
    {
        lock (_gate)
        {
            _scores.Remove(itemId);
        }
    }

    /// <summary>The item's decayed score at <paramref name="now"/> (0 when unknown).</summary>
    public double Score(string itemId, DateTimeOffset now)
    {
        lock (_gate)
        {
            return _scores.TryGetValue(itemId, out var e) ? e.ValueAt(now, _halfLife) : 0;
        }
    }

    /// <summary>The <paramref name="count"/> highest-scoring items at <paramref name="now"/>, best first, skipping <paramref name="exclude"/>.
    /// Ties are broken by item id so the list is deterministic.</summary>
    public IReadOnlyList<(string ItemId, double Score)> Top(int count, DateTimeOffset now, IReadOnlySet<string>? exclude = null)
    {
        if (count <= 0)
        {
            return [];
        }

        var heap = new PriorityQueue<(string Id, double Score), (double, string)>(count + 1, TopComparer.Instance);
        lock (_gate)
        {
            foreach (var (id, e) in _scores)
            {
                if (exclude is not null && exclude.Contains(id))
                {
                    continue;
                }

                var score = e.ValueAt(now, _halfLife);
                heap.Enqueue((id, score), (score, id));
                if (heap.Count > count)
                {
                    heap.Dequeue();
                }
            }
        }

        var result = new (string, double)[heap.Count];
        for (var i = result.Length - 1; i >= 0; i--)
        {
            result[i] = heap.Dequeue();
        }

        return result;
    }

    private readonly record struct Entry(double Score, DateTimeOffset At)
    {
        public double ValueAt(DateTimeOffset now, TimeSpan halfLife) => now > At ? Score * Decay.Factor(now - At, halfLife) : Score;
    }

    /// <summary>Min-heap order: lowest score first; among equal scores the larger id is "smaller" so it is evicted first.</summary>
    private sealed class TopComparer : IComparer<(double Score, string Id)>
    {
        public static readonly TopComparer Instance = new();

        public int Compare((double Score, string Id) x, (double Score, string Id) y)
        {
            var c = x.Score.CompareTo(y.Score);
            return c != 0 ? c : string.CompareOrdinal(y.Id, x.Id);
        }
    }
}
