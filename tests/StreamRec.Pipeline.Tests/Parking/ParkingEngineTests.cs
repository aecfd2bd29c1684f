using Microsoft.Extensions.Time.Testing;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.Parking;
using StreamRec.TestSupport;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.Pipeline.Tests.Parking;

/// <summary>Parking in the user's state, Kafka-free: <see cref="ProfileEngine.Accept"/>, <see cref="ProfileEngine.Drain"/> and the codec.</summary>
public sealed class ParkingEngineTests : IDisposable
{
    private static readonly DateTimeOffset T0 = Catalog.T0;
    private static readonly ParkingPolicy Policy = new(MaxAttempts: 3, MaxAge: TimeSpan.FromMinutes(5), MinBackoff: TimeSpan.FromSeconds(1), MaxBackoff: TimeSpan.FromSeconds(4), MaxPerKey: 3);
    private readonly EmbeddedVectorStore _store = new(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
    private readonly HashingEncoder _encoder = new();
    private readonly FakeTimeProvider _time = new(T0.AddDays(1));
    private readonly ProfileEngine _profiles;
    private readonly Dictionary<string, float[]> _vectors;

    public ParkingEngineTests()
    {
        var items = new ItemIndexEngine(_store, _encoder, _time);
        _profiles = new ProfileEngine(_store, _encoder, new ProfileOptions { DuplicateWindow = 4 }, _time);
        items.EnsureCollectionAsync(CancellationToken.None).GetAwaiter().GetResult();
        _profiles.EnsureCollectionAsync(CancellationToken.None).GetAwaiter().GetResult();
        items.IndexAsync([.. Catalog.Items()], CancellationToken.None).GetAwaiter().GetResult();
        _vectors = _profiles.ItemVectorsAsync([.. Catalog.Items().Select(i => i.ItemId)], CancellationToken.None).GetAwaiter().GetResult();
    }

    public void Dispose() => _store.Dispose();

    private ParkingContext Context(Dictionary<string, float[]>? vectors = null) => new(vectors ?? _vectors, new Dictionary<ParkedEvent, float[]>(), Policy, _time.GetUtcNow());

    private static PositionedEvent At(IStreamRecEvent e, long offset) => new(e, e.Topic, 0, offset, e.OccurredAt);

    private ApplyResult Accept(UserProfile profile, IStreamRecEvent e, long offset, ParkingEffects effects, Dictionary<string, float[]>? vectors = null) =>
        _profiles.Accept(profile, At(e, offset), new ParkingSource(e.Key, EventParser.Serialize(e)), null, Context(vectors), effects);

    [Fact]
    public void Accept_UnknownItem_ParksTheEvent_RecordsItsOffset_AndLeavesTheVectorsAlone()
    {
        var profile = new UserProfile("u", _encoder.Dimension);
        var effects = new ParkingEffects();

        var result = Accept(profile, Catalog.Click("u", "late-1", T0), 7, effects);

        Assert.Equal(ApplyOutcome.Parked, result.Outcome);
        var parked = Assert.Single(profile.Parked);
        Assert.Equal(("late-1", 7L, T0.AddDays(1)), (parked.ItemId, parked.Offset, parked.ParkedAt));
        Assert.True(profile.HasApplied(Topics.UserEvents, 0, 7));
        Assert.Equal(0, profile.Version);
        Assert.False(profile.HasSignal);
    }

    [Fact]
    public void Accept_LaterEventsOfAParkedUser_WaitBehindIt_AndAllApplyInOffsetOrderOnceTheItemArrives()
    {
        var profile = new UserProfile("u", _encoder.Dimension);
        var effects = new ParkingEffects();
        Accept(profile, Catalog.Click("u", "late-1", T0), 1, effects);

        var behind = Accept(profile, Catalog.Click("u", "garden-1", T0.AddMinutes(1)), 2, effects);
        Assert.Equal(ApplyOutcome.Parked, behind.Outcome);
        Assert.Equal(2, profile.Parked.Count);

        var withLate = new Dictionary<string, float[]>(_vectors) { ["late-1"] = _vectors["space-1"] };
        var next = Accept(profile, Catalog.Click("u", "garden-2", T0.AddMinutes(2)), 3, effects, withLate);

        Assert.Equal(ApplyOutcome.Applied, next.Outcome);
        Assert.Empty(profile.Parked);
        Assert.Equal(3, profile.Version);
        Assert.Equal(["late-1", "garden-1", "garden-2"], profile.RecentItems);
        Assert.Equal([1L, 2L], effects.Unparked.Select(u => u.Event.Offset));
    }

    [Fact]
    public void Drain_ScheduledRetries_CountAttemptsWhenDue_AndDeadLetterAfterTheBound_ThenApplyWhatWaitedBehind()
    {
        var profile = new UserProfile("u", _encoder.Dimension);
        Accept(profile, Catalog.Click("u", "never", T0), 1, new ParkingEffects());
        Accept(profile, Catalog.Click("u", "garden-1", T0.AddMinutes(1)), 2, new ParkingEffects());

        var early = new ParkingEffects();
        _profiles.Drain(profile, Context(), early, scheduled: true);
        Assert.Equal(0, profile.Parked[0].Attempts); // not due yet: an early check costs no attempt

        var effects = new ParkingEffects();
        for (var i = 0; i < 3; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(5));
            _profiles.Drain(profile, Context(), effects, scheduled: true);
        }

        var (entry, reason) = Assert.Single(effects.Expired);
        Assert.Equal("never", entry.ItemId);
        Assert.StartsWith("ItemNotIndexed: item 'never' is not indexed after 3 retries", reason, StringComparison.Ordinal);
        Assert.Equal(2L, Assert.Single(effects.Unparked).Event.Offset);
        Assert.Empty(profile.Parked);
        Assert.Equal(1, profile.Version);
    }

