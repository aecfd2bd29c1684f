using StreamRec.Domain;
using StreamRec.Ports;

namespace StreamRec.Pipeline.Engines;

/// <summary>
/// Co-engagement rows held in memory, updated per engagement in stream order: the offline evaluation's item side, and
/// the reference the stored item-side state is checked against. Not thread-safe; one writer.
/// </summary>
public sealed class CoEngagementTable : ICoEngagementSource
{
    private readonly Dictionary<string, CoEngagementRow> _rows = new(StringComparer.Ordinal);
    private readonly CoEngagementOptions _options;

    public CoEngagementTable(CoEngagementOptions options)
    {
        _options = options;
    }

    public CoEngagementOptions Options => _options;

    /// <summary>Items with a row.</summary>
    public int Count => _rows.Count;

    public CoEngagementRow? RowOf(string itemId) => _rows.GetValueOrDefault(itemId);

    /// <summary>A user engaged with <paramref name="itemId"/> after <paramref name="history"/> (oldest first, without
    /// this engagement).</summary>
    public void Observe(IReadOnlyList<string> history, string itemId)
    {
        if (!CoEngagement.IsRepeat(history, itemId, _options))
        {
            CoEngagement.Apply(_rows, itemId, CoEngagement.Pairs(history, itemId, _options), _options);
        }
    }

    /// <summary>Forgets a retired item's row (its entries in other rows fade out as they are pruned).</summary>
    public void Remove(string itemId) => _rows.Remove(itemId);

    public ValueTask<IReadOnlyList<(string ItemId, double Score)>> ScoreAsync(
        IReadOnlyList<string> recentItems, IReadOnlySet<string> exclude, int limit, CancellationToken cancellationToken) =>
        ValueTask.FromResult(CoEngagement.Score(recentItems, RowOf, _options, exclude, limit));
}
