using System.Text.Json.Nodes;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Observability;
using StreamRec.Pipeline.Parking;
using StreamRec.Ports;

namespace StreamRec.Pipeline.Engines;

/// <summary>An event with where it came from. Offsets make replays detectable; ReceivedAt is the Kafka timestamp.</summary>
public sealed record PositionedEvent(IStreamRecEvent Event, string Topic, int Partition, long Offset, DateTimeOffset ReceivedAt);

/// <summary>Where a parked event's original bytes come from (kept so an expired one is dead-lettered unchanged).</summary>
/// <param name="Key">The message key as received.</param>
/// <param name="Value">The message value as received.</param>
public readonly record struct ParkingSource(string? Key, byte[] Value);

/// <summary>What parking decisions need: the item vectors known now, the texts of parked reviews about to be applied, the rules and the clock.</summary>
/// <param name="OwnedSince">"topic:partition" → when this process took the partition over (absent: since before anything was parked).</param>
public sealed record ParkingContext(
    IReadOnlyDictionary<string, float[]> ItemVectors, IReadOnlyDictionary<ParkedEvent, float[]> ParkedTextVectors, ParkingPolicy Policy, DateTimeOffset Now,
    IReadOnlyDictionary<string, DateTimeOffset>? OwnedSince = null)
{
    /// <summary>When <paramref name="entry"/>'s wait started for the age bound: when it was parked, or when this process
    /// took its partition over if that is later. An outage (nobody indexing its item, nobody retrying it) does not use up the wait.</summary>
    public DateTimeOffset WaitingSince(ParkedEvent entry) =>
        WaitingSince(entry, OwnedSince is not null && OwnedSince.TryGetValue(entry.PartitionKey, out var since) ? since : null);

    /// <inheritdoc cref="WaitingSince(ParkedEvent)"/>
    /// <param name="entry">The parked event.</param>
    /// <param name="ownedSince">When this process took <paramref name="entry"/>'s partition over (null: unknown, before the parking).</param>
    public static DateTimeOffset WaitingSince(ParkedEvent entry, DateTimeOffset? ownedSince) =>
        ownedSince > entry.ParkedAt ? ownedSince.Value : entry.ParkedAt;
}

/// <summary>What parking did beyond the profiles: collected over a batch or a retry round.</summary>
public sealed class ParkingEffects
{
    /// <summary>Parked events applied now, with the event to name as a list's trigger.</summary>
    public List<(ParkedEvent Entry, PositionedEvent Event)> Unparked { get; } = [];

    /// <summary>Parked events to dead-letter, with the reason.</summary>
    public List<(ParkedEvent Entry, string Reason)> Expired { get; } = [];

    /// <summary>Parked events discarded by a forget request.</summary>
    public List<ParkedEvent> Dropped { get; } = [];

    /// <summary>True when a scheduled retry counted an attempt (the state changed even if nothing was applied).</summary>
    public bool AttemptCounted { get; set; }

    /// <summary>Engagements applied (clicks and reviews), in the order they were applied, with the user's sequence
    /// before each: what the item side learns co-engagement from. Empty unless the engine records them.</summary>
    public List<AppliedEngagement> Engagements { get; } = [];
}

/// <summary>
/// Applies clicks, reviews and forget requests to user profiles, and loads and saves profiles in the users
/// collection. Kafka-free: the profile-updater's handler and the offline evaluation share it.
/// </summary>
public sealed class ProfileEngine
{
    private readonly IVectorStore _store;
    private readonly ITextEncoder _encoder;
    private readonly ProfileOptions _options;
    private readonly TimeProvider _time;

    private readonly int _engagementHistory;

    /// <param name="coEngagement">When given, applied engagements are recorded in <see cref="ParkingEffects.Engagements"/>
    /// with the user's last <see cref="CoEngagementOptions.HistorySize"/> items, for the item side.</param>
    public ProfileEngine(IVectorStore store, ITextEncoder encoder, ProfileOptions options, TimeProvider time, CoEngagementOptions? coEngagement = null)
    {
        _store = store;
        _encoder = encoder;
        _options = options;
        _time = time;
        _engagementHistory = coEngagement?.HistorySize ?? 0;
    }

