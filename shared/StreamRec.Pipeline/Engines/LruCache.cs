namespace StreamRec.Pipeline.Engines;

/// <summary>A small least-recently-used map. Not thread-safe: callers lock.</summary>
internal sealed class LruCache<TKey, TValue>
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> _map;
    private readonly LinkedList<(TKey Key, TValue Value)> _order = new();
    private readonly int _capacity;

    public LruCache(int capacity, IEqualityComparer<TKey>? comparer = null)
    {
        _capacity = capacity;
        _map = new Dictionary<TKey, LinkedListNode<(TKey, TValue)>>(comparer);
    }

    public int Count => _map.Count;

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

    public void Set(TKey key, TValue value)
    {
        if (_capacity <= 0)
        {
            return;
        }

        if (_map.TryGetValue(key, out var node))
        {
            node.Value = (key, value);
            _order.Remove(node);
            _order.AddFirst(node);
            return;
        }

        _map[key] = _order.AddFirst((key, value));
        if (_map.Count > _capacity)
        {
            var last = _order.Last!;
            _order.RemoveLast();
            _map.Remove(last.Value.Key);
        }
    }

    public void Remove(TKey key)
    {
        if (_map.Remove(key, out var node))
        {
            _order.Remove(node);
        }
    }

    public void Clear()
    {
        _map.Clear();
        _order.Clear();
    }
}
