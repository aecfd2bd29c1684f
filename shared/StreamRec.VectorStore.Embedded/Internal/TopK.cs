namespace StreamRec.VectorStore.Embedded.Internal;

/// <summary>Bounded top-k selection: a min-heap of size k whose root is the weakest kept result, so a
/// candidate costs one comparison unless it beats the root (O(n log k) instead of sorting n scores).</summary>
internal sealed class TopK
{
    private readonly float[] _scores;
    private readonly int[] _rows;

    public TopK(int k)
    {
        _scores = new float[k];
        _rows = new int[k];
    }

    public int Count { get; private set; }

    public int Capacity => _scores.Length;

    public bool IsFull => Count == _scores.Length;

    /// <summary>The score a candidate must beat once the heap is full.</summary>
    public float Floor => _scores[0];

    /// <summary>True when <paramref name="score"/> would be kept; lets callers skip filter work.</summary>
    public bool WouldAccept(float score) => !IsFull || score > _scores[0];

    public void Add(float score, int row)
    {
        if (Count < _scores.Length)
        {
            var i = Count++;
            _scores[i] = score;
            _rows[i] = row;
            SiftUp(i);
        }
        else if (score > _scores[0])
        {
            _scores[0] = score;
            _rows[0] = row;
            SiftDown(0);
        }
    }

    public void MergeInto(TopK other)
    {
        for (var i = 0; i < Count; i++)
        {
            other.Add(_scores[i], _rows[i]);
        }
    }

    /// <summary>The kept (score, row) pairs, best first.</summary>
    public (float Score, int Row)[] ToSortedArray()
    {
        var result = new (float Score, int Row)[Count];
        for (var i = 0; i < Count; i++)
        {
            result[i] = (_scores[i], _rows[i]);
        }

        Array.Sort(result, static (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Row.CompareTo(b.Row));
        return result;
    }

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (_scores[parent] <= _scores[i])
            {
                return;
            }

            Swap(i, parent);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        var n = Count;
        while (true)
        {
            var left = (2 * i) + 1;
            if (left >= n)
            {
                return;
            }

            var smallest = left;
            var right = left + 1;
            if (right < n && _scores[right] < _scores[left])
            {
                smallest = right;
            }

            if (_scores[i] <= _scores[smallest])
            {
                return;
            }

            Swap(i, smallest);
            i = smallest;
        }
    }

    private void Swap(int a, int b)
    {
        (_scores[a], _scores[b]) = (_scores[b], _scores[a]);
        (_rows[a], _rows[b]) = (_rows[b], _rows[a]);
    }
}