    [Fact]
    public void Drain_AnEventOlderThanMaxAge_IsDeadLettered_EvenWithoutAScheduledRetry()
    {
        var profile = new UserProfile("u", _encoder.Dimension);
        Accept(profile, Catalog.Click("u", "never", T0), 1, new ParkingEffects());
        _time.Advance(TimeSpan.FromMinutes(6));
        var effects = new ParkingEffects();

        Accept(profile, Catalog.Click("u", "garden-1", T0.AddMinutes(1)), 2, effects);

        Assert.Contains("after waiting 360 s", Assert.Single(effects.Expired).Reason, StringComparison.Ordinal);
        Assert.Empty(profile.Parked);
        Assert.Equal(1, profile.Version);
    }

    [Fact]
    public void Drain_AgeCountsFromWhenThisInstanceTookThePartitionOver_WhenThatIsLater()
    {
        var profile = new UserProfile("u", _encoder.Dimension);
        Accept(profile, Catalog.Click("u", "late", T0), 1, new ParkingEffects());
        var takenOver = _time.GetUtcNow().AddMinutes(4); // an outage of 4 minutes, then a new owner
        _time.Advance(TimeSpan.FromMinutes(6));
        var owned = new Dictionary<string, DateTimeOffset> { [UserProfile.OffsetKey(Topics.UserEvents, 0)] = takenOver };

        var waiting = new ParkingEffects();
        _profiles.Drain(profile, Context() with { OwnedSince = owned }, waiting, scheduled: false);
        Assert.Empty(waiting.Expired);
        Assert.Single(profile.Parked);

        _time.Advance(TimeSpan.FromMinutes(3)); // 5 minutes after the takeover
        var expired = new ParkingEffects();
        _profiles.Drain(profile, Context() with { OwnedSince = owned }, expired, scheduled: false);
        Assert.Contains("after waiting 300 s", Assert.Single(expired.Expired).Reason, StringComparison.Ordinal);
        Assert.Empty(profile.Parked);
    }

