using Confluent.Kafka;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Kafka.Consuming;
using StreamRec.Kafka.Producing;
using StreamRec.Observability;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.Options;

namespace StreamRec.Pipeline.Handlers;

/// <summary>
/// recommender: streamrec.user-vectors → candidates → re-rank → streamrec.recommendations.
/// A burst of updates for one user within a batch becomes one list (the newest version wins).
/// </summary>
public sealed class RecommenderHandler : IBatchHandler
{
    private readonly RecommendationEngine _engine;
    private readonly KafkaProducer _producer;
    private readonly ParseLimits _limits;
    private readonly TimeProvider _time;
    private readonly ServedListStats _stats;

    public RecommenderHandler(RecommendationEngine engine, KafkaProducer producer, ParseLimits limits, ServedListStats stats, TimeProvider time)
    {
        _engine = engine;
        _producer = producer;
        _limits = limits;
        _stats = stats;
        _time = time;
    }

    public async Task<IReadOnlyList<PoisonMessage>> HandleAsync(IReadOnlyList<ConsumedMessage> batch, CancellationToken cancellationToken)
    {
        var (events, poison) = BatchDecoder.Decode(batch, static (e, topic) => e is UserVectorUpdated && topic == Topics.UserVectors, _limits);
        if (events.Count == 0)
        {
            return poison;
        }

        // Coalesce: the newest version per user (offset order breaks ties), so a burst costs one list.
        var latest = new Dictionary<string, UserVectorUpdated>(StringComparer.Ordinal);
        foreach (var (_, positioned) in events)
        {
            var update = (UserVectorUpdated)positioned.Event;
            if (!latest.TryGetValue(update.UserId, out var current) || update.Version >= current.Version)
            {
                latest[update.UserId] = update;
            }
        }

        var skipped = events.Count - latest.Count;
        if (skipped > 0)
        {
            StreamRecMetrics.EventsProcessed.WithLabels(Topics.UserVectors, "coalesced").Inc(skipped);
        }

        var updates = latest.Values.ToArray();
        var stored = await _engine.LoadProfilesAsync(updates.Select(u => u.UserId).ToArray(), cancellationToken);
        var profiles = updates.Select(u => stored.GetValueOrDefault(u.UserId)).ToArray();
        var now = updates.Max(u => u.Trigger.OccurredAt);
        var results = await _engine.RecommendAsync(profiles, now, cancellationToken);

        var generatedAt = _time.GetUtcNow();
        var messages = new OutgoingMessage[updates.Length];
        var lists = new RecommendationList[updates.Length];
        for (var i = 0; i < updates.Length; i++)
        {
            var result = updates[i].Forgotten ? new RecommendationResult(RecommendationResult.ForgottenStrategy, []) : results[i];
            lists[i] = RecommendationEngine.ToMessage(updates[i].UserId, result, updates[i].Trigger, generatedAt);
            messages[i] = new OutgoingMessage(Topics.Recommendations, updates[i].UserId, EventParser.Serialize(lists[i]));
        }

        var publishStarted = _time.GetTimestamp();
        await _producer.ProduceBatchAsync(messages, cancellationToken);
        StreamRecMetrics.StageDuration.WithLabels("publish").Observe(_time.GetElapsedTime(publishStarted).TotalSeconds);

        var publishedAt = _time.GetUtcNow();
        for (var i = 0; i < updates.Length; i++)
        {
            var trigger = updates[i].Trigger;
            StreamRecMetrics.EventToList.WithLabels("occurred").Observe(Math.Max(0, (publishedAt - trigger.OccurredAt).TotalSeconds));
            if (trigger.ReceivedAt is { } received)
            {
                StreamRecMetrics.EventToList.WithLabels("arrival").Observe(Math.Max(0, (publishedAt - received).TotalSeconds));
            }

            StreamRecMetrics.ListsPublished.WithLabels(lists[i].Strategy).Inc();
            _stats.Record(results[i], now, publishedAt, _engine.Ranking);
        }

        return poison;
    }

    public void OnPartitionsAssigned(IReadOnlyCollection<TopicPartition> partitions)
    {
    }

    public void OnPartitionsRevoked(IReadOnlyCollection<TopicPartition> partitions)
    {
    }
}

/// <summary>Feeds the trending counts from the clicks topic. Bad messages are the profile-updater's to dead-letter: here they are skipped.</summary>
public sealed class TrendingHandler : IBatchHandler
{
    private readonly TrendingCounter _trending;
    private readonly ParseLimits _limits;

    public TrendingHandler(TrendingCounter trending, ParseLimits limits)
    {
        _trending = trending;
        _limits = limits;
    }

    public bool OwnsTopicEvents => false;

    public Task<IReadOnlyList<PoisonMessage>> HandleAsync(IReadOnlyList<ConsumedMessage> batch, CancellationToken cancellationToken)
    {
        foreach (var m in batch)
        {
            if (EventParser.Parse(m.Value, _limits).Event is Click click)
            {
                _trending.Add(click.ItemId, click.OccurredAt);
            }
        }

        return Task.FromResult<IReadOnlyList<PoisonMessage>>([]);
    }

    public void OnPartitionsAssigned(IReadOnlyCollection<TopicPartition> partitions)
    {
    }

    public void OnPartitionsRevoked(IReadOnlyCollection<TopicPartition> partitions)
    {
    }
}
