using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Pipeline.Engines;

namespace StreamRec.Evaluation.StreamRecSystems;

/// <summary>
/// StreamRec as the services run it, minus Kafka: items go through <see cref="ItemIndexEngine"/> (shared
/// <see cref="StreamRecCatalog"/>), clicks and reviews through <see cref="ProfileEngine.Apply"/> and, per engagement,
/// into the item side's co-engagement rows (<see cref="CoEngagementTable"/>), clicks also into the trending counts,
/// and lists come from <see cref="RecommendationEngine.RecommendAsync"/> (text, co-engagement and trending candidates,
/// freshness and trend, MMR). Profiles live in memory rather than in the users collection: the engines take and return them, and
/// the round trip through the store would only cost time.
/// </summary>
public sealed class StreamRecRecommender : IRecommenderSystem
{
    private readonly StreamRecCatalog _catalog;
    private readonly ProfileEngine _profiles;
    private readonly RecommendationEngine _recommender;
    private readonly TrendingCounter _trending;
    private readonly CoEngagementTable _coEngagement;
    private readonly Dictionary<string, UserProfile> _users = new(StringComparer.Ordinal);
    private long _offset;

    /// <param name="listSize">The longest list the evaluator asks for (the engine's N).</param>
    public StreamRecRecommender(StreamRecCatalog catalog, StreamRecVariant variant, int listSize)
    {
        _catalog = catalog;
        Name = variant.Name;
        Variant = variant;
        var ranking = StreamRecVariants.Copy(variant.Ranking);
        ranking.ListSize = listSize;
        _trending = new TrendingCounter(ranking.TrendingHalfLife, ranking.TrendingPriorHalfLife, ranking.TrendingPriorWeight);
        _profiles = new ProfileEngine(catalog.Store, catalog.Encoder, variant.Profile, catalog.Clock);
        _coEngagement = new CoEngagementTable(variant.CoEngagement);
        _recommender = new RecommendationEngine(catalog.Store, _trending, ranking, variant.Profile, catalog.Clock, _coEngagement);
    }

    public string Name { get; }

    public StreamRecVariant Variant { get; }

    /// <summary>User events dropped because their item was never indexed (the service would retry, then dead-letter).</summary>
    public long ItemsNotReady { get; private set; }

    public async ValueTask ObserveAsync(IStreamRecEvent e, CancellationToken cancellationToken)
    {
        _catalog.Clock.AdvanceTo(e.OccurredAt);
        switch (e)
        {
            case ItemUpserted or ItemRetired:
                await _catalog.IndexAsync(e, cancellationToken);
                if (e is ItemRetired retired)
                {
                    _coEngagement.Remove(retired.ItemId);
                }

                return;
            case Click click:
                _trending.Add(click.ItemId, click.OccurredAt);
                await ApplyAsync(click.UserId, e, cancellationToken);
                return;
            case Review review:
                await ApplyAsync(review.UserId, e, cancellationToken);
                return;
            case UserForget forget:
                await ApplyAsync(forget.UserId, e, cancellationToken);
                return;
        }
    }

    public async ValueTask<IReadOnlyList<string>> RecommendAsync(string userId, int count, DateTimeOffset now, IReadOnlySet<string> exclude, CancellationToken cancellationToken)
    {
        await _catalog.EnsureInitializedAsync(cancellationToken);
        var results = await _recommender.RecommendAsync([_users.GetValueOrDefault(userId)], now, cancellationToken);
        return results[0].Items.Take(count).Select(i => i.Candidate.ItemId).ToArray();
    }

    private async Task ApplyAsync(string userId, IStreamRecEvent e, CancellationToken cancellationToken)
    {
        if (!_users.TryGetValue(userId, out var profile))
        {
            _users[userId] = profile = new UserProfile(userId, _catalog.Encoder.Dimension);
        }

        // One partition, offsets in stream order: the profile's replay guard sees a monotonic log, as in the service.
        var positioned = new PositionedEvent(e, e.Topic, 0, _offset++, e.OccurredAt);
        float[]? itemVector = null;
        if (ProfileEngine.ItemIdOf(e) is { } itemId)
        {
            await _catalog.EnsureInitializedAsync(cancellationToken);
            itemVector = (await _profiles.ItemVectorsAsync([itemId], cancellationToken)).GetValueOrDefault(itemId);
        }

        float[]? textVector = null;
        if (e is Review { Text: { } text } && !string.IsNullOrWhiteSpace(text))
        {
            textVector = (await _profiles.ReviewTextVectorsAsync([positioned], cancellationToken))[0];
        }

        // The item side learns from the sequence as it was before this engagement.
        var recent = profile.RecentItems;
        var window = Math.Min(recent.Count, Variant.CoEngagement.HistorySize);
        var history = itemVector is not null ? recent.GetRange(recent.Count - window, window) : null;
        var result = _profiles.Apply(profile, positioned, itemVector, textVector);
        if (result.Outcome == ApplyOutcome.ItemNotReady)
        {
            ItemsNotReady++;
        }
        else if (result.Outcome == ApplyOutcome.Applied && history is not null)
        {
            _coEngagement.Observe(history, ProfileEngine.ItemIdOf(e)!, profile);
        }
    }
}
