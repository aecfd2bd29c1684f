using System.Globalization;
using Confluent.Kafka;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.ItemSide;
using StreamRec.Ports;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.Chaos;

/// <summary>What a crash or chaos run left behind, measured against the same input applied once, in order, without faults.</summary>
/// <param name="EventsIn">Clicks and reviews in the input topics.</param>
/// <param name="Applied">Events whose effect is in the stored user state (counted once).</param>
/// <param name="Lost">Events of the input missing from the stored state.</param>
/// <param name="AppliedTwice">Events applied more than once.</param>
/// <param name="DivergedUsers">Users whose stored state differs from the reference in any bit (vectors, version, offsets, recent items, counts).</param>
/// <param name="ExpectedRejected">Events the reference itself refuses (they belong in the dead-letter topic).</param>
/// <param name="DeadLettered">Messages in streamrec.dlq.</param>
/// <param name="UsersWithoutList">Users with applied events but no list on streamrec.recommendations.</param>
/// <param name="Uncommitted">Σ (high watermark − committed offset) over the three service groups.</param>
/// <param name="Problems">The first differences found, for the failure message.</param>
/// <param name="LateEvents">Events on items published after them (the caller names those items).</param>
/// <param name="LateAppliedOnce">Late events the reference applies (their item is indexed now) whose user's stored state equals the reference bit for bit: applied exactly once.</param>
/// <param name="NeverComing">Events on items that are still not indexed: the service must dead-letter them (<c>ItemNotIndexed</c>) and never apply them.</param>
/// <param name="NeverDeadLettered">Never-coming events found in streamrec.dlq with an <c>ItemNotIndexed</c> reason (by source topic, partition and offset).</param>
/// <param name="NeverDeadLetteredRepeats">Extra copies of those dead letters: a dead letter is at least once (a crash between its produce and the
/// state write sends it again); consumers of the dead-letter topic deduplicate by the source headers.</param>
/// <param name="NeverNotApplied">Never-coming events whose user's stored state equals the reference, which does not apply them.</param>
/// <param name="ItemRows">Items whose co-engagement row the reference expects (0 when the run had no item side: nothing on streamrec.engagements).</param>
/// <param name="DivergedItemRows">Of those (and of stored rows the reference does not expect), rows that differ: from the
/// engagements log applied once in the order it was written (pruning included), or whose log contributions, summed without
/// pruning, differ from what the user events imply (a count off by one is a contribution lost or applied twice); without
/// the log, from the user events' reference. Weights are compared bit for bit: they are on one grid, so sums do not depend
/// on the order they were added in.</param>
/// <param name="PrunedItemRows">Rows that pruned past <see cref="CoEngagementOptions.NeighbourLimit"/> in the log's replay
/// (0 without the log): those only the log can check, since which neighbours a pruned row keeps depends on the order its
/// contributions arrived in.</param>
public sealed record DeliveryAudit(
    long EventsIn,
    long Applied,
    long Lost,
    long AppliedTwice,
    int DivergedUsers,
    long ExpectedRejected,
    long DeadLettered,
    int UsersWithoutList,
    long Uncommitted,
    IReadOnlyList<string> Problems,
    long LateEvents = 0,
    long LateAppliedOnce = 0,
    long NeverComing = 0,
    long NeverDeadLettered = 0,
    long NeverDeadLetteredRepeats = 0,
    long NeverNotApplied = 0,
    int ItemRows = 0,
    int DivergedItemRows = 0,
    int PrunedItemRows = 0)
{
    /// <summary>Exactly-once effect, a list for everyone, nothing left behind; every late event applied once, every
    /// never-coming event dead-lettered and not applied.</summary>
    public bool Holds => Lost == 0 && AppliedTwice == 0 && DivergedUsers == 0 && UsersWithoutList == 0 && Uncommitted == 0
        && LateAppliedOnce == LateEvents && NeverDeadLettered == NeverComing && NeverNotApplied == NeverComing && DivergedItemRows == 0;

    public override string ToString() =>
        $"events in {EventsIn}, applied {Applied}, lost {Lost}, applied twice {AppliedTwice}, diverged users {DivergedUsers}, " +
        $"expected rejected {ExpectedRejected}, dead-lettered {DeadLettered}, users without list {UsersWithoutList}, uncommitted {Uncommitted}, " +
        $"late events {LateEvents} (applied once {LateAppliedOnce}), never-coming {NeverComing} (dead-lettered {NeverDeadLettered}, repeats {NeverDeadLetteredRepeats}, not applied {NeverNotApplied}), " +
        $"item rows {ItemRows} (diverged {DivergedItemRows}, pruned {PrunedItemRows})" +
        (Problems.Count > 0 ? "; " + string.Join("; ", Problems) : "");
}

