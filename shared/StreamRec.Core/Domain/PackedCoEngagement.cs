using System.Collections.Concurrent;

namespace StreamRec.Domain;

/// <summary>
/// A dense number per item id, for sums kept in arrays instead of string-keyed dictionaries (the co-engagement
/// source's reads). Numbers are handed out in order from 0 and never reused; an id keeps its number for the table's
/// life, so the table grows with the distinct ids it has seen (the catalogue's items and their neighbours: about
/// 100 bytes each with the id's string, by arithmetic). Safe for concurrent use.
/// </summary>
public sealed class ItemIdTable
{
    private readonly ConcurrentDictionary<string, int> _numbers = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private string[] _ids = new string[1024];
    private int _count;

    /// <summary>How many ids have a number (every number below it is taken).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The number of <paramref name="itemId"/>, given it one if it had none.</summary>
    public int Intern(string itemId)
    {
        if (_numbers.TryGetValue(itemId, out var number))
        {
            return number;
        }

        lock (_gate)
        {
            if (_numbers.TryGetValue(itemId, out number))
            {
                return number;
            }

            number = _count;
            if (number == _ids.Length)
            {
                // A reader holding the old array still finds every number it was given in it.
                var grown = new string[2 * _ids.Length];
                Array.Copy(_ids, grown, number);
                Volatile.Write(ref _ids, grown);
            }

            _ids[number] = itemId;
            Volatile.Write(ref _count, number + 1);
            _numbers[itemId] = number; // published last: whoever finds the number finds its id
            return number;
        }
    }

    /// <summary>The id numbered <paramref name="number"/> (a number this table handed out).</summary>
    public string IdOf(int number) => Volatile.Read(ref _ids)[number];
}

/// <summary>
/// A co-engagement row as the recommender reads it: the row's count and its neighbours as numbers of an
/// <see cref="ItemIdTable"/> with their weights, in two arrays. Never changed after it is built (rows are shared by
/// concurrent lists through the read cache).
/// </summary>
public sealed class PackedCoEngagementRow
{
    private readonly int[] _neighbours;
    private readonly double[] _weights;

    private PackedCoEngagementRow(int item, double count, int[] neighbours, double[] weights)
    {
        Item = item;
        Count = count;
        _neighbours = neighbours;
        _weights = weights;
    }

    /// <summary>The row's own item, as a number of the table it was packed with.</summary>
    public int Item { get; }

    public double Count { get; }

    /// <summary>The neighbours' numbers; <see cref="Weights"/> holds their weights at the same positions.</summary>
    public ReadOnlySpan<int> Neighbours => _neighbours;

    public ReadOnlySpan<double> Weights => _weights;

    /// <summary>About how many bytes of heap the row takes: 12 per neighbour and 100 for the rest (the ids' strings are
    /// the table's, shared by every row).</summary>
    public long EstimatedBytes => 100 + (12L * _neighbours.Length);

    /// <summary>The row of <paramref name="itemId"/>, its ids numbered in <paramref name="ids"/>.</summary>
    public static PackedCoEngagementRow Pack(string itemId, CoEngagementRow row, ItemIdTable ids)
    {
        var neighbours = new int[row.Neighbours.Count];
        var weights = new double[neighbours.Length];
        var n = 0;
        foreach (var (id, weight) in row.Neighbours)
        {
            neighbours[n] = ids.Intern(id);
            weights[n] = weight;
            n++;
        }

        return new PackedCoEngagementRow(ids.Intern(itemId), row.Count, neighbours, weights);
    }
}

/// <summary>
/// A list's partial co-engagement sums by item number (<see cref="ItemIdTable"/>): an array of sums and the numbers
/// touched, so adding is an array write and clearing costs only what was touched. One list at a time; a caller scoring
/// many lists keeps one and clears it after each.
/// </summary>
public sealed class CoEngagementSums
{
    private double[] _sums = [];
    private bool[] _touched = [];
    private int[] _order = new int[256];
    private int _count;

    /// <summary>The numbers with a sum, in the order they were first added to.</summary>
    public ReadOnlySpan<int> Touched => _order.AsSpan(0, _count);

    /// <summary>Makes room for numbers below <paramref name="numbers"/> (the table's count once the list's rows are packed).</summary>
    public void EnsureCapacity(int numbers)
    {
        if (numbers > _sums.Length)
        {
            var size = Math.Max(numbers, 2 * _sums.Length);
            Array.Resize(ref _sums, size);
            Array.Resize(ref _touched, size);
        }
    }

    public void Add(int number, double value)
    {
        if (!_touched[number])
        {
            _touched[number] = true;
            if (_count == _order.Length)
            {
                Array.Resize(ref _order, 2 * _order.Length);
            }

            _order[_count++] = number;
        }

        _sums[number] += value;
    }

    public bool TryGet(int number, out double sum)
    {
        if ((uint)number < (uint)_touched.Length && _touched[number])
        {
            sum = _sums[number];
            return true;
        }

        sum = 0;
        return false;
    }

    /// <summary>Empties the sums (only the touched entries are reset).</summary>
    public void Clear()
    {
        foreach (var number in Touched)
        {
            _sums[number] = 0;
            _touched[number] = false;
        }

        _count = 0;
    }
}
