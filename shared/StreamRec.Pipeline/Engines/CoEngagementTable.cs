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
    /// this engagement); <paramref name="notPositive"/> as in <see cref="CoEngagement.Pairs"/>.</summary>
    public void Observe(IReadOnlyList<string> history, string itemId, IReadOnlySet<string>? notPositive = null)
    {
        if (!CoEngagement.IsRepeat(history, itemId, _options))
        {
            CoEngagement.Apply(_rows, itemId, CoEngagement.Pairs(history, itemId, _options, notPositive), _options);
        }
    }

    /// <summary>Observes an engagement <paramref name="profile"/> has just applied, after <paramref name="history"/>.</summary>
    public void Observe(IReadOnlyList<string> history, string itemId, UserProfile profile) =>
        Observe(history, itemId, profile.NotPositiveAmong(history, itemId));

    /// <summary>Forgets a retired item's row (its entries in other rows fade out as they are pruned).</summary>
    public void Remove(string itemId) => _rows.Remove(itemId);

    public ValueTask<IReadOnlyList<(string ItemId, double Score)>> ScoreAsync(
        IReadOnlyList<string> recentItems, IReadOnlySet<string> exclude, int limit, IReadOnlySet<string>? notPositive, CancellationToken cancellationToken) =>
        ValueTask.FromResult(CoEngagement.Score(recentItems, RowOf, _options, exclude, limit, notPositive));
}
