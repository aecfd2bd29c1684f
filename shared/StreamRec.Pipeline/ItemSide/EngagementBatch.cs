using System.Runtime.InteropServices;
using StreamRec.Domain;

namespace StreamRec.Pipeline.ItemSide;

/// <summary>
/// The contributions of a batch of engagement messages, flat: the rows they touch (each once, in first-touch order) and
/// every contribution in message, row and applied order, its pairs in one shared array. The item side reads its
/// messages into one of these instead of a message object, a contribution object and a pair array per contribution.
/// Not thread-safe.
/// </summary>
internal sealed class EngagementBatch
{
    /// <summary>One contribution: to the row at <see cref="Row"/> (an index into <see cref="RowIds"/>), from the user
    /// event at <see cref="Offset"/> of <see cref="Source"/>, with its pairs at <see cref="PairStart"/>.</summary>
    public readonly record struct Entry(int Row, string Source, long Offset, bool Retried, double Count, int PairStart, int PairCount);

    /// <summary>Where a message began: <see cref="Rollback"/> to it drops what a damaged message added.</summary>
    public readonly record struct Mark(int Rows, int Entries, int Pairs, int Segments);

    private readonly List<string> _rowIds = [];
    // Each row as a message lists it: (row index, first entry), so a message can be given back as it was read.
    private readonly List<(int Row, int FirstEntry)> _segments = [];
    private readonly Dictionary<string, int> _rowIndex = new(StringComparer.Ordinal);
    private Entry[] _entries = new Entry[256];
    private (string ItemId, double Weight)[] _pairs = new (string, double)[1024];

    /// <summary>The rows touched, each once, in the order first touched.</summary>
    public IReadOnlyList<string> RowIds => _rowIds;

    public int EntryCount { get; private set; }

    public int PairCount { get; private set; }

    public ReadOnlySpan<Entry> Entries => _entries.AsSpan(0, EntryCount);

    public ReadOnlySpan<(string ItemId, double Weight)> PairsOf(in Entry entry) => _pairs.AsSpan(entry.PairStart, entry.PairCount);

    public Mark Position => new(_rowIds.Count, EntryCount, PairCount, _segments.Count);

    /// <summary>A message's next row: the index of <paramref name="itemId"/>'s row (added when new), which the
    /// contributions that follow go to.</summary>
    public int Row(string itemId)
    {
        ref var index = ref CollectionsMarshal.GetValueRefOrAddDefault(_rowIndex, itemId, out var exists);
        if (!exists)
        {
            index = _rowIds.Count;
            _rowIds.Add(itemId);
        }

        _segments.Add((index, EntryCount));
        return index;
    }

    /// <summary>Starts a contribution to <paramref name="row"/>; its pairs follow with <see cref="Pair"/>.</summary>
    public void Contribution(int row, string source, long offset, bool retried, double count, int pairs)
    {
        if (EntryCount == _entries.Length)
        {
            Array.Resize(ref _entries, _entries.Length * 2);
        }

        if (PairCount + pairs > _pairs.Length)
        {
            Array.Resize(ref _pairs, Math.Max(_pairs.Length * 2, PairCount + pairs));
        }

        _entries[EntryCount++] = new Entry(row, source, offset, retried, count, PairCount, pairs);
    }

    /// <summary>The next pair of the contribution last started (within the count it announced).</summary>
    public void Pair(string itemId, double weight) => _pairs[PairCount++] = (itemId, weight);

    /// <summary>Adds a parsed message's contributions (the JSON of v1).</summary>
    public void Add(EngagementMessage message)
    {
        foreach (var row in message.Rows)
        {
            var index = Row(row.ItemId);
            foreach (var c in row.Contributions)
            {
                Contribution(index, c.Source, c.Offset, c.Retried, c.Count, c.Pairs.Count);
                foreach (var (itemId, weight) in c.Pairs)
                {
                    Pair(itemId, weight);
                }
            }
        }
    }

    /// <summary>Empties the batch, keeping its arrays for the next one.</summary>
    public void Clear()
    {
        _rowIds.Clear();
        _rowIndex.Clear();
        _segments.Clear();
        Array.Clear(_entries, 0, EntryCount);
        Array.Clear(_pairs, 0, PairCount);
        EntryCount = 0;
        PairCount = 0;
    }

    /// <summary>Drops everything added since <paramref name="mark"/>.</summary>
    public void Rollback(Mark mark)
    {
        for (var r = mark.Rows; r < _rowIds.Count; r++)
        {
            _rowIndex.Remove(_rowIds[r]);
        }

        _rowIds.RemoveRange(mark.Rows, _rowIds.Count - mark.Rows);
        _segments.RemoveRange(mark.Segments, _segments.Count - mark.Segments);
        EntryCount = mark.Entries;
        PairCount = mark.Pairs;
    }

    /// <summary>The rows and contributions added since <paramref name="mark"/>, as the message listed them.</summary>
    public IReadOnlyList<RowContributions> RowsSince(Mark mark)
    {
        var rows = new RowContributions[_segments.Count - mark.Segments];
        for (var s = mark.Segments; s < _segments.Count; s++)
        {
            var (row, first) = _segments[s];
            var end = s + 1 < _segments.Count ? _segments[s + 1].FirstEntry : EntryCount;
            var contributions = new CoEngagementContribution[end - first];
            for (var e = first; e < end; e++)
            {
                var entry = _entries[e];
                contributions[e - first] = new CoEngagementContribution(entry.Source, entry.Offset, entry.Retried, entry.Count, PairsOf(entry).ToArray());
            }

            rows[s - mark.Segments] = new RowContributions { ItemId = _rowIds[row], Contributions = contributions };
        }

        return rows;
    }
}
