using System.Security.Cryptography;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Kafka.Consuming;
using StreamRec.Kafka.Producing;
using StreamRec.Observability;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.Options;

namespace StreamRec.Pipeline.Handlers;

/// <summary>
/// profile-updater: clicks and reviews → user profiles → users collection → streamrec.user-vectors.
/// </summary>
/// <remarks>
/// Order of effects per batch: apply events in order (skipping offsets a profile already applied), write every
/// changed profile (durable), publish one notification per changed user, and only then return, which lets the
/// consumer store the offsets. A crash anywhere before the return replays the batch; the replayed events are
/// skipped by the applied offsets saved with each profile, and their users are notified again, so the recommender
/// still publishes a list (at least once) while the state changes exactly once.
/// </remarks>
public sealed partial class ProfileUpdaterHandler : IBatchHandler
{
    private readonly ProfileEngine _engine;
    private readonly KafkaProducer _producer;
    private readonly ProfileUpdaterOptions _options;
    private readonly ParseLimits _limits;
    private readonly ILogger<ProfileUpdaterHandler> _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly LruCache<string, CachedProfile> _cache;
    private readonly Dictionary<(int Partition, long Offset, string Topic), int> _notReadyAttempts = [];

    public ProfileUpdaterHandler(ProfileEngine engine, KafkaProducer producer, ProfileUpdaterOptions options, ParseLimits limits, ILogger<ProfileUpdaterHandler> logger, TimeProvider time)
    {
        _engine = engine;
        _producer = producer;
        _options = options;
        _limits = limits;
        _logger = logger;
        _time = time;
        _cache = new LruCache<string, CachedProfile>(options.UserCacheSize, StringComparer.Ordinal);
    }

    public async Task<IReadOnlyList<PoisonMessage>> HandleAsync(IReadOnlyList<ConsumedMessage> batch, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var (events, poison) = BatchDecoder.Decode(batch, Belongs, _limits);
        StreamRecMetrics.StageDuration.WithLabels("decode").Observe(_time.GetElapsedTime(started).TotalSeconds);
        if (events.Count == 0)
        {
            return poison;
        }

        var userIds = events.Select(e => e.Event.Event.Key).Distinct(StringComparer.Ordinal).ToArray();
        var profiles = await ProfilesAsync(userIds, cancellationToken);
        try
        {
            return await ApplyAsync(events, poison, profiles, cancellationToken);
        }
        catch (Exception ex) when (ex is not TransientException)
        {
            // The in-memory profiles may hold changes that never reached the store: drop them so a retry reloads.
            lock (_gate)
            {
                foreach (var id in userIds)
                {
                    _cache.Remove(id);
                }
            }

            throw;
        }
    }

    private async Task<IReadOnlyList<PoisonMessage>> ApplyAsync(
        List<(int Index, PositionedEvent Event)> events, List<PoisonMessage> poison, Dictionary<string, CachedProfile> profiles, CancellationToken cancellationToken)
    {
        var stateStarted = _time.GetTimestamp();
        var itemIds = events.Select(e => ProfileEngine.ItemIdOf(e.Event.Event)).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        var itemVectors = await _engine.ItemVectorsAsync(itemIds, cancellationToken);
        var textVectors = await _engine.ReviewTextVectorsAsync(events.Select(e => e.Event).ToArray(), cancellationToken);

        var changed = new Dictionary<string, PositionedEvent>(StringComparer.Ordinal);
        var renotify = new Dictionary<string, PositionedEvent>(StringComparer.Ordinal);
        string? notReady = null;
        for (var j = 0; j < events.Count && notReady is null; j++)
        {
            var (index, positioned) = events[j];
            var userId = positioned.Event.Key;
            var cached = profiles[userId];
            var itemId = ProfileEngine.ItemIdOf(positioned.Event);
            var itemVector = itemId is not null ? itemVectors.GetValueOrDefault(itemId) : null;
            var result = _engine.Apply(cached.Profile, positioned, itemVector, textVectors[j]);
            switch (result.Outcome)
            {
                case ApplyOutcome.Applied:
                case ApplyOutcome.Forgotten:
                    changed[userId] = positioned;
                    break;
                case ApplyOutcome.SkippedReplay:
                    renotify[userId] = positioned;
                    // Counted as ok by the consumer too: skipped_replay says how many of those were replays.
                    StreamRecMetrics.EventsProcessed.WithLabels(positioned.Topic, StreamRecMetrics.Outcomes.SkippedReplay).Inc();
                    break;
                case ApplyOutcome.Rejected:
                    poison.Add(new PoisonMessage(index, "InvalidValue: " + result.Reason));
                    break;
                case ApplyOutcome.ItemNotReady:
                    if (CountNotReadyAttempt(positioned) > _options.ItemNotReadyMaxAttempts)
                    {
                        poison.Add(new PoisonMessage(index, $"ItemNotIndexed: {result.Reason} after {_options.ItemNotReadyMaxAttempts} retries"));
                    }
                    else
                    {
                        notReady = result.Reason;
                    }

                    break;
            }
        }

        StreamRecMetrics.StageDuration.WithLabels("state").Observe(_time.GetElapsedTime(stateStarted).TotalSeconds);

        if (changed.Count > 0)
        {
            var storeStarted = _time.GetTimestamp();
            await _engine.SaveAsync(changed.Keys.Select(id => profiles[id].Profile).ToArray(), cancellationToken);
            StreamRecMetrics.StageDuration.WithLabels("store").Observe(_time.GetElapsedTime(storeStarted).TotalSeconds);
            StreamRecMetrics.UsersUpdated.Inc(changed.Count);
        }

        // A replayed event's user is notified again unless this process already published that version:
        // after a crash nobody knows whether the first notification went out.
        foreach (var (userId, positioned) in renotify)
        {
            if (!changed.ContainsKey(userId) && profiles[userId].PublishedVersion < profiles[userId].Profile.Version)
            {
                changed[userId] = positioned;
            }
        }

        if (changed.Count > 0)
        {
            var publishStarted = _time.GetTimestamp();
            var messages = changed.Select(kv => Notification(profiles[kv.Key].Profile, kv.Value)).ToArray();
            await _producer.ProduceBatchAsync(messages, cancellationToken);
            StreamRecMetrics.StageDuration.WithLabels("publish").Observe(_time.GetElapsedTime(publishStarted).TotalSeconds);
            foreach (var userId in changed.Keys)
            {
                profiles[userId].PublishedVersion = profiles[userId].Profile.Version;
            }
        }

        if (notReady is not null)
        {
            // Transient: the consumer pauses the partition, backs off and retries the batch; what was applied above is
            // saved, so the retry skips it. After ItemNotReadyMaxAttempts the event is dead-lettered instead.
            LogItemNotReady(_logger, notReady);
            throw new TransientException(notReady);
        }

        return poison;
    }

