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

namespace StreamRec.Pipeline.Tests.ItemSide;

/// <summary>
/// What `make chaos` found (18 of 75 rows missing contributions), reproduced without a broker: the profile-updater parks
/// a's click on late-1 (not indexed), publishes b's later click at offset 3 (raising space-1's row watermark to 3), and
/// crashes before saving the users. On the replay late-1 is indexed, a's click applies in order at offset 2, and the
/// item side drops its contribution as "at or below the watermark". Skipped until the engagement outbox lands.
/// </summary>
public sealed class ItemSideReplayTests
{
    [Fact(Skip = "Known bug (issue 12): the replay of an event the first run parked loses its item-side contribution; fix planned: an engagement outbox in the user state (docs/reliability.md)")]
    public async Task Replay_EventTheCrashedRunHadParked_ItsPairsStillReachTheItemSide()
    {
        var t0 = Catalog.T0;
        using var inner = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
        var log = new EffectLog();
        var store = new RecordingVectorStore(inner, log);
        var encoder = new HashingEncoder();
        var time = new FakeTimeProvider(t0.AddDays(1));
        var co = new CoEngagementOptions { Buckets = 4 };
        var engine = new ProfileEngine(store, encoder, new ProfileOptions(), time, co);
        var items = new ItemIndexEngine(inner, encoder, time);
        await items.EnsureCollectionAsync(CancellationToken.None);
        await engine.EnsureCollectionAsync(CancellationToken.None);
        await items.IndexAsync([.. Catalog.Items()], CancellationToken.None);
        var options = new ProfileUpdaterOptions { ItemNotReadyMaxAge = TimeSpan.FromMinutes(5), ParkedRetryMinBackoff = TimeSpan.FromSeconds(1) };
        ProfileUpdaterHandler Handler(IEventPublisher p) => new(engine, p, new RecordingDeadLetters(), options, new ParseLimits(), NullLogger<ProfileUpdaterHandler>.Instance, time, co);

        var setup = new RecordingPublisher();
        await Handler(setup).HandleAsync([Consumed.Event(Catalog.Click("a", "space-1", t0), 0), Consumed.Event(Catalog.Click("b", "space-1", t0.AddMinutes(1)), 1)], CancellationToken.None);
        ConsumedMessage[] batch = [Consumed.Event(Catalog.Click("a", "late-1", t0.AddMinutes(2)), 2), Consumed.Event(Catalog.Click("b", "space-2", t0.AddMinutes(3)), 3)];

        // The first run publishes b's engagement, then fails writing the users: a crash before the state is saved.
        var run1 = new RecordingPublisher();
        store.FailUpsertsInto = Collections.Users;
        await Assert.ThrowsAnyAsync<Exception>(() => Handler(run1).HandleAsync(batch, CancellationToken.None));
        store.FailUpsertsInto = null;
        await items.IndexAsync([Catalog.Item("late-1", "space", "rocket orbit", 9, t0)], CancellationToken.None);
        var run2 = new RecordingPublisher();
        await Handler(run2).HandleAsync(batch, CancellationToken.None);

        var rows = new CoEngagementStore(inner, co, time);
        await rows.EnsureCollectionAsync(CancellationToken.None);
        var itemSide = new CoEngagementHandler(rows, time);
        long offset = 0;
        foreach (var p in new[] { setup, run1, run2 })
        {
            var messages = p.Published.Where(m => m.Topic == Topics.Engagements).Select(m => new ConsumedMessage(m.Topic, 0, offset++, m.Key, m.Value, DateTimeOffset.UnixEpoch, [])).ToList();
            Assert.Empty(await itemSide.HandleAsync(messages, CancellationToken.None));
        }

        var stored = await rows.LoadAsync(["space-1", "late-1"], CancellationToken.None);
        Assert.True(stored["space-1"].Neighbours.ContainsKey("late-1"), "row space-1: " + string.Join(", ", stored["space-1"].Neighbours.Select(kv => kv.Key + " = " + kv.Value)));
    }
}
