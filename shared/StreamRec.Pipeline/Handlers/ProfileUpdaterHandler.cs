using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Messaging;
using StreamRec.Observability;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.ItemSide;
using StreamRec.Pipeline.Options;
using StreamRec.Pipeline.Parking;

namespace StreamRec.Pipeline.Handlers;

/// <summary>
/// profile-updater: clicks and reviews → user profiles → users collection → streamrec.user-vectors.
/// </summary>
/// <remarks>
/// Order of effects per batch: apply events in order (skipping offsets a profile already applied), write every
/// changed profile (durable), publish one notification per changed user, and only then return, which lets the
/// consumer store the offsets. A crash anywhere before the return replays the batch; the replayed events are
/// skipped by the applied offsets saved with each profile, and their users are notified again, so the recommender
/// still publishes a list (at least once) while the state changes exactly once. What the applied clicks and reviews
/// add to items' co-engagement rows is saved with the state (the user's outbox) and published on streamrec.engagements
/// after it: a crash in between makes the replay publish the saved contributions again, each at its event's position,
/// never recomputed from a state that has moved on, and the item side recognises them by their source offsets
/// (<see cref="EngagementOutbox"/>, <see cref="CoEngagementHandler"/>).
/// </remarks>
public sealed partial class ProfileUpdaterHandler : IParkingBatchHandler
{

    private readonly ProfileEngine _engine;
    private readonly IEventPublisher _publisher;
    private readonly ProfileUpdaterOptions _options;
    private readonly ParseLimits _limits;
    private readonly ILogger<ProfileUpdaterHandler> _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly LruCache<string, CachedProfile> _cache;
    private readonly IDeadLetterSink _deadLetters;
    private readonly ParkingPolicy _policy;
    private readonly ParkingSchedule _schedule = new();
    private readonly CoEngagementOptions? _coEngagement;

    // Partitions assigned since the last retry round: their users with parked events are looked up in the store.
    private readonly HashSet<PartitionId> _toRecover = [];

    // "topic:partition" → when this process took it over: parked events' age bound counts from then at the earliest.
    private readonly Dictionary<string, DateTimeOffset> _ownedSince = new(StringComparer.Ordinal);

    public ProfileUpdaterHandler(
        ProfileEngine engine, IEventPublisher publisher, IDeadLetterSink deadLetters, ProfileUpdaterOptions options, ParseLimits limits,
        ILogger<ProfileUpdaterHandler> logger, TimeProvider time, CoEngagementOptions? coEngagement = null)
    {
        _coEngagement = options.PublishEngagements ? coEngagement : null;
        _engine = engine;
        _publisher = publisher;
        _deadLetters = deadLetters;
        _options = options;
        _policy = options.ParkingPolicy();
        _limits = limits;
        _logger = logger;
        _time = time;
        _cache = new LruCache<string, CachedProfile>(options.UserCacheSize, StringComparer.Ordinal);

        // Exported at 0 from the start, so dashboards read 0 rather than "no data" on a healthy run.
        StreamRecMetrics.ParkedEvents.WithLabels(Topics.UserEvents);
        StreamRecMetrics.DuplicateEvents.WithLabels(Topics.UserEvents);
        foreach (var outcome in new[] { StreamRecMetrics.ParkedOutcomes.Parked, StreamRecMetrics.ParkedOutcomes.Unparked, StreamRecMetrics.ParkedOutcomes.Expired, StreamRecMetrics.ParkedOutcomes.Dropped })
        {
            StreamRecMetrics.ParkedEventsTotal.WithLabels(Topics.UserEvents, outcome);
        }
    }

