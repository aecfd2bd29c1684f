namespace StreamRec.Pipeline.Engines;

/// <summary>
/// A small least-recently-used map, bounded by its number of entries and, when given a weigher, by the sum of their
/// weights (each weighed when set: a value changed in place is weighed again when it is set again). Not thread-safe:
/// callers lock.
/// </summary>
internal sealed class LruCache<TKey, TValue>
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value, long Weight)>> _map;
    private readonly LinkedList<(TKey Key, TValue Value, long Weight)> _order = new();
    private readonly int _capacity;
    private readonly Func<TValue, long>? _weigh;
    private readonly long _maxWeight;

    public LruCache(int capacity, IEqualityComparer<TKey>? comparer = null, Func<TValue, long>? weigh = null, long maxWeight = long.MaxValue)
    {
        _capacity = capacity;
        _weigh = weigh;
        _maxWeight = maxWeight;
        _map = new Dictionary<TKey, LinkedListNode<(TKey, TValue, long)>>(comparer);
    }

    public int Count => _map.Count;

    /// <summary>The sum of the entries' weights (0 without a weigher).</summary>
    public long Weight { get; private set; }

    public bool TryGet(TKey key, out TValue value)
    {
        if (_map.TryGetValue(key, out var node))
        {
            _order.Remove(node);
            _order.AddFirst(node);
            value = node.Value.Value;
            return true;
        }

        value = default!;
        return false;
    }

    /// <summary>Splits <paramref name="keys"/> into the cached ones (added to <paramref name="found"/>) and the rest (returned, to load).</summary>
    public List<TKey> Lookup(IEnumerable<TKey> keys, IDictionary<TKey, TValue> found)
    {
        var missing = new List<TKey>();
        foreach (var key in keys)
        {
            if (TryGet(key, out var value))
            {
                found[key] = value;
            }
            else
            {
                missing.Add(key);
            }
        }

        return missing;
    }

    /// <summary>Adds or replaces the entry, most recently used, then evicts the least recently used ones while the cache
    /// holds more than its capacity or weighs more than its maximum (the newest entry stays, however heavy).</summary>
    public void Set(TKey key, TValue value)
    {
        if (_capacity <= 0)
        {
            return;
        }

        var weight = _weigh?.Invoke(value) ?? 0;
        if (_map.TryGetValue(key, out var node))
        {
            Weight += weight - node.Value.Weight;
            node.Value = (key, value, weight);
            _order.Remove(node);
            _order.AddFirst(node);
        }
        else
        {
            _map[key] = _order.AddFirst((key, value, weight));
            Weight += weight;
        }

        while (_map.Count > 1 && (_map.Count > _capacity || Weight > _maxWeight))
        {
            var last = _order.Last!;
            _order.RemoveLast();
            _map.Remove(last.Value.Key);
            Weight -= last.Value.Weight;
        }
    }

    public void Remove(TKey key)
    {
        if (_map.Remove(key, out var node))
        {
            _order.Remove(node);
            Weight -= node.Value.Weight;
        }
    }

    public void Clear()
    {
        _map.Clear();
        _order.Clear();
        Weight = 0;
    }
}