    [Fact]
    public void Accept_WhenTheUsersParkingListIsFull_DeadLettersTheOldestEarly()
    {
        var profile = new UserProfile("u", _encoder.Dimension);
        var effects = new ParkingEffects();
        for (var i = 1; i <= 4; i++)
        {
            Accept(profile, Catalog.Click("u", $"never-{i}", T0.AddMinutes(i)), i, effects);
        }

        Assert.Equal(3, profile.Parked.Count);
        Assert.Equal("never-1", Assert.Single(effects.Expired).Entry.ItemId);
        Assert.Contains("limit 3", effects.Expired[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Accept_ForgetRequest_DropsWhatIsParked_AndAppliesAtOnce()
    {
        var profile = new UserProfile("u", _encoder.Dimension);
        Accept(profile, Catalog.Click("u", "never", T0), 1, new ParkingEffects());
        var effects = new ParkingEffects();

        var result = Accept(profile, new UserForget { EventId = "f", OccurredAt = T0.AddMinutes(1), UserId = "u" }, 2, effects);

        Assert.Equal(ApplyOutcome.Forgotten, result.Outcome);
        Assert.Empty(profile.Parked);
        Assert.Single(effects.Dropped);
        Assert.Empty(effects.Expired);
    }

    [Fact]
    public void Accept_SameEventIdAtAnotherOffset_IsADuplicate_AppliedOnce_EvenWhileParked()
    {
        var profile = new UserProfile("u", _encoder.Dimension);
        var click = Catalog.Click("u", "garden-1", T0);
        var late = Catalog.Click("u", "late", T0.AddMinutes(1));

        Assert.Equal(ApplyOutcome.Applied, Accept(profile, click, 1, new ParkingEffects()).Outcome);
        Assert.Equal(ApplyOutcome.Duplicate, Accept(profile, click, 2, new ParkingEffects()).Outcome);
        Assert.Equal(ApplyOutcome.Parked, Accept(profile, late, 3, new ParkingEffects()).Outcome);
        Assert.Equal(ApplyOutcome.Duplicate, Accept(profile, late, 4, new ParkingEffects()).Outcome);

        Assert.Equal(1, profile.Version);
        Assert.Single(profile.Parked);
        Assert.True(profile.HasApplied(Topics.UserEvents, 0, 4));
    }

    [Fact]
    public void DuplicateWindow_KeepsOnlyTheLastNEventIds()
    {
        var profile = new UserProfile("u", _encoder.Dimension);
        for (var i = 1; i <= 5; i++)
        {
            Accept(profile, Catalog.Click("u", $"garden-{i}", T0.AddMinutes(i)), i, new ParkingEffects());
        }

        // Window 4: the first event's id has left it, so sending it again applies it again.
        Assert.Equal(ApplyOutcome.Applied, Accept(profile, Catalog.Click("u", "garden-1", T0.AddMinutes(1)), 6, new ParkingEffects()).Outcome);
        Assert.Equal(ApplyOutcome.Duplicate, Accept(profile, Catalog.Click("u", "garden-5", T0.AddMinutes(5)), 7, new ParkingEffects()).Outcome);
    }

    [Fact]
    public async Task ParkedEvents_SurviveTheStore_AndAreFoundByPartition()
    {
        var profile = new UserProfile("u", _encoder.Dimension);
        var late = Catalog.Click("u", "late", T0);
        Accept(profile, late, 9, new ParkingEffects());
        await _profiles.SaveAsync([profile], CancellationToken.None);

        var found = await _profiles.UsersWithParkedEventsAsync(UserProfile.OffsetKey(Topics.UserEvents, 0), CancellationToken.None);
        var none = await _profiles.UsersWithParkedEventsAsync(UserProfile.OffsetKey(Topics.UserEvents, 1), CancellationToken.None);

        var loaded = Assert.Single(found);
        Assert.Empty(none);
        var parked = Assert.Single(loaded.Parked);
        Assert.Equal(EventParser.Serialize(late), parked.Value);
        Assert.Equal((9L, "late", late.EventId, T0.AddDays(1)), (parked.Offset, parked.ItemId, parked.EventId, parked.ParkedAt));
        Assert.Equal(profile.RecentEventIds, loaded.RecentEventIds);
    }

    [Fact]
    public async Task PendingNotice_SurvivesTheStore_AndMakesTheUserFoundByItsPartition_UntilCleared()
    {
        var profile = new UserProfile("v", _encoder.Dimension);
        var notice = new PendingNotice("click-v-1", Topics.UserEvents, 2, 41, T0, T0.AddSeconds(1));
        profile.PendingNotice = notice;
        await _profiles.SaveAsync([profile], CancellationToken.None);

        var found = Assert.Single(await _profiles.UsersWithParkedEventsAsync(UserProfile.OffsetKey(Topics.UserEvents, 2), CancellationToken.None));
        Assert.Equal(notice, found.PendingNotice);
        Assert.Empty(found.Parked);
        Assert.Empty(await _profiles.UsersWithParkedEventsAsync(UserProfile.OffsetKey(Topics.UserEvents, 1), CancellationToken.None));

        profile.PendingNotice = null;
        await _profiles.SaveAsync([profile], CancellationToken.None);
        Assert.Empty(await _profiles.UsersWithParkedEventsAsync(UserProfile.OffsetKey(Topics.UserEvents, 2), CancellationToken.None));
        Assert.Null((await _profiles.LoadAsync(["v"], CancellationToken.None))["v"].PendingNotice);
    }

    [Fact]
    public async Task Outbox_SurvivesTheStore_AndOnlyARetryRoundsEntriesMakeTheUserFoundByTheirPartition()
    {
        var profile = new UserProfile("w", _encoder.Dimension);
        var inOrder = new OutboxEntry(new AppliedEngagement("b", ["a"], Topics.UserEvents, 0, 12, Retried: false), UserProfile.OffsetKey(Topics.UserEvents, 0), 12);
        var late = new OutboxEntry(
            new AppliedEngagement("c", ["a", "b"], Topics.UserEvents, 3, 7, Retried: true, new HashSet<string>(StringComparer.Ordinal) { "c", "a" }), null, 0);
        profile.Outbox.AddRange([inOrder, late]);
        await _profiles.SaveAsync([profile], CancellationToken.None);

        var loaded = (await _profiles.LoadAsync(["w"], CancellationToken.None))["w"];
        Assert.Equal(2, loaded.Outbox.Count);
        Assert.Equal((inOrder.TriggerKey, inOrder.TriggerOffset, inOrder.Engagement.ItemId, 12L, false), (loaded.Outbox[0].TriggerKey, loaded.Outbox[0].TriggerOffset, loaded.Outbox[0].Engagement.ItemId, loaded.Outbox[0].Engagement.Offset, loaded.Outbox[0].Engagement.Retried));
        Assert.Equal(["a"], loaded.Outbox[0].Engagement.History);
        Assert.Null(loaded.Outbox[0].Engagement.NotPositive);
        Assert.Equal((null, UserProfile.OffsetKey(Topics.UserEvents, 3), 7L, true), (loaded.Outbox[1].TriggerKey, loaded.Outbox[1].RecoveryKey, loaded.Outbox[1].Engagement.Offset, loaded.Outbox[1].Engagement.Retried));
        Assert.Equal(["a", "b"], loaded.Outbox[1].Engagement.History);
        Assert.Equal(["a", "c"], loaded.Outbox[1].Engagement.NotPositive!.Order(StringComparer.Ordinal));

        // A reader that never writes the profile back (the recommender) skips decoding the outbox, nothing else.
        var readOnly = (await ProfileCodec.ReadAsync(_store, ["w"], CancellationToken.None, withOutbox: false))["w"];
        Assert.Empty(readOnly.Outbox);
        Assert.Equal(loaded.Version, readOnly.Version);

        // Replays find the in-order entry; only the retry round's needs the partition scan.
        Assert.Equal("w", Assert.Single(await _profiles.UsersWithParkedEventsAsync(UserProfile.OffsetKey(Topics.UserEvents, 3), CancellationToken.None)).UserId);
        Assert.Empty(await _profiles.UsersWithParkedEventsAsync(UserProfile.OffsetKey(Topics.UserEvents, 0), CancellationToken.None));
    }

    /// <summary>A batch's engagements follow each other: the outbox stores each history once, not 50 ids per entry, and
    /// gives every entry back exactly (plain lists where the compact form would not).</summary>
    [Fact]
    public void Outbox_OfConsecutiveEngagements_IsStoredCompactly_AndReadBackExactly()
    {
        var profile = new UserProfile("x", _encoder.Dimension);
        var history = Enumerable.Range(0, 50).Select(i => $"ml-{i:D5}").ToList();
        profile.RecentItems.AddRange(history);
        for (var i = 0; i < 100; i++)
        {
            var item = $"ml-{1000 + i:D5}";
            IReadOnlySet<string>? notPositive = i % 3 == 0 ? new HashSet<string>(StringComparer.Ordinal) { item, history[^2] } : null;
            profile.Outbox.Add(new OutboxEntry(new AppliedEngagement(item, [.. history], Topics.UserEvents, 1, 100 + i, Retried: false, notPositive), UserProfile.OffsetKey(Topics.UserEvents, 1), 100 + i));
            history.Add(item);
            history.RemoveAt(0);
            profile.RecentItems.Add(item);
        }

        // One that does not follow (a late one, applied out of order) and one whose low-rated item is outside its history.
        profile.Outbox.Add(new OutboxEntry(new AppliedEngagement("late", ["ml-00003", "ml-00001"], Topics.UserEvents, 0, 5, Retried: true), null, 0));
        profile.Outbox.Add(new OutboxEntry(new AppliedEngagement("next", ["ml-00001", "late"], Topics.UserEvents, 0, 6, Retried: false,
            new HashSet<string>(StringComparer.Ordinal) { "elsewhere" }), UserProfile.OffsetKey(Topics.UserEvents, 0), 6));

        var point = ProfileCodec.Encode(profile);
        var loaded = ProfileCodec.Decode(point, _encoder.Dimension);

        var outboxJson = point.Payload![UserFields.Outbox]!.ToJsonString();
        Assert.True(outboxJson.Length < 102 * 200, $"{outboxJson.Length} bytes of JSON for 102 entries");
        // The first entry's history is the 50 items before its own in the recent items stored beside it.
        Assert.Equal(50, point.Payload[UserFields.Outbox]![0]!["history_recent"]!.GetValue<int>());
        Assert.Equal(profile.Outbox.Count, loaded.Outbox.Count);
        for (var i = 0; i < profile.Outbox.Count; i++)
        {
            var (expected, actual) = (profile.Outbox[i].Engagement, loaded.Outbox[i].Engagement);
            Assert.Equal(expected.History, actual.History);
            Assert.Equal((expected.ItemId, expected.Offset, expected.Retried), (actual.ItemId, actual.Offset, actual.Retried));
            Assert.Equal(expected.NotPositive?.Order(StringComparer.Ordinal), actual.NotPositive?.Order(StringComparer.Ordinal));
            Assert.Equal((profile.Outbox[i].TriggerKey, profile.Outbox[i].TriggerOffset), (loaded.Outbox[i].TriggerKey, loaded.Outbox[i].TriggerOffset));
        }
    }

    [Fact]
    public void Outbox_AnEntryFollowingADamagedOne_IsLeftOutWithIt_TheRestIsRead()
    {
        var profile = new UserProfile("y", _encoder.Dimension);
        profile.Outbox.AddRange([
            new OutboxEntry(new AppliedEngagement("b", ["a"], Topics.UserEvents, 0, 1, Retried: false), UserProfile.OffsetKey(Topics.UserEvents, 0), 1),
            new OutboxEntry(new AppliedEngagement("c", ["a", "b"], Topics.UserEvents, 0, 2, Retried: false), UserProfile.OffsetKey(Topics.UserEvents, 0), 2),
            new OutboxEntry(new AppliedEngagement("d", ["x"], Topics.UserEvents, 0, 3, Retried: false), UserProfile.OffsetKey(Topics.UserEvents, 0), 3),
        ]);
        var point = ProfileCodec.Encode(profile);
        var entries = (System.Text.Json.Nodes.JsonArray)point.Payload![UserFields.Outbox]!;
        Assert.NotNull(entries[1]!["history_follows"]);
        entries[0]!.AsObject().Remove("item_id");

        var loaded = ProfileCodec.Decode(point, _encoder.Dimension);

        Assert.Equal(["d"], loaded.Outbox.Select(e => e.Engagement.ItemId));
        Assert.Equal(["x"], loaded.Outbox[0].Engagement.History);
    }
}