    public ProfileOptions Options => _options;

    public int Dimension => _encoder.Dimension;

    public Task EnsureCollectionAsync(CancellationToken cancellationToken) =>
        _store.EnsureCollectionAsync(Collections.UsersSpec(_encoder.Dimension, _options.UsersOnDisk), cancellationToken);

    /// <summary>Loads the profiles of <paramref name="userIds"/>; users with no stored state get a new, empty profile.</summary>
    public async Task<Dictionary<string, UserProfile>> LoadAsync(IReadOnlyCollection<string> userIds, CancellationToken cancellationToken)
    {
        // Loaded profiles go to the profile updater's cache: their recent items share one string per item id.
        var result = await ProfileCodec.ReadAsync(_store, userIds, cancellationToken, shareItemIds: true);
        foreach (var id in userIds)
        {
            if (!result.TryGetValue(id, out var stored) || stored.Dimension != _encoder.Dimension)
            {
                result[id] = new UserProfile(id, _encoder.Dimension);
            }
        }

        return result;
    }

    /// <summary>
    /// The stored users with events parked from partition <paramref name="partitionKey"/> ("topic:partition"), or with a
    /// pending notice from it: what a new owner of the partition must keep retrying or notify again. A filter-only scroll on the indexed payload field <c>parked_in</c>, read
    /// page by page to the end (no query vector: a user whose only events are parked has all-zero vectors).
    /// </summary>
    public Task<IReadOnlyList<UserProfile>> UsersWithParkedEventsAsync(string partitionKey, CancellationToken cancellationToken) =>
        UsersWithParkedEventsAsync(partitionKey, 1_000, cancellationToken);

    /// <inheritdoc cref="UsersWithParkedEventsAsync(string, CancellationToken)"/>
    /// <param name="partitionKey">"topic:partition".</param>
    /// <param name="pageSize">Users per scroll page.</param>
    /// <param name="cancellationToken">Cancels the scan.</param>
    public async Task<IReadOnlyList<UserProfile>> UsersWithParkedEventsAsync(string partitionKey, int pageSize, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, UserProfile>(StringComparer.Ordinal);
        var filter = new VectorFilter { Must = [MatchCondition.Of(UserFields.ParkedIn, partitionKey)] };
        string? cursor = null;
        do
        {
            var page = await _store.ScrollAsync(Collections.Users, new ScrollRequest(pageSize, filter, cursor, WithVectors: true, WithPayload: true), cancellationToken);
            foreach (var point in page.Points)
            {
                found[point.Id] = ProfileCodec.Decode(point, _encoder.Dimension);
            }

            cursor = page.Next;
        }
        while (cursor is not null);

        return [.. found.Values];
    }

    /// <summary>Writes the profiles (durable on return).</summary>
    public Task SaveAsync(IReadOnlyCollection<UserProfile> profiles, CancellationToken cancellationToken) =>
        profiles.Count == 0
            ? Task.CompletedTask
            : _store.UpsertAsync(Collections.Users, profiles.Select(ProfileCodec.Encode).ToArray(), cancellationToken);

    /// <summary>Item vectors for the ids that are indexed and not tombstones. Retired items still count: a click on one still says something about the user.</summary>
    public async Task<Dictionary<string, float[]>> ItemVectorsAsync(IReadOnlyCollection<string> itemIds, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, float[]>(itemIds.Count, StringComparer.Ordinal);
        if (itemIds.Count == 0)
        {
            return result;
        }

        var points = await _store.GetAsync(Collections.Items, itemIds.ToArray(), withVectors: true, withPayload: true, cancellationToken);
        foreach (var p in points)
        {
            var tombstone = p.Payload?[ItemFields.Tombstone] is JsonValue t && t.TryGetValue<bool>(out var isTombstone) && isTombstone;
            if (!tombstone && p.Vectors.TryGetValue(Collections.ItemVector, out var v))
            {
                result[p.Id] = v;
            }
        }

        return result;
    }

