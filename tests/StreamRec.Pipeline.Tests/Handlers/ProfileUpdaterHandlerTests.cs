using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Messaging;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.Handlers;
using StreamRec.Pipeline.ItemSide;
using StreamRec.Pipeline.Options;
using StreamRec.TestSupport;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.Pipeline.Tests.Handlers;

/// <summary>The profile-updater's handler on fakes of the messaging ports and an in-memory store: no broker.</summary>
public sealed class ProfileUpdaterHandlerTests : IDisposable
{
    private static readonly DateTimeOffset T0 = Catalog.T0;
    private static readonly PartitionId Clicks0 = new(Topics.UserEvents, 0);
    private readonly EmbeddedVectorStore _inner = new(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
    private readonly EffectLog _log = new();
    private readonly RecordingVectorStore _store;
    private readonly HashingEncoder _encoder = new();
    private readonly FakeTimeProvider _time = new(T0.AddDays(1));
    private readonly ProfileUpdaterOptions _options = new() { ItemNotReadyMaxAge = TimeSpan.FromMinutes(5), ParkedRetryMinBackoff = TimeSpan.FromSeconds(1) };
    private readonly CoEngagementOptions _coEngagement = new() { Buckets = 4 };
    private readonly ProfileEngine _engine;
    private readonly ItemIndexEngine _items;
    private readonly RecordingDeadLetters _deadLetters = new();

    public ProfileUpdaterHandlerTests()
    {
        _store = new RecordingVectorStore(_inner, _log);
        _engine = new ProfileEngine(_store, _encoder, new ProfileOptions(), _time, _coEngagement);
        _items = new ItemIndexEngine(_inner, _encoder, _time);
        _items.EnsureCollectionAsync(CancellationToken.None).GetAwaiter().GetResult();
        _engine.EnsureCollectionAsync(CancellationToken.None).GetAwaiter().GetResult();
        _items.IndexAsync([.. Catalog.Items()], CancellationToken.None).GetAwaiter().GetResult();
    }

    public void Dispose() => _inner.Dispose();

    private ProfileUpdaterHandler Handler(RecordingPublisher publisher) =>
        new(_engine, publisher, _deadLetters, _options, new ParseLimits(), NullLogger<ProfileUpdaterHandler>.Instance, _time, _coEngagement);

    private static Click ClickAt(string user, string item, int minutes) => Catalog.Click(user, item, T0.AddMinutes(minutes));

    private async Task<long> StoredVersionAsync(string user) => (await _engine.LoadAsync([user], CancellationToken.None))[user].Version;

    [Fact]
    public async Task HandleAsync_ClickWithHistory_WritesTheUserWithItsOutboxThenPublishesEngagementsAndNotifies()
    {
        var publisher = new RecordingPublisher(_log);
        var handler = Handler(publisher);

        await handler.HandleAsync([Consumed.Event(ClickAt("u1", "space-1", 0), 0), Consumed.Event(ClickAt("u1", "space-2", 1), 1)], CancellationToken.None);

        // The state (with what the item side is about to get) before the engagements: a crash in between publishes the
        // saved contributions again on the replay. The state before the notification: the recommender must find it. The
        // two publishes go out side by side, in either order.
        Assert.Equal("upsert:" + Collections.Users, _log.Entries[0]);
        Assert.Equal(["publish:" + Topics.Engagements, "publish:" + Topics.UserVectors], _log.Entries.Skip(1).Order(StringComparer.Ordinal));
        var notice = Assert.Single(publisher.On<UserVectorUpdated>(Topics.UserVectors));
        Assert.Equal(("u1", 2L), (notice.UserId, notice.Version));
        var stored = (await _engine.LoadAsync(["u1"], CancellationToken.None))["u1"];
        Assert.Equal([("space-1", 0L), ("space-2", 1L)], stored.Outbox.Select(e => (e.Engagement.ItemId, e.TriggerOffset)));
        Assert.Equal(["space-1"], stored.Outbox[1].Engagement.History);
    }

    [Fact]
    public async Task HandleAsync_PairWithALowRatedItem_IsPublishedWithTheNotPositiveWeight()
    {
        var publisher = new RecordingPublisher();
        var review = Consumed.Event(Catalog.Review("u1", "football-1", 1.0, null, T0), 0, topic: Topics.UserEvents);

        await Handler(publisher).HandleAsync([review, Consumed.Event(ClickAt("u1", "space-1", 1), 1)], CancellationToken.None);

        var contributions = publisher.Published.Where(m => m.Topic == Topics.Engagements)
            .SelectMany(m => EngagementMessage.Parse(m.Value).Message!.Rows)
            .ToDictionary(r => r.ItemId, r => r.Contributions.SelectMany(c => c.Pairs).ToArray());
        var weight = CoEngagement.OnGrid(_coEngagement.NotPositivePairWeight);
        Assert.True(weight < 1);
        Assert.Equal(("football-1", weight), (Assert.Single(contributions["space-1"]).ItemId, contributions["space-1"][0].Weight));
        Assert.Equal(("space-1", weight), (Assert.Single(contributions["football-1"]).ItemId, contributions["football-1"][0].Weight));
    }

    /// <summary>
    /// What `make chaos` found (18 of 75 item rows missing contributions), without a broker: the first run parks u1's click
    /// on late-1 (not indexed), publishes u2's later click at offset 3 (space-1's row watermark becomes 3) and crashes
    /// before saving the users. On the replay late-1 is indexed, u1's click applies in order at offset 2, and the item
    /// side drops its contribution as "at or below the watermark".
    /// </summary>
    [Fact]
    public async Task HandleAsync_ReplayOfAnEventTheCrashedRunHadParked_ItsPairsStillReachTheItemSide()
    {
        var setup = new RecordingPublisher();
        await Handler(setup).HandleAsync([Consumed.Event(ClickAt("u1", "space-1", 0), 0), Consumed.Event(ClickAt("u2", "space-1", 1), 1)], CancellationToken.None);
        ConsumedMessage[] batch = [Consumed.Event(ClickAt("u1", "late-1", 2), 2), Consumed.Event(ClickAt("u2", "space-2", 3), 3)];
        var crashed = new RecordingPublisher();
        _store.FailUpsertsInto = Collections.Users;
        await Assert.ThrowsAnyAsync<Exception>(() => Handler(crashed).HandleAsync(batch, CancellationToken.None));
        _store.FailUpsertsInto = null;
        await _items.IndexAsync([Catalog.Item("late-1", "space", "rocket orbit", 9, T0)], CancellationToken.None);
        var replay = new RecordingPublisher();
        await Handler(replay).HandleAsync(batch, CancellationToken.None);

        var row = (await ItemSideAsync(setup, crashed, replay))["space-1"];
        Assert.True(row.Neighbours.ContainsKey("late-1"), "row space-1: " + string.Join(", ", row.Neighbours.Select(kv => kv.Key + " = " + kv.Value)));
    }

    /// <summary>
    /// A crash after the users are saved and before their contributions are out, replayed in smaller batches than the
    /// first run's: each replayed event publishes the saved contributions it produced at its own position. Were a user's
    /// whole outbox sent at its first replayed event, u1's offset-4 contribution to space-1 would raise the row's
    /// watermark before u2's offset 3 arrives, and the item side would drop the latter.
    /// </summary>
    [Fact]
    public async Task HandleAsync_ReplayInSmallerBatchesAfterACrashBeforePublishing_TheItemSideGetsEveryContributionOnce()
    {
        var setup = new RecordingPublisher();
        await Handler(setup).HandleAsync([Consumed.Event(ClickAt("u1", "space-1", 0), 0), Consumed.Event(ClickAt("u2", "space-1", 1), 1)], CancellationToken.None);
        ConsumedMessage[] batch =
        [
            Consumed.Event(ClickAt("u1", "space-2", 2), 2),
            Consumed.Event(ClickAt("u2", "space-3", 3), 3),
            Consumed.Event(ClickAt("u1", "space-4", 4), 4),
        ];
        var crashed = new RecordingPublisher { FailTopic = Topics.Engagements };
        await Assert.ThrowsAnyAsync<Exception>(() => Handler(crashed).HandleAsync(batch, CancellationToken.None));
        Assert.Equal(3, await StoredVersionAsync("u1") + await StoredVersionAsync("u2") - 2);

        var replay = new RecordingPublisher();
        var restarted = Handler(replay);
        foreach (var message in batch)
        {
            await restarted.HandleAsync([message], CancellationToken.None);
        }

        var expected = new CoEngagementTable(_coEngagement);
        foreach (var (history, item) in new (string[], string)[] { ([], "space-1"), ([], "space-1"), (["space-1"], "space-2"), (["space-1"], "space-3"), (["space-1", "space-2"], "space-4") })
        {
            expected.Observe(history, item);
        }

        var rows = await ItemSideAsync(setup, crashed, replay);
        foreach (var item in new[] { "space-1", "space-2", "space-3", "space-4" })
        {
            var (want, have) = (expected.RowOf(item)!, rows[item]);
            Assert.Equal(want.Count, have.Count);
            Assert.Equal(want.Neighbours.OrderBy(kv => kv.Key, StringComparer.Ordinal), have.Neighbours.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task HandleAsync_NextEventOfTheUserInThatPartition_DropsTheEntriesThatAreOutFromTheStoredOutbox()
    {
        var handler = Handler(new RecordingPublisher());
        await handler.HandleAsync([Consumed.Event(ClickAt("u1", "space-1", 0), 0), Consumed.Event(ClickAt("u1", "space-2", 1), 1)], CancellationToken.None);
        await handler.HandleAsync([Consumed.Event(ClickAt("u1", "space-3", 2), 2)], CancellationToken.None);

        var stored = (await _engine.LoadAsync(["u1"], CancellationToken.None))["u1"];
        Assert.Equal([2L], stored.Outbox.Select(e => e.TriggerOffset));
        Assert.Equal(["space-1", "space-2"], stored.Outbox[0].Engagement.History);
    }

    [Fact]
    public async Task RetryParkedAsync_ItemIndexedMeanwhile_SavesTheContributionBeforePublishingAndClearsItAfter()
    {
        var publisher = new RecordingPublisher(_log);
        var handler = Handler(publisher);
        await handler.HandleAsync([Consumed.Event(ClickAt("u1", "space-1", 0), 0), Consumed.Event(ClickAt("u1", "late-1", 1), 1)], CancellationToken.None);
        await _items.IndexAsync([Catalog.Item("late-1", "space", "rocket orbit", 9, T0)], CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(2));
        var before = _log.Entries.Count;

        await handler.RetryParkedAsync([Clicks0], maxKeys: 10, CancellationToken.None);

        // Written with the contribution, both published (side by side, in either order), written again without it.
        var entries = _log.Entries.Skip(before).ToList();
        Assert.Equal(4, entries.Count);
        Assert.Equal(("upsert:" + Collections.Users, "upsert:" + Collections.Users), (entries[0], entries[3]));
        Assert.Equal(["publish:" + Topics.Engagements, "publish:" + Topics.UserVectors], entries[1..3].Order(StringComparer.Ordinal));
        var stored = (await _engine.LoadAsync(["u1"], CancellationToken.None))["u1"];
        Assert.Empty(stored.Outbox);
        Assert.Null(stored.PendingNotice);
    }

    [Fact]
    public async Task RetryParkedAsync_CrashBeforeTheContributionIsOut_TheNextOwnerOfThePartitionPublishesItOnce()
    {
        var setup = new RecordingPublisher();
        await Handler(setup).HandleAsync([Consumed.Event(ClickAt("u1", "space-1", 0), 0), Consumed.Event(ClickAt("u1", "late-1", 1), 1)], CancellationToken.None);
        await _items.IndexAsync([Catalog.Item("late-1", "space", "rocket orbit", 9, T0)], CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(2));
        var crashed = new RecordingPublisher { FailTopic = Topics.Engagements };
        var first = Handler(crashed);
        first.OnPartitionsAssigned([Clicks0]);
        await Assert.ThrowsAnyAsync<Exception>(() => first.RetryParkedAsync([Clicks0], maxKeys: 10, CancellationToken.None));
        Assert.Single((await _engine.LoadAsync(["u1"], CancellationToken.None))["u1"].Outbox, e => e.TriggerKey is null);

        var next = new RecordingPublisher();
        var owner = Handler(next);
        owner.OnPartitionsAssigned([Clicks0]);
        await owner.RetryParkedAsync([Clicks0], maxKeys: 10, CancellationToken.None);
        await owner.RetryParkedAsync([Clicks0], maxKeys: 10, CancellationToken.None);

        var row = (await ItemSideAsync(setup, crashed, next))["space-1"];
        Assert.Equal(1.0, row.Neighbours["late-1"]);
        Assert.DoesNotContain((await _engine.LoadAsync(["u1"], CancellationToken.None))["u1"].Outbox, e => e.TriggerKey is null);
    }

    [Fact]
    public async Task HandleAsync_ItemSideOff_PublishesNoEngagementsAndKeepsNoOutbox()
    {
        var publisher = new RecordingPublisher();
        var handler = new ProfileUpdaterHandler(
            _engine, publisher, _deadLetters, new ProfileUpdaterOptions { PublishEngagements = false }, new ParseLimits(), NullLogger<ProfileUpdaterHandler>.Instance, _time, _coEngagement);

        await handler.HandleAsync([Consumed.Event(ClickAt("u1", "space-1", 0), 0), Consumed.Event(ClickAt("u1", "space-2", 1), 1)], CancellationToken.None);

        Assert.DoesNotContain(publisher.Published, m => m.Topic == Topics.Engagements);
        Assert.Empty((await _engine.LoadAsync(["u1"], CancellationToken.None))["u1"].Outbox);
        Assert.Equal(2, await StoredVersionAsync("u1"));
    }

    [Fact]
    public async Task HandleAsync_ForgetAfterAClick_PublishesTheClicksContributionThenClearsTheStoredOutbox()
    {
        var publisher = new RecordingPublisher();

        await Handler(publisher).HandleAsync(
            [Consumed.Event(ClickAt("u1", "space-1", 0), 0), Consumed.Event(ClickAt("u1", "space-2", 1), 1), Consumed.Event(new UserForget { EventId = "forget-u1", OccurredAt = T0.AddMinutes(2), UserId = "u1" }, 2)],
            CancellationToken.None);

        Assert.Contains(publisher.Published, m => m.Topic == Topics.Engagements);
        var stored = (await _engine.LoadAsync(["u1"], CancellationToken.None))["u1"];
        Assert.True(stored.Forgotten);
        Assert.Empty(stored.Outbox);
    }

    /// <summary>The item side after it consumed, in order, what <paramref name="publishers"/> published on its topic.</summary>
    private async Task<Dictionary<string, CoEngagementRow>> ItemSideAsync(params RecordingPublisher[] publishers)
    {
        var rows = new CoEngagementStore(_inner, _coEngagement, _time);
        await rows.EnsureCollectionAsync(CancellationToken.None);
        var published = publishers.SelectMany(p => p.Published).Where(m => m.Topic == Topics.Engagements);
        Assert.Empty(await new CoEngagementHandler(rows, _time).HandleAsync(Consumed.From(published), CancellationToken.None));
        return new(await rows.LoadAsync(["space-1", "space-2", "space-3", "space-4", "late-1"], CancellationToken.None), StringComparer.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_UserStateWriteFails_ThrowsAndNotifiesNobody()
    {
        var publisher = new RecordingPublisher(_log);
        _store.FailUpsertsInto = Collections.Users;

        await Assert.ThrowsAsync<InvalidOperationException>(() => Handler(publisher).HandleAsync([Consumed.Event(ClickAt("u1", "space-1", 0), 0)], CancellationToken.None));

        Assert.Empty(publisher.On<UserVectorUpdated>(Topics.UserVectors));
    }

    [Fact]
    public async Task HandleAsync_ReplayedOffsetAfterARestart_IsSkippedButItsUserIsNotifiedAgain()
    {
        var click = Consumed.Event(ClickAt("u1", "space-1", 0), 5);
        await Handler(new RecordingPublisher()).HandleAsync([click], CancellationToken.None);

        // A new process (empty cache) gets the same offset again: whether the first notification went out is unknown.
        var afterRestart = new RecordingPublisher();
        var poison = await Handler(afterRestart).HandleAsync([click], CancellationToken.None);

        Assert.Empty(poison);
        Assert.Equal(1, await StoredVersionAsync("u1"));
        Assert.Equal(1, Assert.Single(afterRestart.On<UserVectorUpdated>(Topics.UserVectors)).Version);
    }

    [Fact]
    public async Task HandleAsync_ReplayedOffsetAfterARestart_PublishesTheSavedContributionsAgain_WhichTheItemSideAppliesOnce()
    {
        var first = new RecordingPublisher();
        await Handler(first).HandleAsync([Consumed.Event(ClickAt("u1", "space-1", 0), 0)], CancellationToken.None);
        var click = Consumed.Event(ClickAt("u1", "space-2", 1), 1);
        await Handler(first).HandleAsync([click], CancellationToken.None);

        // Whether the first publication went out is unknown after a restart: the same bytes go out again.
        var afterRestart = new RecordingPublisher();
        await Handler(afterRestart).HandleAsync([click], CancellationToken.None);

        var again = afterRestart.Published.Where(m => m.Topic == Topics.Engagements).Select(m => m.Value).ToArray();
        Assert.NotEmpty(again);
        Assert.Equal(first.Published.Where(m => m.Topic == Topics.Engagements).Skip(first.Published.Count(m => m.Topic == Topics.Engagements) - again.Length).Select(m => m.Value), again);
        var rows = await ItemSideAsync(first, afterRestart);
        Assert.Equal(1.0, rows["space-1"].Neighbours["space-2"]);
        Assert.Equal(1.0, rows["space-2"].Count);
    }

    [Fact]
    public async Task HandleAsync_ReplayedOffsetInTheSameProcess_IsNotNotifiedTwice()
    {
        var publisher = new RecordingPublisher();
        var handler = Handler(publisher);
        var click = Consumed.Event(ClickAt("u1", "space-1", 0), 5);

        await handler.HandleAsync([click], CancellationToken.None);
        await handler.HandleAsync([click], CancellationToken.None);

        Assert.Single(publisher.On<UserVectorUpdated>(Topics.UserVectors));
        Assert.Equal(1, await StoredVersionAsync("u1"));
    }

    [Fact]
    public async Task HandleAsync_UnparsableAndMisplacedMessages_AreReportedAsPoisonByIndex_TheRestApplied()
    {
        var publisher = new RecordingPublisher();
        var item = Catalog.FreshItem("space-9", "space", T0);

        var poison = await Handler(publisher).HandleAsync(
        [
            Consumed.Event(ClickAt("u1", "space-1", 0), 0),
            Consumed.Raw(Topics.UserEvents, 1, "u1", "{not json"u8.ToArray()),
            Consumed.Event(item, 2, topic: Topics.UserEvents),
            Consumed.Event(ClickAt("u1", "space-2", 1), 3) with { Key = "someone-else" },
        ], CancellationToken.None);

        Assert.Equal([1, 2, 3], poison.Select(p => p.Index));
        Assert.Contains(DeadLetterCodes.WrongTopic, poison[1].Reason, StringComparison.Ordinal);
        Assert.Contains(DeadLetterCodes.KeyMismatch, poison[2].Reason, StringComparison.Ordinal);
        Assert.Equal(1, await StoredVersionAsync("u1"));
    }

    [Fact]
    public async Task HandleAsync_ClickOnAnItemNotIndexedYet_IsParkedInItsPartition_WithoutPoisonOrNotification()
    {
        var publisher = new RecordingPublisher();
        var handler = Handler(publisher);

        var poison = await handler.HandleAsync([Consumed.Event(ClickAt("u1", "late-1", 0), 0)], CancellationToken.None);

        Assert.Empty(poison);
        Assert.Empty(publisher.On<UserVectorUpdated>(Topics.UserVectors));
        Assert.Equal(1, handler.ParkedCount(Clicks0));
        Assert.Equal(0, handler.ParkedCount(new PartitionId(Topics.UserEvents, 1)));
    }

    [Fact]
    public async Task RetryParkedAsync_ItemIndexedMeanwhile_AppliesTheParkedClickAndNotifies()
    {
        var publisher = new RecordingPublisher();
        var handler = Handler(publisher);
        await handler.HandleAsync([Consumed.Event(ClickAt("u1", "late-1", 0), 0)], CancellationToken.None);
        await _items.IndexAsync([Catalog.Item("late-1", "space", "space rocket galaxy", 1, T0)], CancellationToken.None);

        _time.Advance(TimeSpan.FromSeconds(2));
        await handler.RetryParkedAsync([Clicks0], maxKeys: 10, CancellationToken.None);

        Assert.Equal(0, handler.ParkedCount(Clicks0));
        Assert.Equal("u1", Assert.Single(publisher.On<UserVectorUpdated>(Topics.UserVectors)).UserId);
        Assert.Empty(_deadLetters.Sent);
    }

    [Fact]
    public async Task RetryParkedAsync_ParkedLongerThanMaxAge_IsDeadLetteredAsRejected()
    {
        var handler = Handler(new RecordingPublisher());
        await handler.HandleAsync([Consumed.Event(ClickAt("u1", "never-indexed", 0), 7)], CancellationToken.None);

        _time.Advance(_options.ItemNotReadyMaxAge + TimeSpan.FromSeconds(1));
        await handler.RetryParkedAsync([Clicks0], maxKeys: 10, CancellationToken.None);

        var letter = Assert.Single(_deadLetters.Sent);
        Assert.Equal((Topics.UserEvents, 0, 7L), (letter.Message.Topic, letter.Message.Partition, letter.Message.Offset));
        Assert.Equal((DeadLetterKinds.Rejected, "profile-updater"), (letter.Kind, letter.Service));
        Assert.Equal(0, handler.ParkedCount(Clicks0));
    }

    [Fact]
    public async Task RetryParkedAsync_PartitionNotOwned_LeavesItsParkedEventsAlone()
    {
        var handler = Handler(new RecordingPublisher());
        await handler.HandleAsync([Consumed.Event(ClickAt("u1", "never-indexed", 0), 7)], CancellationToken.None);

        _time.Advance(_options.ItemNotReadyMaxAge + TimeSpan.FromSeconds(1));
        await handler.RetryParkedAsync([new PartitionId(Topics.UserEvents, 1)], maxKeys: 10, CancellationToken.None);

        Assert.Empty(_deadLetters.Sent);
        Assert.Equal(1, handler.ParkedCount(Clicks0));
    }

    [Fact]
    public async Task OnPartitionsRevoked_ForgetsTheParkedCountsOfThosePartitions()
    {
        var handler = Handler(new RecordingPublisher());
        await handler.HandleAsync([Consumed.Event(ClickAt("u1", "never-indexed", 0), 7)], CancellationToken.None);

        handler.OnPartitionsRevoked([Clicks0]);

        Assert.Equal(0, handler.ParkedCount(Clicks0));
    }
}
