using Microsoft.Extensions.Logging;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Messaging;
using StreamRec.Observability;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.Options;

namespace StreamRec.Pipeline.Handlers;

/// <summary>
/// recommender: streamrec.user-vectors → candidates → re-rank → streamrec.recommendations.
/// A burst of updates for one user within a batch becomes one list (the newest version wins).
/// </summary>
public sealed partial class RecommenderHandler : IBatchHandler
{
    private readonly RecommendationEngine _engine;
    private readonly IEventPublisher _publisher;
    private readonly ParseLimits _limits;
    private readonly TimeProvider _time;
    private readonly ServedListStats _stats;
    private readonly ILogger<RecommenderHandler> _logger;
    private readonly int _listBuilders;

    public RecommenderHandler(
        RecommendationEngine engine, IEventPublisher publisher, ParseLimits limits, ServedListStats stats, ILogger<RecommenderHandler> logger, TimeProvider time,
        RecommenderOptions? options = null)
    {
        _listBuilders = (options ?? new RecommenderOptions()).ListBuilders;
        _logger = logger;
        _engine = engine;
        _publisher = publisher;
        _limits = limits;
        _stats = stats;
        _time = time;
    }

    public async Task<IReadOnlyList<PoisonMessage>> HandleAsync(IReadOnlyList<ConsumedMessage> batch, CancellationToken cancellationToken)
    {
        var buildStarted = _time.GetTimestamp();
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

        var stored = await _engine.LoadProfilesAsync(latest.Keys.ToArray(), cancellationToken);

        // Only the profile-updater writes this topic, after it stored the user. A notification for a user the store does
        // not hold was written by someone else (or names a user since deleted): publishing a list for it would let anyone
        // with write access to an internal topic create users downstream. Ignored, counted and logged.
        foreach (var unknown in latest.Keys.Where(id => !stored.ContainsKey(id)).ToArray())
        {
            var update = latest[unknown];
            latest.Remove(unknown);
            StreamRecMetrics.EventsProcessed.WithLabels(Topics.UserVectors, StreamRecMetrics.Outcomes.UnknownUser).Inc();
            LogUnknownUser(_logger, update.EventId, update.Trigger.EventId);
        }

        if (latest.Count == 0)
        {
            return poison;
        }

        var updates = latest.Values.ToArray();
        var profiles = updates.Select(u => stored.GetValueOrDefault(u.UserId)).ToArray();
        var now = updates.Max(u => u.Trigger.OccurredAt);
        var results = await BuildListsAsync(profiles, now, cancellationToken);

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
        // Everything from the batch to the serialised lists (decode, coalesce, load users, retrieve, rank, serialise).
        StreamRecMetrics.StageDuration.WithLabels("list_build").Observe(_time.GetElapsedTime(buildStarted, publishStarted).TotalSeconds);
        await _publisher.PublishAsync(messages, cancellationToken);
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

    /// <summary>The lists of <paramref name="profiles"/>, in their order: the users split into contiguous groups of at
    /// least <see cref="RecommenderOptions.MinListsPerBuilder"/>, at most <see cref="RecommenderOptions.ListBuilders"/>
    /// of them, each group's lists built on its own thread (every list depends only on its user's profile, so the
    /// split changes nothing in them).</summary>
    private async Task<IReadOnlyList<RecommendationResult>> BuildListsAsync(UserProfile?[] profiles, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var builders = Math.Min(_listBuilders, profiles.Length / RecommenderOptions.MinListsPerBuilder);
        if (builders <= 1)
        {
            return await _engine.RecommendAsync(profiles, now, cancellationToken);
        }

        var size = (profiles.Length + builders - 1) / builders;
        var groups = new Task<IReadOnlyList<RecommendationResult>>[(profiles.Length + size - 1) / size];
        for (var g = 0; g < groups.Length; g++)
        {
            var group = new ArraySegment<UserProfile?>(profiles, g * size, Math.Min(size, profiles.Length - (g * size)));
            groups[g] = Task.Run(() => _engine.RecommendAsync(group, now, cancellationToken), cancellationToken);
        }

        var lists = new List<RecommendationResult>(profiles.Length);
        foreach (var group in await Task.WhenAll(groups))
        {
            lists.AddRange(group);
        }

        return lists;
    }

    public void OnPartitionsAssigned(IReadOnlyCollection<PartitionId> partitions)
    {
    }

    public void OnPartitionsRevoked(IReadOnlyCollection<PartitionId> partitions)
    {
    }

    [LoggerMessage(EventId = 3310, Level = LogLevel.Warning, Message = "Ignored user-vector notification {EventId} (trigger {TriggerEventId}): its user is not in the users collection, so no list is published. Only the profile-updater should write streamrec.user-vectors (docs/security.md)")]
    private static partial void LogUnknownUser(ILogger logger, string eventId, string triggerEventId);
}

/// <summary>Feeds the trending counts from the clicks on the user-events topic; the reviews and forget requests beside them
/// are skipped unparsed (<see cref="EventParser.HasSchema"/>). Bad messages are the profile-updater's to dead-letter: here
/// they are skipped.</summary>
public sealed class TrendingHandler : IBatchHandler
{
    private readonly TrendingCounter _trending;
    private readonly ParseLimits _limits;
    private readonly TimeProvider _time;

    public TrendingHandler(TrendingCounter trending, ParseLimits limits, TimeProvider time)
    {
        _trending = trending;
        _limits = limits;
        _time = time;
    }

    public bool OwnsTopicEvents => false;

    public Task<IReadOnlyList<PoisonMessage>> HandleAsync(IReadOnlyList<ConsumedMessage> batch, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        foreach (var m in batch)
        {
            if (EventParser.HasSchema(m.Value, Schemas.Click) && EventParser.Parse(m.Value, _limits).Event is Click click)
            {
                _trending.Add(click.ItemId, click.OccurredAt);
            }
        }

        StreamRecMetrics.StageDuration.WithLabels("trending").Observe(_time.GetElapsedTime(started).TotalSeconds);
        return Task.FromResult<IReadOnlyList<PoisonMessage>>([]);
    }

    public void OnPartitionsAssigned(IReadOnlyCollection<PartitionId> partitions)
    {
    }

    public void OnPartitionsRevoked(IReadOnlyCollection<PartitionId> partitions)
    {
    }
}