/// <summary>
/// Checks the delivery invariant after a run (the services stopped, so the embedded store file is free): the stored
/// users equal a reference computed by <see cref="ProfileEngine.Apply"/> over the input topics read back in offset
/// order (the computation a fault-free run makes, with the same item vectors), every user with events has a list,
/// and the service groups committed everything.
/// </summary>
public static class ChaosAudit
{
    /// <summary>The audit over the embedded store file a run left behind.</summary>
    /// <param name="listedUsers">Users seen in a list by a <see cref="ListTail"/> during the run, for runs long enough that the
    /// dev broker's retention drops early lists; null reads the recommendations topic only.</param>
    /// <param name="lateItemIds">Items published after events that refer to them: their events are counted in <see cref="DeliveryAudit.LateEvents"/>.</param>
    /// <param name="engagementLog">The engagements topic replayed as it was written (<see cref="ChaosKafka.TailEngagements"/>),
    /// for runs long enough that the dev broker's retention drops its start; null reads the topic at the end.</param>
    public static async Task<DeliveryAudit> RunAsync(ChaosKafka kafka, string storePath, IReadOnlyCollection<string> itemIds, ProfileOptions? profileOptions = null, IReadOnlyCollection<string>? listedUsers = null, IReadOnlyCollection<string>? lateItemIds = null, CoEngagementOptions? coEngagementOptions = null, EngagementLogReplay? engagementLog = null, CancellationToken cancellationToken = default)
    {
        using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = storePath });
        return await RunAsync(kafka, store, itemIds, profileOptions, listedUsers, lateItemIds, coEngagementOptions, engagementLog, cancellationToken);
    }

    /// <summary>The audit over any vector store (e.g. Qdrant through its adapter).</summary>
    public static async Task<DeliveryAudit> RunAsync(ChaosKafka kafka, IVectorStore store, IReadOnlyCollection<string> itemIds, ProfileOptions? profileOptions = null, IReadOnlyCollection<string>? listedUsers = null, IReadOnlyCollection<string>? lateItemIds = null, CoEngagementOptions? coEngagementOptions = null, EngagementLogReplay? engagementLog = null, CancellationToken cancellationToken = default)
    {
        var late = new HashSet<string>(lateItemIds ?? [], StringComparer.Ordinal);
        var problems = new List<string>();
        if (kafka.EvictedMessages(Topics.UserEvents) is > 0 and var evicted)
        {
            problems.Add($"{evicted} messages of {Topics.UserEvents} were dropped by the broker's retention before the audit: it cannot see them");
        }

        var input = new List<PositionedEvent>();
        long rejected = 0;
        foreach (var r in kafka.ReadAll(Topics.UserEvents))
        {
            if (EventParser.Parse(r.Message.Value).Event is not { } e)
            {
                continue;
            }

            if (!string.IsNullOrEmpty(r.Message.Key) && !string.Equals(r.Message.Key, e.Key, StringComparison.Ordinal))
            {
                // The services refuse a key that contradicts the user id (it would split a user's state across partitions);
                // an absent or empty key lets the user id decide.
                rejected++;
                continue;
            }

            input.Add(new PositionedEvent(e, r.Topic, r.Partition.Value, r.Offset.Value, r.Message.Timestamp.UtcDateTime));
        }

        var items = await store.GetAsync(Collections.Items, itemIds.ToArray(), withVectors: true, withPayload: false, cancellationToken);
        var itemVectors = items.Where(p => p.Vectors.ContainsKey(Collections.ItemVector)).ToDictionary(p => p.Id, p => p.Vectors[Collections.ItemVector], StringComparer.Ordinal);
        var dimension = itemVectors.Values.FirstOrDefault()?.Length ?? 0;
        if (dimension == 0)
        {
            problems.Add("no item is indexed");
        }

        var engine = new ProfileEngine(store, new DimensionOnlyEncoder(dimension), profileOptions ?? new ProfileOptions(), TimeProvider.System);
        var reference = new Dictionary<string, UserProfile>(StringComparer.Ordinal);
        // The item side's reference: what every applied engagement adds to the rows, with the user's history before it.
        var coEngagement = coEngagementOptions ?? new CoEngagementOptions();
        var referenceRows = new CoEngagementTable(coEngagement);
        // The same without pruning: a row that prunes depends on the order its contributions arrived in, the sums of all
        // of them do not (CoEngagement.WeightGrid).
        var wholeOptions = coEngagement.Clone();
        wholeOptions.NeighbourLimit = EngagementLogReplay.Unbounded;
        var wholeRows = new CoEngagementTable(wholeOptions);
        var lateApplied = new List<PositionedEvent>();
        var lateEvents = 0L;
        var never = new List<PositionedEvent>();
        foreach (var p in input.OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition).ThenBy(p => p.Offset))
        {
            var user = p.Event.Key;
            if (!reference.TryGetValue(user, out var profile))
            {
                reference[user] = profile = new UserProfile(user, dimension);
            }

            var itemId = ProfileEngine.ItemIdOf(p.Event);
            var history = profile.RecentItems.TakeLast(coEngagement.HistorySize).ToArray();
            var outcome = engine.Apply(profile, p, itemId is null ? null : itemVectors.GetValueOrDefault(itemId), null).Outcome;
            if (outcome is ApplyOutcome.Applied && itemId is not null)
            {
                referenceRows.Observe(history, itemId, profile);
                wholeRows.Observe(history, itemId, profile);
            }

            if (itemId is not null && late.Contains(itemId))
            {
                lateEvents++;
                if (outcome is ApplyOutcome.Applied)
                {
                    lateApplied.Add(p);
                }
            }

            if (outcome is ApplyOutcome.Rejected)
            {
                rejected++;
            }
            else if (outcome is ApplyOutcome.ItemNotReady)
            {
                // An item that never arrived: the service parked the event (recording its offset and id) and dead-lettered
                // it after the bounds; the events behind it were applied in order. Items that arrived late are in the store
                // now, so their events are applied here in offset order, as the service applies them.
                profile.MarkApplied(p.Topic, p.Partition, p.Offset);
                profile.RememberEvent(p.Event.EventId, engine.Options.DuplicateWindow);
                rejected++;
                never.Add(p);
            }
        }

        var stored = (await store.GetAsync(Collections.Users, reference.Keys.ToArray(), withVectors: true, withPayload: true, cancellationToken))
            .ToDictionary(p => p.Id, p => ProfileCodec.Decode(p, dimension), StringComparer.Ordinal);

        long applied = 0, lost = 0, twice = 0;
        var diverged = 0;
        var exact = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (user, expected) in reference)
        {
            var actual = stored.GetValueOrDefault(user);
            var version = actual?.Version ?? 0;
            applied += Math.Min(version, expected.Version);
            lost += Math.Max(0, expected.Version - version);
            twice += Math.Max(0, version - expected.Version);
            var difference = actual is null ? (expected.Version > 0 ? "missing" : null) : Difference(expected, actual);
            if (difference is null)
            {
                exact.Add(user);
            }
            else
            {
                diverged++;
                if (problems.Count < 5)
                {
                    problems.Add($"user {user}: {difference}");
                }
            }
        }

        var listed = kafka.ReadAll(Topics.Recommendations)
            .Select(r => EventParser.Parse(r.Message.Value).Event)
            .OfType<RecommendationList>()
            .Select(l => l.UserId)
            .ToHashSet(StringComparer.Ordinal);
        listed.UnionWith(listedUsers ?? []);
        var withoutList = reference.Where(kv => kv.Value.Version > 0 && !listed.Contains(kv.Key)).Select(kv => kv.Key).ToList();
        if (withoutList.Count > 0)
        {
            problems.Add($"no list for {string.Join(",", withoutList.Take(5))}");
        }

        var deadLetters = kafka.ReadAll(Topics.DeadLetter);
        var notIndexed = deadLetters
            .Where(r => ChaosRunner.Header(r, "error")?.StartsWith(DeadLetterCodes.ItemNotIndexed, StringComparison.Ordinal) == true)
            .Select(r => (ChaosRunner.Header(r, "source-topic"), ChaosRunner.Header(r, "source-partition"), ChaosRunner.Header(r, "source-offset")))
            .ToList();
        var neverKeys = never.ToDictionary(p => (p.Topic, p.Partition.ToString(CultureInfo.InvariantCulture), p.Offset.ToString(CultureInfo.InvariantCulture)), p => 0);
        foreach (var key in notIndexed)
        {
            if (key is ({ } topic, { } partition, { } offset) && neverKeys.TryGetValue((topic, partition, offset), out var copies))
            {
                neverKeys[(topic, partition, offset)] = copies + 1;
            }
        }

        var neverDeadLettered = neverKeys.Values.Count(c => c > 0);
        var repeats = neverKeys.Values.Sum(c => Math.Max(0, c - 1));
        if (neverDeadLettered < never.Count && problems.Count < 8)
        {
            problems.Add($"{never.Count - neverDeadLettered} never-coming events not dead-lettered as {DeadLetterCodes.ItemNotIndexed}");
        }

        var lateOnce = lateApplied.Count(p => exact.Contains(p.Event.Key));
        if (lateOnce < lateEvents && problems.Count < 8)
        {
            problems.Add($"{lateEvents - lateOnce} late events not applied exactly once");
        }

        // The item side, when the run had one (the profile-updater published engagements).
        var itemSide = kafka.HasItemSide();
        var (itemRows, divergedRows, prunedRows) = itemSide
            ? await AuditItemSideAsync(store, new ItemSideReference(referenceRows, wholeRows, engagementLog ?? ReadEngagementLog(kafka, coEngagement, problems)), coEngagement, itemIds, problems, cancellationToken)
            : (0, 0, 0);

        var uncommitted = kafka.Uncommitted();
        return new DeliveryAudit(input.Count, applied, lost, twice, diverged, rejected, deadLetters.Count, withoutList.Count, uncommitted, problems,
            lateEvents, lateOnce, never.Count, neverDeadLettered, repeats, never.Count(p => exact.Contains(p.Event.Key)), itemRows, divergedRows, prunedRows);
    }

    /// <summary>What the stored rows are checked against: the user events applied in offset order (<see cref="Rows"/>,
    /// <see cref="WholeRows"/> without pruning) and, when it could be read whole, the engagements log as it was written.</summary>
    private sealed record ItemSideReference(CoEngagementTable Rows, CoEngagementTable WholeRows, EngagementLogReplay? Log);

    /// <summary>The engagements topic read back whole; null (with a problem noted) when the broker's retention dropped
    /// its start.</summary>
    private static EngagementLogReplay? ReadEngagementLog(ChaosKafka kafka, CoEngagementOptions options, List<string> problems)
    {
        if (kafka.EvictedMessages(Topics.Engagements) is > 0 and var evicted)
        {
            problems.Add($"{evicted} messages of {Topics.Engagements} were dropped by the broker's retention: rows compared with the user events only");
            return null;
        }

        var log = new EngagementLogReplay(options);
        foreach (var r in kafka.ReadAll(Topics.Engagements))
        {
            log.Apply(r.Message.Value);
        }

        return log;
    }

    /// <summary>
    /// Compares the stored co-engagement rows of every item with the references. With the engagements log: each stored
    /// row must equal the log's contributions applied once in the order they were written, pruning included (what the
    /// item side did), and the log's contributions summed without pruning must equal what the user events imply (what
    /// the profile-updater published, each once). Without it: each stored row must equal the user events' reference,
    /// which a row that pruned may not (the order its contributions arrived in changes between runs).
    /// </summary>
    private static async Task<(int Rows, int Diverged, int Pruned)> AuditItemSideAsync(
        IVectorStore store, ItemSideReference reference, CoEngagementOptions options, IReadOnlyCollection<string> itemIds, List<string> problems, CancellationToken cancellationToken)
    {
        var stored = await new CoEngagementStore(store, options).LoadAsync(itemIds, cancellationToken);
        var rows = 0;
        var diverged = 0;
        foreach (var item in itemIds)
        {
            var expected = reference.Rows.RowOf(item);
            var actual = stored.GetValueOrDefault(item);
            if (expected is { Count: > 0 } || expected is { Neighbours.Count: > 0 })
            {
                rows++;
            }

            var difference = reference.Log is not { } log
                ? RowDifference(expected, actual)
                : RowDifference(log.Bounded(item), actual) is { } stale
                    ? "differs from the engagements log applied once, in order: " + stale
                    : RowDifference(reference.WholeRows.RowOf(item), log.Whole(item)) is { } published
                        ? "the published contributions, summed, differ from the user events': " + published
                        : null;
            if (difference is { } d)
            {
                diverged++;
                if (problems.Count < 8)
                {
                    problems.Add($"item row {item}: {d}");
                }
            }
        }

        return (rows, diverged, reference.Log?.PrunedRows ?? 0);
    }

    /// <summary>How a stored row differs from the reference row; null when it does not (absent and empty are the same).</summary>
    public static string? RowDifference(CoEngagementRow? expected, CoEngagementRow? actual)
    {
        var expectedCount = expected?.Count ?? 0;
        var actualCount = actual?.Count ?? 0;
        if (expectedCount != actualCount)
        {
            return $"engagement count {actualCount}, expected {expectedCount}";
        }

        var want = expected?.Neighbours ?? [];
        var have = actual?.Neighbours ?? [];
        foreach (var (other, weight) in want)
        {
            if (!have.TryGetValue(other, out var got))
            {
                return $"neighbour {other} missing";
            }

            // Bit for bit: pair weights are on one grid, so their sums do not depend on the order they arrived in (CoEngagement.WeightGrid).
            if (got != weight)
            {
                return string.Create(CultureInfo.InvariantCulture, $"neighbour {other} weight {got:R}, expected {weight:R}");
            }
        }

        var extra = have.Keys.FirstOrDefault(k => !want.ContainsKey(k));
        return extra is null ? null : $"unexpected neighbour {extra}";
    }

    /// <summary>The first field where <paramref name="actual"/> differs from <paramref name="expected"/>, compared bit for bit; null when none.</summary>
    public static string? Difference(UserProfile expected, UserProfile actual)
    {
        if (expected.Version != actual.Version)
        {
            return $"version {actual.Version}, expected {expected.Version}";
        }

        if (actual.Parked.Count > 0)
        {
            return $"{actual.Parked.Count} events still parked (waiting for item '{actual.Parked[0].ItemId}')";
        }

        if (expected.Clicks != actual.Clicks || expected.Reviews != actual.Reviews)
        {
            return $"counts {actual.Clicks}/{actual.Reviews}, expected {expected.Clicks}/{expected.Reviews}";
        }

        var offsets = string.Join(",", expected.AppliedOffsets.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        var actualOffsets = string.Join(",", actual.AppliedOffsets.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        if (offsets != actualOffsets)
        {
            return $"applied offsets {actualOffsets}, expected {offsets}";
        }

        if (!expected.RecentItems.SequenceEqual(actual.RecentItems, StringComparer.Ordinal))
        {
            return "recent items differ";
        }

        if (expected.ReferenceTime.ToUnixTimeMilliseconds() != actual.ReferenceTime.ToUnixTimeMilliseconds())
        {
            return $"reference time {actual.ReferenceTime:O}, expected {expected.ReferenceTime:O}";
        }

        if (!SameBits(expected.ShortTerm, actual.ShortTerm) || !SameBits(expected.LongTerm, actual.LongTerm))
        {
            return "vectors differ in their bits";
        }

        return null;
    }

    private static bool SameBits(float[] a, float[] b) =>
        a.Length == b.Length && a.Select(BitConverter.SingleToInt32Bits).SequenceEqual(b.Select(BitConverter.SingleToInt32Bits));

    /// <summary>The reference never encodes text (the workloads carry none): it only needs the dimension.</summary>
    private sealed class DimensionOnlyEncoder(int dimension) : ITextEncoder
    {
        public int Dimension => dimension;

        public EncoderInfo Info => new("none", "none", dimension, 0, false);

        public Task<float[][]> EncodeAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken) =>
            throw new NotSupportedException("the delivery audit does not encode text");
    }
}