    public TimeSpan RetryInterval => _options.ParkedSweepInterval;

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
        try
        {
            var loadStarted = _time.GetTimestamp();
            var profiles = await ProfilesAsync(userIds, cancellationToken);
            StreamRecMetrics.StageDuration.WithLabels("load").Observe(_time.GetElapsedTime(loadStarted).TotalSeconds);
            return await ApplyAsync(batch, events, poison, profiles, cancellationToken);
        }
        catch (Exception)
        {
            // The in-memory profiles may hold changes that never reached the store: drop them so a retry reloads.
            Evict(userIds);
            throw;
        }
    }

    private async Task<IReadOnlyList<PoisonMessage>> ApplyAsync(
        IReadOnlyList<ConsumedMessage> batch, List<(int Index, PositionedEvent Event)> events, List<PoisonMessage> poison, Dictionary<string, CachedProfile> profiles, CancellationToken cancellationToken)
    {
        var stateStarted = _time.GetTimestamp();
        var context = await ParkingContextAsync(
            events.Select(e => ProfileEngine.ItemIdOf(e.Event.Event)).OfType<string>(), profiles.Values.Select(p => p.Profile), cancellationToken);
        var textVectors = await _engine.ReviewTextVectorsAsync(events.Select(e => e.Event).ToArray(), cancellationToken);

        var effects = new ParkingEffects();
        var outbox = NewOutbox();
        var saved = new HashSet<string>(StringComparer.Ordinal);
        var changed = new Dictionary<string, PositionedEvent>(StringComparer.Ordinal);
        var renotify = new Dictionary<string, PositionedEvent>(StringComparer.Ordinal);
        var forgotten = new HashSet<string>(StringComparer.Ordinal);
        for (var j = 0; j < events.Count; j++)
        {
            var (index, positioned) = events[j];
            var userId = positioned.Event.Key;
            var profile = profiles[userId].Profile;
            var unparkedBefore = effects.Unparked.Count;
            var engagementsBefore = effects.Engagements.Count;
            var message = batch[index];
            var result = _engine.Accept(profile, positioned, new ParkingSource(message.Key, message.Value), textVectors[j], context, effects);
            var partitionKey = UserProfile.OffsetKey(positioned.Topic, positioned.Partition);
            if (result.Outcome == ApplyOutcome.SkippedReplay)
            {
                outbox.Replayed(profile, partitionKey, positioned.Offset);
            }
            else
            {
                outbox.Processed(profile, partitionKey, positioned.Offset, effects.Engagements.Skip(engagementsBefore));
            }

            if (result.Outcome == ApplyOutcome.Forgotten)
            {
                forgotten.Add(userId);
            }

            if (effects.Unparked.Count > unparkedBefore)
            {
                changed[userId] = effects.Unparked[^1].Event;
            }

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
                case ApplyOutcome.Duplicate:
                    saved.Add(userId);
                    StreamRecMetrics.DuplicateEvents.WithLabels(positioned.Topic).Inc();
                    LogDuplicate(_logger, positioned.Event.EventId, positioned.Topic, positioned.Partition, positioned.Offset);
                    break;
                case ApplyOutcome.Parked:
                    saved.Add(userId);
                    StreamRecMetrics.ParkedEventsTotal.WithLabels(positioned.Topic, StreamRecMetrics.ParkedOutcomes.Parked).Inc();
                    LogParked(_logger, positioned.Event.EventId, positioned.Topic, positioned.Partition, positioned.Offset, profile.Parked[^1].Reason);
                    break;
                case ApplyOutcome.Rejected:
                    poison.Add(new PoisonMessage(index, result.Reason ?? DeadLetterCodes.InvalidValue));
                    break;
                case ApplyOutcome.ItemNotReady:
                    // Accept parks instead; kept for completeness.
                    break;
            }

            if (effects.Expired.Count > 0 || effects.Dropped.Count > 0)
            {
                saved.Add(userId);
            }
        }

        StreamRecMetrics.StageDuration.WithLabels("state").Observe(_time.GetElapsedTime(stateStarted).TotalSeconds);
        await FinishAsync(profiles, effects, outbox, saved, changed, renotify, retryRound: false, forgotten, cancellationToken);
        return poison;
    }

    /// <summary>
    /// The effects of a batch or a retry round, in the order that keeps them exactly-once: dead letters of expired parked
    /// events (acked) before the state that no longer holds them, the state (durable, with its engagement outbox) before
    /// the contributions to the item side and the notifications.
    /// A crash between the dead letter and the state write dead-letters that event again after the restart (at least once).
    /// A batch's contributions and notifications are sent again by its replay (<see cref="EngagementOutbox"/>); a retry round
    /// has no replay, so the users it changed carry a <see cref="PendingNotice"/> and their outbox entries in the same write,
    /// which the next owner finds if they never went out, and a second write clears them once they are out. Users a forget
    /// request erased get that second write too, so their engaged items do not linger in the outbox.
    /// </summary>
    private async Task FinishAsync(
        Dictionary<string, CachedProfile> profiles, ParkingEffects effects, EngagementOutbox outbox, HashSet<string> saved, Dictionary<string, PositionedEvent> changed,
        Dictionary<string, PositionedEvent> renotify, bool retryRound, IReadOnlySet<string> forgotten, CancellationToken cancellationToken)
    {
        foreach (var (entry, reason) in effects.Expired)
        {
            var message = new ConsumedMessage(entry.Topic, entry.Partition, entry.Offset, entry.Key, entry.Value, entry.ReceivedAt, []);
            await _deadLetters.PublishAsync(message, reason, DeadLetterKinds.Rejected, "profile-updater", cancellationToken);
            StreamRecMetrics.ParkedEventsTotal.WithLabels(entry.Topic, StreamRecMetrics.ParkedOutcomes.Expired).Inc();
        }

        foreach (var (entry, _) in effects.Unparked)
        {
            StreamRecMetrics.ParkedEventsTotal.WithLabels(entry.Topic, StreamRecMetrics.ParkedOutcomes.Unparked).Inc();
            StreamRecMetrics.EventsProcessed.WithLabels(entry.Topic, StreamRecMetrics.Outcomes.Ok).Inc();
        }

        foreach (var entry in effects.Dropped)
        {
            StreamRecMetrics.ParkedEventsTotal.WithLabels(entry.Topic, StreamRecMetrics.ParkedOutcomes.Dropped).Inc();
        }

        saved.UnionWith(changed.Keys);
        foreach (var (userId, trigger) in changed)
        {
            profiles[userId].Profile.PendingNotice = retryRound ? NoticeOf(trigger) : null;
        }

        // The item side's messages are built while the users are written (CPU beside the store's commit); they are
        // published only once the users, their outbox included, are durable (below).
        var engagementMessages = BuildEngagements(outbox);

        if (saved.Count > 0)
        {
            var storeStarted = _time.GetTimestamp();
            var toSave = saved.Select(id => profiles[id].Profile).ToArray();
            foreach (var profile in toSave)
            {
                outbox.WriteTo(profile);
            }

            await _engine.SaveAsync(toSave, cancellationToken);
            StreamRecMetrics.StageDuration.WithLabels("store").Observe(_time.GetElapsedTime(storeStarted).TotalSeconds);
            StreamRecMetrics.UsersUpdated.Inc(changed.Count);
        }

        // The engagements and the notifications go out side by side (different topics and readers; the users, their
        // outbox included, are durable already), so a list does not wait for the item side's messages to be acked.
        var engagementsSent = SendEngagementsAsync(engagementMessages, cancellationToken);

        foreach (var id in saved)
        {
            Schedule(profiles[id].Profile);
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

        var notified = changed.Count > 0
            ? NotifyAsync([.. changed.Select(kv => Notification(profiles[kv.Key].Profile, NoticeOf(kv.Value)))], cancellationToken)
            : Task.CompletedTask;
        await Task.WhenAll(engagementsSent, notified);
        var clear = Cleared(outbox, profiles.Values.Select(p => p.Profile));
        clear.RemoveAll(p => !retryRound && !forgotten.Contains(p.UserId));
        if (changed.Count > 0)
        {
            foreach (var userId in changed.Keys)
            {
                profiles[userId].PublishedVersion = profiles[userId].Profile.Version;
                // Out now: the stored copy keeps the notice until the user's next write (a restart before it notifies once more).
                profiles[userId].Profile.PendingNotice = null;
            }
        }

        if (clear.Count > 0)
        {
            await _engine.SaveAsync(clear, cancellationToken);
        }
    }

    private EngagementOutbox NewOutbox() => new(enabled: _coEngagement is not null);

    /// <summary>Publishes the outbox's entries to the item side and drops them from the in-memory outboxes of
    /// <paramref name="profiles"/>; returns the profiles whose outbox changed.</summary>
    private async Task<List<UserProfile>> PublishEngagementsAsync(EngagementOutbox outbox, IEnumerable<UserProfile> profiles, CancellationToken cancellationToken)
    {
        await SendEngagementsAsync(BuildEngagements(outbox), cancellationToken);
        return Cleared(outbox, profiles);
    }

    /// <summary>Publishes the user-vector notifications; the <c>notify</c> stage is their own time, not the engagements'
    /// beside them.</summary>
    private async Task NotifyAsync(OutgoingMessage[] notifications, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        await _publisher.PublishAsync(notifications, cancellationToken);
        StreamRecMetrics.StageDuration.WithLabels("notify").Observe(_time.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>The messages of the outbox's entries, built on the thread pool, and how long building took (null when
    /// there is nothing to send). The entries' engagements are snapshots taken when they were applied: nothing changes
    /// them while the messages are built.</summary>
    private Task<(IReadOnlyList<OutgoingMessage> Messages, TimeSpan Took)>? BuildEngagements(EngagementOutbox outbox)
    {
        if (_coEngagement is not { } options || outbox.Outgoing.Count == 0)
        {
            return null;
        }

        AppliedEngagement[] engagements = [.. outbox.Outgoing.Select(e => e.Engagement)];
        var now = _time.GetUtcNow();
        return Task.Run(() =>
        {
            var started = _time.GetTimestamp();
            var messages = EngagementMessage.For(engagements, options, now);
            return (messages, _time.GetElapsedTime(started));
        });
    }

    /// <summary>Publishes the built messages; the <c>engagements</c> stage is their building and their publishing to the
    /// acks (not the users' write the building ran beside).</summary>
    private async Task SendEngagementsAsync(Task<(IReadOnlyList<OutgoingMessage> Messages, TimeSpan Took)>? built, CancellationToken cancellationToken)
    {
        if (built is null)
        {
            return;
        }

        var (messages, took) = await built;
        var started = _time.GetTimestamp();
        await _publisher.PublishAsync(messages, cancellationToken);
        StreamRecMetrics.StageDuration.WithLabels("engagements").Observe((took + _time.GetElapsedTime(started)).TotalSeconds);
    }

    /// <summary>The users whose outbox entries are out now (removed from their outbox): written again when a retry round
    /// or a forget made them.</summary>
    private List<UserProfile> Cleared(EngagementOutbox outbox, IEnumerable<UserProfile> profiles) =>
        _coEngagement is null || outbox.Outgoing.Count == 0 ? [] : [.. profiles.Where(outbox.Published)];

    /// <summary>
    /// One retry round: users of newly assigned partitions whose state holds parked events are found in the store,
    /// then every user whose retry is due is retried (a scheduled attempt), applied, dead-lettered or left waiting.
    /// </summary>
    public async Task RetryParkedAsync(IReadOnlyCollection<PartitionId> owned, int maxKeys, CancellationToken cancellationToken)
    {
        PartitionId[] recover;
        lock (_gate)
        {
            recover = [.. _toRecover];
            _toRecover.Clear();
        }

        try
        {
            foreach (var tp in recover)
            {
                await RecoverParkedAsync(tp, cancellationToken);
            }
        }
        catch (Exception)
        {
            lock (_gate)
            {
                _toRecover.UnionWith(recover);
            }

            throw;
        }

        var ownedKeys = owned.Select(tp => UserProfile.OffsetKey(tp.Topic, tp.Partition)).ToHashSet(StringComparer.Ordinal);
        var now = _time.GetUtcNow();
        var due = _schedule.Due(now, ownedKeys.Contains, maxKeys);
        if (due.Count == 0)
        {
            return;
        }

        try
        {
            var profiles = await ProfilesAsync([.. due], cancellationToken);
            var context = await ParkingContextAsync([], profiles.Values.Select(p => p.Profile), cancellationToken);
            var effects = new ParkingEffects();
            var outbox = NewOutbox();
            var saved = new HashSet<string>(StringComparer.Ordinal);
            var changed = new Dictionary<string, PositionedEvent>(StringComparer.Ordinal);
            foreach (var id in due)
            {
                var profile = profiles[id].Profile;
                var (unparked, expired, attempts) = (effects.Unparked.Count, effects.Expired.Count, effects.AttemptCounted);
                var engagementsBefore = effects.Engagements.Count;
                effects.AttemptCounted = false;
                _engine.Drain(profile, context, effects, scheduled: true);
                outbox.RetryRound(profile);
                outbox.Processed(profile, null, 0, effects.Engagements.Skip(engagementsBefore));
                if (effects.Unparked.Count > unparked)
                {
                    changed[id] = effects.Unparked[^1].Event;
                }

                if (effects.Unparked.Count > unparked || effects.Expired.Count > expired || effects.AttemptCounted)
                {
                    saved.Add(id);
                }
                else
                {
                    // Nothing to do yet (retried early because the schedule was rebuilt): just reschedule.
                    Schedule(profile);
                }

                effects.AttemptCounted |= attempts;
            }

            await FinishAsync(profiles, effects, outbox, saved, changed, [], retryRound: true, new HashSet<string>(), cancellationToken);
        }
        catch (Exception)
        {
            Evict(due);
            throw;
        }
    }

    /// <summary>
    /// Finds the users of a newly owned partition whose state holds parked events, and schedules them (the store is the
    /// truth; the schedule is only an index), and publishes again what their last retry round may not have sent (its
    /// engagement outbox entries and its notification, <see cref="PendingNotice"/>), clearing both afterwards.
    /// </summary>
    private async Task RecoverParkedAsync(PartitionId tp, CancellationToken cancellationToken)
    {
        var key = UserProfile.OffsetKey(tp.Topic, tp.Partition);
        var found = await _engine.UsersWithParkedEventsAsync(key, cancellationToken);
        var pending = new List<UserProfile>();
        var outbox = NewOutbox();
        var recovered = new List<UserProfile>();
        foreach (var stored in found)
        {
            UserProfile profile;
            lock (_gate)
            {
                // A cached copy is at least as new as the store's (a batch may have loaded it since the assignment).
                if (_cache.TryGet(stored.UserId, out var cached))
                {
                    profile = cached.Profile;
                }
                else
                {
                    _cache.Set(stored.UserId, new CachedProfile(stored));
                    profile = stored;
                }
            }

            Schedule(profile);
            if (profile.PendingNotice?.PartitionKey == key)
            {
                pending.Add(profile);
            }

            if (profile.Outbox.Any(e => e.TriggerKey is null && e.RecoveryKey == key))
            {
                outbox.RetryRound(profile);
                recovered.Add(profile);
            }
        }

        if (found.Count > 0)
        {
            LogRecovered(_logger, found.Count, key);
        }

        var cleared = await PublishEngagementsAsync(outbox, recovered, cancellationToken);
        if (pending.Count > 0)
        {
            await _publisher.PublishAsync([.. pending.Select(p => Notification(p, p.PendingNotice!))], cancellationToken);
            foreach (var profile in pending)
            {
                profile.PendingNotice = null;
            }
        }

        var toSave = pending.Concat(cleared).Distinct().ToArray();
        if (toSave.Length > 0)
        {
            await _engine.SaveAsync(toSave, cancellationToken);
        }
    }

    private async Task<ParkingContext> ParkingContextAsync(IEnumerable<string> eventItemIds, IEnumerable<UserProfile> profiles, CancellationToken cancellationToken)
    {
        var profileList = profiles.ToArray();
        var itemIds = eventItemIds.Concat(profileList.SelectMany(ProfileEngine.ParkedItemIds)).Distinct(StringComparer.Ordinal).ToArray();
        var itemVectors = await _engine.ItemVectorsAsync(itemIds, cancellationToken);
        var parkedTexts = await _engine.ParkedTextVectorsAsync(profileList, itemVectors, cancellationToken);
        return new ParkingContext(itemVectors, parkedTexts, _policy, _time.GetUtcNow(), OwnedSince());
    }

    /// <summary>Brings the schedule (and the parked-events gauge) in line with the user's parked events.</summary>
    private void Schedule(UserProfile profile)
    {
        if (profile.Parked.Count == 0)
        {
            _schedule.Remove(profile.UserId);
        }
        else
        {
            var counts = profile.Parked.GroupBy(p => p.PartitionKey, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var head = profile.Parked[0];
            // Retried at the head's next attempt, or when it would expire by age, whichever comes first.
            DateTimeOffset? since;
            lock (_gate)
            {
                since = _ownedSince.TryGetValue(head.PartitionKey, out var at) ? at : null;
            }

            var expires = ParkingContext.WaitingSince(head, since) + _policy.MaxAge;
            var due = head.NextAttemptAt < expires ? head.NextAttemptAt : expires;
            _schedule.Set(profile.UserId, due, counts);
        }

        UpdateGauge();
    }

    private void UpdateGauge()
    {
        // Every partition this handler owns is one of the user-events topic's.
        StreamRecMetrics.ParkedEvents.WithLabels(Topics.UserEvents).Set(_schedule.CountsByPartition().Values.Sum());
    }

    public long ParkedCount(PartitionId partition) => _schedule.CountIn(UserProfile.OffsetKey(partition.Topic, partition.Partition));

    private void Evict(IEnumerable<string> userIds)
    {
        lock (_gate)
        {
            foreach (var id in userIds)
            {
                _cache.Remove(id);
            }
        }
    }

    private async Task<Dictionary<string, CachedProfile>> ProfilesAsync(string[] userIds, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, CachedProfile>(userIds.Length, StringComparer.Ordinal);
        List<string> missing;
        lock (_gate)
        {
            missing = _cache.Lookup(userIds, result);
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

            // Whatever brought them here, loaded users with parked events are retried on schedule: the scan of a newly
            // owned partition finds them too, but a batch may load them first.
            foreach (var profile in loaded.Values.Where(p => p.Parked.Count > 0))
            {
                Schedule(profile);
            }
        }

        return result;
    }

    private static PendingNotice NoticeOf(PositionedEvent trigger) =>
        new(trigger.Event.EventId, trigger.Topic, trigger.Partition, trigger.Offset, trigger.Event.OccurredAt, trigger.ReceivedAt);

    private static OutgoingMessage Notification(UserProfile profile, PendingNotice trigger)
    {
        var message = new UserVectorUpdated
        {
            EventId = "uv-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{profile.UserId}\n{profile.Version}\n{trigger.EventId}")).AsSpan(0, 12)),
            OccurredAt = trigger.OccurredAt,
            UserId = profile.UserId,
            Version = profile.Version,
            Forgotten = profile.Forgotten,
            Trigger = new TriggerRef
            {
                EventId = trigger.EventId,
                OccurredAt = trigger.OccurredAt,
                ReceivedAt = trigger.ReceivedAt,
                Topic = trigger.Topic,
                Partition = trigger.Partition,
                Offset = trigger.Offset,
            },
        };
        return new OutgoingMessage(Topics.UserVectors, profile.UserId, EventParser.Serialize(message));
    }

    private static bool Belongs(IStreamRecEvent e, string topic) => e switch
    {
        Click or Review or UserForget => topic == Topics.UserEvents,
        _ => false,
    };

    /// <summary>The users of new partitions may hold parked events: the next retry round looks them up.</summary>
    public void OnPartitionsAssigned(IReadOnlyCollection<PartitionId> partitions)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            _toRecover.UnionWith(partitions);
            foreach (var tp in partitions)
            {
                _ownedSince[UserProfile.OffsetKey(tp.Topic, tp.Partition)] = now;
            }
        }
    }

    private Dictionary<string, DateTimeOffset> OwnedSince()
    {
        lock (_gate)
        {
            return new Dictionary<string, DateTimeOffset>(_ownedSince, StringComparer.Ordinal);
        }
    }

    /// <summary>Another instance may own these users next: cached profiles could go stale, so drop them all.</summary>
    public void OnPartitionsRevoked(IReadOnlyCollection<PartitionId> partitions)
    {
        lock (_gate)
        {
            _cache.Clear();
            _toRecover.ExceptWith(partitions);
            foreach (var tp in partitions)
            {
                _ownedSince.Remove(UserProfile.OffsetKey(tp.Topic, tp.Partition));
            }
        }

        _schedule.ForgetPartitions([.. partitions.Select(tp => UserProfile.OffsetKey(tp.Topic, tp.Partition))]);
        UpdateGauge();
    }

    [LoggerMessage(EventId = 3300, Level = LogLevel.Debug, Message = "Parked event {EventId} ({Topic}[{Partition}]@{Offset}): {Reason}; the partition moves on")]
    private static partial void LogParked(ILogger logger, string eventId, string topic, int partition, long offset, string reason);

    [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Duplicate event {EventId} ({Topic}[{Partition}]@{Offset}) ignored: its event_id is among the user's recent events")]
    private static partial void LogDuplicate(ILogger logger, string eventId, string topic, int partition, long offset);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Information, Message = "Found {Count} users with parked events in newly assigned {Partition}")]
    private static partial void LogRecovered(ILogger logger, int count, string partition);

    private sealed class CachedProfile(UserProfile profile)
    {
        public UserProfile Profile { get; } = profile;

        /// <summary>The profile version this process last published a notification for (-1: none).</summary>
        public long PublishedVersion { get; set; } = -1;
    }
}
