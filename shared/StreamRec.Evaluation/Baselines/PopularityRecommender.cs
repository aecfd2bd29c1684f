using StreamRec.Contracts;
using StreamRec.Domain;

namespace StreamRec.Evaluation.Baselines;

/// <summary>
/// Recommends the most clicked items, optionally time-decayed: the classic non-personalised baselines. Counts come
/// from clicks only (a MovieLens rating ≥ 3.5 is a click); retired items are dropped. Built on the same
/// <see cref="TrendingCounter"/> the recommender keeps, so ties break by item id, deterministically.
/// </summary>
public sealed class PopularityRecommender : IRecommenderSystem
{
    public const string MostPopularName = "most-popular";
    public const string RecentPopularName = "recent-popular";

    private readonly TrendingCounter _counts;
    private readonly HashSet<string> _retired = new(StringComparer.Ordinal);

    /// <param name="halfLife">Half-life of a click's weight; <see cref="TimeSpan.MaxValue"/> (or zero) = all-time counts.</param>
    public PopularityRecommender(string name, TimeSpan halfLife)
    {
        Name = name;
        _counts = new TrendingCounter(halfLife);
    }

    public string Name { get; }

    /// <summary>All-time click counts.</summary>
    public static PopularityRecommender MostPopular() => new(MostPopularName, TimeSpan.MaxValue);

    /// <summary>Clicks decayed with <paramref name="halfLife"/>. Default 7 days: on MovieLens (about 13 clicks a day) the
    /// recommender's 6-hour trending half-life would leave a handful of items with any weight.</summary>
    public static PopularityRecommender RecentPopular(TimeSpan? halfLife = null) => new(RecentPopularName, halfLife ?? TimeSpan.FromDays(7));

    public ValueTask ObserveAsync(IStreamRecEvent e, CancellationToken cancellationToken)
    {
        switch (e)
        {
            case Click c when !_retired.Contains(c.ItemId):
                _counts.Add(c.ItemId, c.OccurredAt);
                break;
            case ItemRetired r:
                _retired.Add(r.ItemId);
                _counts.Remove(r.ItemId);
                break;
            case ItemUpserted u:
                _retired.Remove(u.ItemId);
                break;
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<string>> RecommendAsync(string userId, int count, DateTimeOffset now, IReadOnlySet<string> exclude, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<string>>(_counts.Top(count, now, exclude).Select(t => t.ItemId).ToArray());
}
