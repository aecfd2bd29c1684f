namespace StreamRec.Domain;

/// <summary>
/// Time-decayed popularity: each click adds 1 to its item's score, and scores halve every half-life. With a prior
/// (<c>priorWeight</c> K &gt; 0) an item's score is <c>c(i) + K·p(i)</c>, where c is the decayed count and p the item's
/// share of all clicks decayed over the much longer <c>priorHalfLife</c>: the posterior mean of the item's current click
/// share under a Dirichlet prior of strength K clicks, up to a factor common to all items. When the last half-life
/// saw far more than K clicks the list is what is trending now; when it saw few (a quiet hour, a sparse catalogue) it
/// falls back to what has been popular lately instead of whatever the last few clicks touched.
/// Time is event time, so a replay of the same stream gives the same counts. Thread-safe.
/// </summary>
public sealed class TrendingCounter
{
    private readonly Dictionary<string, Entry> _scores = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly TimeSpan _halfLife;
    private readonly TimeSpan _priorHalfLife;
    private readonly double _priorWeight;
    private DateTimeOffset _latest = DateTimeOffset.MinValue;
    private double _priorTotal;
    private DateTimeOffset _priorTotalAt = DateTimeOffset.MinValue;

    /// <param name="halfLife">How fast a click stops counting as trending.</param>
    /// <param name="priorHalfLife">The half-life of the popularity prior (ignored without a prior weight).</param>
    /// <param name="priorWeight">K: the prior's strength in clicks; 0 = no prior.</param>
    public TrendingCounter(TimeSpan halfLife, TimeSpan priorHalfLife = default, double priorWeight = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(priorWeight);
        _halfLife = halfLife;
        _priorHalfLife = priorHalfLife;
        _priorWeight = priorHalfLife > TimeSpan.Zero ? priorWeight : 0;
    }

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

            var hasPrior = _priorWeight > 0;
            _scores[itemId] = _scores.TryGetValue(itemId, out var e)
                ? new Entry(AddDecayed(e.Score, e.At, weight, at, _halfLife), hasPrior ? AddDecayed(e.Prior, e.At, weight, at, _priorHalfLife) : 0, Later(e.At, at))
                : new Entry(weight, hasPrior ? weight : 0, at);
            if (hasPrior)
            {
                _priorTotal = AddDecayed(_priorTotal, _priorTotalAt, weight, at, _priorHalfLife);
                _priorTotalAt = Later(_priorTotalAt, at);
            }
        }
    }

    /// <summary>Removes an item (retired).</summary>
    public void Remove(string itemId)
    {
        lock (_gate)
        {
            if (_scores.Remove(itemId, out var e) && _priorWeight > 0)
            {
                _priorTotal = Math.Max(0, _priorTotal - e.PriorAt(_priorTotalAt, _priorHalfLife));
            }
        }
    }

    /// <summary>The item's decayed score at <paramref name="now"/> (0 when unknown).</summary>
    public double Score(string itemId, DateTimeOffset now)
    {
        lock (_gate)
        {
            return _scores.TryGetValue(itemId, out var e) ? ValueAt(e, now, PriorScale(now)) : 0;
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
            var priorScale = PriorScale(now);
            foreach (var (id, e) in _scores)
            {
                if (exclude is not null && exclude.Contains(id))
                {
                    continue;
                }

                var score = ValueAt(e, now, priorScale);
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

    /// <summary>K / (the prior's total at <paramref name="now"/>): what turns an item's prior count into K·p(i). 0 without a prior.</summary>
    private double PriorScale(DateTimeOffset now)
    {
        if (_priorWeight <= 0 || _priorTotal <= 0)
        {
            return 0;
        }

        var total = now > _priorTotalAt ? _priorTotal * Decay.Factor(now - _priorTotalAt, _priorHalfLife) : _priorTotal;
        return total > 0 ? _priorWeight / total : 0;
    }

    private double ValueAt(Entry e, DateTimeOffset now, double priorScale) =>
        (now > e.At ? e.Score * Decay.Factor(now - e.At, _halfLife) : e.Score) + (priorScale > 0 ? priorScale * e.PriorAt(now, _priorHalfLife) : 0);

    /// <summary>A sum decayed with <paramref name="halfLife"/>, held at <paramref name="sumAt"/>, plus <paramref name="weight"/>
    /// at <paramref name="at"/>: expressed at the later of the two times, like <see cref="UserProfile"/> does, so the
    /// order events arrive in does not change the result.</summary>
    private static double AddDecayed(double sum, DateTimeOffset sumAt, double weight, DateTimeOffset at, TimeSpan halfLife) =>
        at >= sumAt ? sum * Decay.Factor(at - sumAt, halfLife) + weight : sum + weight * Decay.Factor(sumAt - at, halfLife);

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;

    /// <param name="Score">The decayed click count at <see cref="At"/>.</param>
    /// <param name="Prior">The same clicks decayed with the prior's half-life, at <see cref="At"/> (0 without a prior).</param>
    private readonly record struct Entry(double Score, double Prior, DateTimeOffset At)
    {
        public double PriorAt(DateTimeOffset now, TimeSpan halfLife) => now > At ? Prior * Decay.Factor(now - At, halfLife) : Prior;
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