    /// <summary>Counts an attempt at an event whose item is missing; forgets the event once it is over the limit.</summary>
    private int CountNotReadyAttempt(PositionedEvent positioned)
    {
        var key = (positioned.Partition, positioned.Offset, positioned.Topic);
        lock (_gate)
        {
            var attempts = _notReadyAttempts.GetValueOrDefault(key) + 1;
            if (attempts > _options.ItemNotReadyMaxAttempts)
            {
                _notReadyAttempts.Remove(key);
            }
            else
            {
                _notReadyAttempts[key] = attempts;
            }

            return attempts;
        }
    }

    private async Task<Dictionary<string, CachedProfile>> ProfilesAsync(string[] userIds, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, CachedProfile>(userIds.Length, StringComparer.Ordinal);
        var missing = new List<string>();
        lock (_gate)
        {
            foreach (var id in userIds)
            {
                if (_cache.TryGet(id, out var cached))
                {
                    result[id] = cached;
                }
                else
                {
                    missing.Add(id);
                }
            }
        }

        if (missing.Count > 0)
        {
            var loaded = await _engine.LoadAsync(missing, cancellationToken);
            lock (_gate)
            {
                foreach (var (id, profile) in loaded)
                {
                    var entry = new CachedProfile(profile);
                    result[id] = entry;
                    _cache.Set(id, entry);
                }
            }
        }

        return result;
    }

    private static OutgoingMessage Notification(UserProfile profile, PositionedEvent trigger)
    {
        var message = new UserVectorUpdated
        {
            EventId = "uv-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{profile.UserId}\n{profile.Version}\n{trigger.Event.EventId}")).AsSpan(0, 12)),
            OccurredAt = trigger.Event.OccurredAt,
            UserId = profile.UserId,
            Version = profile.Version,
            Forgotten = profile.Forgotten,
            Trigger = BatchDecoder.TriggerOf(trigger),
        };
        return new OutgoingMessage(Topics.UserVectors, profile.UserId, EventParser.Serialize(message));
    }

    private static bool Belongs(IStreamRecEvent e, string topic) => e switch
    {
        Click or UserForget => topic == Topics.Clicks,
        Review => topic == Topics.Reviews,
        _ => false,
    };

    public void OnPartitionsAssigned(IReadOnlyCollection<TopicPartition> partitions)
    {
    }

    /// <summary>Another instance may own these users next: cached profiles could go stale, so drop them all.</summary>
    public void OnPartitionsRevoked(IReadOnlyCollection<TopicPartition> partitions)
    {
        lock (_gate)
        {
            _cache.Clear();
            _notReadyAttempts.Clear();
        }
    }

    [LoggerMessage(EventId = 3100, Level = LogLevel.Debug, Message = "Batch paused on an event whose item is not indexed yet: {Reason}")]
    private static partial void LogItemNotReady(ILogger logger, string reason);

    private sealed class CachedProfile(UserProfile profile)
    {
        public UserProfile Profile { get; } = profile;

        /// <summary>The profile version this process last published a notification for (-1: none).</summary>
        public long PublishedVersion { get; set; } = -1;
    }
}