    /// <summary>Encodes the review texts of a batch in one encoder call; result[i] is null where event i has no text.</summary>
    public async Task<float[]?[]> ReviewTextVectorsAsync(IReadOnlyList<PositionedEvent> events, CancellationToken cancellationToken)
    {
        var result = new float[]?[events.Count];
        var indexes = new List<int>();
        var texts = new List<string>();
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].Event is Review { Text: { } text } && !string.IsNullOrWhiteSpace(text))
            {
                indexes.Add(i);
                texts.Add(text);
            }
        }

        if (texts.Count > 0)
        {
            var started = _time.GetTimestamp();
            var vectors = await _encoder.EncodeAsync(texts, cancellationToken);
            StreamRecMetrics.StageDuration.WithLabels("encode").Observe(_time.GetElapsedTime(started).TotalSeconds);
            for (var j = 0; j < indexes.Count; j++)
            {
                result[indexes[j]] = vectors[j];
            }
        }

        return result;
    }

    /// <summary>
    /// Applies one event to its user's profile. Pure apart from reading the clock for the future-skew check:
    /// the caller supplies the item's vector (null when not indexed) and the review text's vector.
    /// Does not park: <see cref="Accept"/> does, around this.
    /// </summary>
    public ApplyResult Apply(UserProfile profile, PositionedEvent positioned, float[]? itemVector, float[]? textVector) =>
        ApplyRecorded(profile, positioned, itemVector, textVector, effects: null);

    private ApplyResult ApplyRecorded(UserProfile profile, PositionedEvent positioned, float[]? itemVector, float[]? textVector, ParkingEffects? effects)
    {
        var e = positioned.Event;
        if (profile.HasApplied(positioned.Topic, positioned.Partition, positioned.Offset))
        {
            return new ApplyResult(ApplyOutcome.SkippedReplay);
        }

        if (FutureSkew(e) is { } tooFar)
        {
            return new ApplyResult(ApplyOutcome.Rejected, tooFar);
        }

        if (profile.HasSeenEvent(e.EventId))
        {
            // The offset is recorded so a replay of this offset is a replay, not a second duplicate.
            profile.MarkApplied(positioned.Topic, positioned.Partition, positioned.Offset);
            return new ApplyResult(ApplyOutcome.Duplicate);
        }

        var history = HistoryFor(profile, effects);
        var result = ProfileUpdate.Apply(profile, e, positioned.Topic, itemVector, textVector, _options);
        Record(effects, profile, history, e, result, positioned.Topic, positioned.Partition, positioned.Offset, retried: false);
        if (result.Outcome is ApplyOutcome.Applied or ApplyOutcome.Forgotten)
        {
            profile.MarkApplied(positioned.Topic, positioned.Partition, positioned.Offset);
            profile.RememberEvent(e.EventId, _options.DuplicateWindow);
        }

        return result;
    }

    /// <summary>The dead-letter reason when <paramref name="e"/> is stamped further ahead of the processing clock than
    /// <see cref="ProfileOptions.MaxFutureSkew"/>; null otherwise.</summary>
    public string? FutureSkew(IStreamRecEvent e) => FutureSkewReason(e, _time.GetUtcNow(), _options.MaxFutureSkew);

    /// <summary>Shared with the item-indexer: the one wording of the future-skew reason.</summary>
    public static string? FutureSkewReason(IStreamRecEvent e, DateTimeOffset now, TimeSpan maxSkew) =>
        e.OccurredAt > now + maxSkew
            ? $"{DeadLetterCodes.FutureTimestamp}: occurred_at {e.OccurredAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'} is more than {Describe(maxSkew)} ahead of the processing clock"
            : null;

    private static string Describe(TimeSpan span) =>
        span.TotalDays >= 1 && span.Ticks % TimeSpan.TicksPerDay == 0 ? $"{span.TotalDays:0} day(s)"
        : span.TotalHours >= 1 && span.Ticks % TimeSpan.TicksPerHour == 0 ? $"{span.TotalHours:0} hour(s)"
        : $"{span.TotalSeconds:0.###} s";

    /// <summary>
    /// Accepts one consumed user event: like <see cref="Apply"/>, but an event that cannot be applied yet is parked in the
    /// user's state instead of failing, and while anything is parked the user's later events queue behind it (forget
    /// requests excepted: they drop what is parked and apply at once). Parked events that became applicable are applied
    /// first, oldest first. Effects beyond the profile (what to dead-letter, what was applied late) go to <paramref name="effects"/>.
    /// </summary>
    public ApplyResult Accept(UserProfile profile, PositionedEvent positioned, ParkingSource source, float[]? textVector, ParkingContext context, ParkingEffects effects)
    {
        var e = positioned.Event;
        if (profile.HasApplied(positioned.Topic, positioned.Partition, positioned.Offset))
        {
            return new ApplyResult(ApplyOutcome.SkippedReplay);
        }

        if (e is UserForget && profile.Parked.Count > 0)
        {
            // A forget erases everything learned about the user; what waits is part of that.
            foreach (var dropped in profile.Parked)
            {
                effects.Dropped.Add(dropped);
            }

            profile.Parked.Clear();
        }

        if (profile.Parked.Count > 0)
        {
            Drain(profile, context, effects, scheduled: false);
        }

        var itemId = ItemIdOf(e);
        var itemVector = itemId is null ? null : context.ItemVectors.GetValueOrDefault(itemId);
        if (profile.Parked.Count == 0 || FutureSkew(e) is not null || profile.HasSeenEvent(e.EventId))
        {
            var result = ApplyRecorded(profile, positioned, itemVector, textVector, effects);
            if (result.Outcome != ApplyOutcome.ItemNotReady)
            {
                return result;
            }
        }

        if (profile.Parked.Count >= context.Policy.MaxPerKey)
        {
            // Full: the oldest goes to the dead-letter topic now, so one user's backlog stays bounded; what it held up may follow.
            var head = profile.Parked[0];
            profile.Parked.RemoveAt(0);
            effects.Expired.Add((head, $"{DeadLetterCodes.ItemNotIndexed}: item '{head.ItemId}' is not indexed; dead-lettered early because {profile.Parked.Count + 1} events of this user were waiting (limit {context.Policy.MaxPerKey})"));
            Drain(profile, context, effects, scheduled: false);
            if (profile.Parked.Count == 0)
            {
                var retried = ApplyRecorded(profile, positioned, itemVector, textVector, effects);
                if (retried.Outcome != ApplyOutcome.ItemNotReady)
                {
                    return retried;
                }
            }
        }

        var waiting = profile.Parked.Count > 0 ? profile.Parked[0] : null;
        profile.Parked.Add(new ParkedEvent
        {
            Topic = positioned.Topic,
            Partition = positioned.Partition,
            Offset = positioned.Offset,
            Key = source.Key,
            Value = source.Value,
            ItemId = itemId ?? "",
            EventId = e.EventId,
            ReceivedAt = positioned.ReceivedAt,
            ParkedAt = context.Now,
            NextAttemptAt = context.Policy.FirstAttemptAt(context.Now),
            Reason = waiting is null ? $"item '{itemId}' is not indexed yet" : $"waits behind event '{waiting.EventId}'",
        });
        profile.MarkApplied(positioned.Topic, positioned.Partition, positioned.Offset);
        profile.RememberEvent(e.EventId, _options.DuplicateWindow);
        return new ApplyResult(ApplyOutcome.Parked);
    }

    /// <summary>
    /// Applies the user's parked events that became applicable, oldest first, stopping at the first that still waits.
    /// A head that exceeded the policy's age or (on a <paramref name="scheduled"/> retry, which counts an attempt when it is
    /// due) its attempts is dead-lettered and the next one is tried.
    /// </summary>
    public void Drain(UserProfile profile, ParkingContext context, ParkingEffects effects, bool scheduled)
    {
        while (profile.Parked.Count > 0)
        {
            var head = profile.Parked[0];
            var parsed = EventParser.Parse(head.Value, Reparse);
            if (parsed.Event is not (Click or Review))
            {
                profile.Parked.RemoveAt(0);
                effects.Expired.Add((head, parsed.Error?.ToString() ?? $"{DeadLetterCodes.WrongTopic}: only clicks and reviews wait for their item"));
                continue;
            }

            var e = parsed.Event;
            if (context.ItemVectors.GetValueOrDefault(head.ItemId) is { } itemVector)
            {
                profile.Parked.RemoveAt(0);
                var history = HistoryFor(profile, effects);
                var result = ProfileUpdate.Apply(profile, e, head.Topic, itemVector, context.ParkedTextVectors.GetValueOrDefault(head), _options);
                Record(effects, profile, history, e, result, head.Topic, head.Partition, head.Offset, retried: true);
                if (result.Outcome == ApplyOutcome.Applied)
                {
                    effects.Unparked.Add((head, new PositionedEvent(e, head.Topic, head.Partition, head.Offset, head.ReceivedAt)));
                }

                continue;
            }

            head.Reason = $"item '{head.ItemId}' is not indexed yet";
            if (scheduled && context.Now >= head.NextAttemptAt)
            {
                head.Attempts++;
                head.NextAttemptAt = context.Policy.NextAttemptAt(context.Now, head.Attempts);
                effects.AttemptCounted = true;
            }

            if (context.Policy.ExpiryReason(context.WaitingSince(head), head.Attempts, context.Now) is { } why)
            {
                profile.Parked.RemoveAt(0);
                effects.Expired.Add((head, $"{DeadLetterCodes.ItemNotIndexed}: item '{head.ItemId}' is not indexed {why}"));
                continue;
            }

            return;
        }
    }

    /// <summary>The user's last items before an event, when engagements are recorded.</summary>
    private string[]? HistoryFor(UserProfile profile, ParkingEffects? effects)
    {
        if (effects is null || _engagementHistory == 0)
        {
            return null;
        }

        var recent = profile.RecentItems;
        var count = Math.Min(recent.Count, _engagementHistory);
        return recent.GetRange(recent.Count - count, count).ToArray();
    }

    private static void Record(ParkingEffects? effects, UserProfile profile, string[]? history, IStreamRecEvent e, ApplyResult result, string topic, int partition, long offset, bool retried)
    {
        if (effects is not null && history is not null && result.Outcome == ApplyOutcome.Applied && ItemIdOf(e) is { } itemId)
        {
            effects.Engagements.Add(new AppliedEngagement(itemId, history, topic, partition, offset, retried, profile.NotPositiveAmong(history, itemId)));
        }
    }

    /// <summary>Item ids the user's parked events wait for.</summary>
    public static IEnumerable<string> ParkedItemIds(UserProfile profile) => profile.Parked.Select(p => p.ItemId);

    /// <summary>Encodes the texts of parked reviews whose item is now indexed (they are about to be applied).</summary>
    public async Task<Dictionary<ParkedEvent, float[]>> ParkedTextVectorsAsync(IEnumerable<UserProfile> profiles, IReadOnlyDictionary<string, float[]> itemVectors, CancellationToken cancellationToken)
    {
        var result = new Dictionary<ParkedEvent, float[]>(ReferenceEqualityComparer.Instance);
        var entries = new List<ParkedEvent>();
        var texts = new List<string>();
        foreach (var p in profiles.SelectMany(p => p.Parked).Where(p => itemVectors.ContainsKey(p.ItemId)))
        {
            if (EventParser.Parse(p.Value, Reparse).Event is Review { Text: { } text } && !string.IsNullOrWhiteSpace(text))
            {
                entries.Add(p);
                texts.Add(text);
            }
        }

        if (texts.Count > 0)
        {
            var vectors = await _encoder.EncodeAsync(texts, cancellationToken);
            for (var i = 0; i < entries.Count; i++)
            {
                result[entries[i]] = vectors[i];
            }
        }

        return result;
    }

    /// <summary>Changes the profile by one event whose offset the caller records (or recorded when it parked it).</summary>
    // Parked events passed the configured limits when they arrived; re-reading them must not depend on a limit changed since.
    private static readonly ParseLimits Reparse = new()
    {
        MaxMessageBytes = int.MaxValue,
        MaxIdLength = int.MaxValue,
        MaxTitleLength = int.MaxValue,
        MaxTextLength = int.MaxValue,
        MaxTags = int.MaxValue,
    };

    /// <summary>The item id a user event refers to, if any.</summary>
    public static string? ItemIdOf(IStreamRecEvent e) => e switch
    {
        Click c => c.ItemId,
        Review r => r.ItemId,
        _ => null,
    };
}
