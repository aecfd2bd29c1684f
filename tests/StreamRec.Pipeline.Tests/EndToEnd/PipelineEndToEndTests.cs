using Microsoft.Extensions.DependencyInjection;
using StreamRec.Contracts;
using StreamRec.Pipeline.Engines;
using StreamRec.Ports;
using StreamRec.TestSupport;

namespace StreamRec.Pipeline.Tests.EndToEnd;

/// <summary>The three services in one host, against the dev broker over TCP and the embedded store.</summary>
public sealed class PipelineEndToEndTests
{
    [Fact]
    public async Task ClickingUser_GetsPersonalListWithoutSeenItems_WithAFreshSimilarItem_ThatChangesAfterNewClicks()
    {
        await using var h = new PipelineHarness();
        // Relevance only (λ = 1): with the default λ = 0.5, MMR rightly mixes other topics into a three-item list of a
        // tiny catalogue; the diversity trade-off is tested in the ranker's tests and measured by the evaluation.
        var app = await h.StartHostAsync(settings: new Dictionary<string, string?> { ["StreamRec:Ranking:ListSize"] = "3", ["StreamRec:Ranking:MmrLambda"] = "1" });
        await h.ProduceAsync([.. Catalog.Items()]);
        await h.ProduceAsync(Catalog.Click("alice", "space-1", Catalog.T0), Catalog.Click("alice", "space-2", Catalog.T0.AddMinutes(1)));

        var first = h.WaitForList("alice", l => l.Trigger.EventId == $"click-alice-space-2-{Catalog.T0.AddMinutes(1).ToUnixTimeMilliseconds()}");
        Assert.NotNull(first);
        Assert.Equal("personalized", first.Strategy);
        Assert.Equal(3, first.Items.Count);
        Assert.DoesNotContain(first.Items, i => i.ItemId is "space-1" or "space-2");
        Assert.All(first.Items, i => Assert.StartsWith("space-", i.ItemId));
        Assert.Equal([1, 2, 3], first.Items.Select(i => i.Rank));
        Assert.All(first.Items, i => Assert.NotEmpty(i.Reasons));

        // A new space item is published; the next click brings it into the list.
        await h.ProduceAsync(Catalog.FreshItem("space-new", "space", Catalog.T0.AddMinutes(2)));
        // The indexer must have written it before the click that should surface it (a fixed wait is a race on a busy machine).
        var store = app.Services.GetRequiredService<IVectorStore>();
        var started = TimeProvider.System.GetTimestamp();
        while ((await store.GetAsync(Collections.Items, ["space-new"], withVectors: false, withPayload: false, TestContext.Current.CancellationToken)).Count == 0)
        {
            Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(60), "the indexer did not write space-new within a minute");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        await h.ProduceAsync(Catalog.Click("alice", "space-3", Catalog.T0.AddMinutes(3)));
        var second = h.WaitForList("alice", l => l.Items.Any(i => i.ItemId == "space-new"));
        Assert.NotNull(second);
        Assert.Contains(second.Items, i => i.ItemId == "space-new");
        Assert.Contains("fresh", second.Items.Single(i => i.ItemId == "space-new").Reasons);
        Assert.DoesNotContain(second.Items, i => i.ItemId is "space-1" or "space-2" or "space-3");
        Assert.NotEqual(first.Items.Select(i => i.ItemId), second.Items.Select(i => i.ItemId));

        // Interest moves: after several cooking clicks the list follows.
        var t = Catalog.T0.AddHours(1);
        await h.ProduceAsync(
            Catalog.Click("alice", "cooking-1", t),
            Catalog.Click("alice", "cooking-2", t.AddMinutes(1)),
            Catalog.Click("alice", "cooking-3", t.AddMinutes(2)),
            Catalog.Click("alice", "cooking-4", t.AddMinutes(3)));
        var third = h.WaitForList("alice", l => l.Items.Any(i => i.ItemId == "cooking-5"));
        Assert.NotNull(third);
        Assert.Contains(third.Items, i => i.ItemId == "cooking-5");
    }

    [Fact]
    public async Task ColdUser_WithoutUsableHistory_GetsTheTrendingList()
    {
        await using var h = new PipelineHarness();
        await h.StartHostAsync();
        await h.ProduceAsync([.. Catalog.Items()]);
        var t = Catalog.T0;
        // garden-2 is clicked most, then football-1.
        await h.ProduceAsync(
            Catalog.Click("u1", "garden-2", t), Catalog.Click("u2", "garden-2", t.AddSeconds(1)), Catalog.Click("u3", "garden-2", t.AddSeconds(2)),
            Catalog.Click("u1", "football-1", t.AddSeconds(3)), Catalog.Click("u2", "football-1", t.AddSeconds(4)),
            Catalog.Click("u3", "cooking-5", t.AddSeconds(5)));
        Assert.NotNull(h.WaitForList("u3", l => l.Trigger.EventId.Contains("cooking-5", StringComparison.Ordinal)));

        // A neutral review (rating 3 weighs 0) gives the new user no direction yet.
        await h.ProduceAsync(Catalog.Review("newcomer", "space-1", 3.0, null, t.AddSeconds(10)));
        var list = h.WaitForList("newcomer", _ => true);
        Assert.NotNull(list);
        Assert.Equal("trending", list.Strategy);
        Assert.Equal(["garden-2", "football-1", "cooking-5"], list.Items.Take(3).Select(i => i.ItemId));
        Assert.All(list.Items, i => Assert.Contains("trending", i.Reasons));
        Assert.DoesNotContain(list.Items, i => i.ItemId == "space-1");
    }

    [Fact]
    public async Task PoisonEvents_GoToTheDeadLetterTopicWithTheirReason_AndThePartitionKeepsFlowing()
    {
        await using var h = new PipelineHarness(partitions: 1);
        await h.StartHostAsync();
        await h.ProduceAsync([.. Catalog.Items()]);
        await h.ProduceRawAsync(Topics.UserEvents, "bob", "{not json"u8.ToArray());
        await h.ProduceRawAsync(Topics.UserEvents, "bob", """{"schema":"streamrec.click/v9","event_id":"e","occurred_at":"2026-11-01T00:00:00Z","user_id":"bob","item_id":"x"}"""u8.ToArray());
        await h.ProduceRawAsync(Topics.UserEvents, "bob", [0xC3, 0x28]);
        await h.ProduceAsync(Catalog.Click("bob", "garden-1", Catalog.T0));

        var list = h.WaitForList("bob", l => l.Strategy == "personalized");
        Assert.NotNull(list);

        var dead = h.ReadUntil(Topics.DeadLetter, r => r.Count >= 3);
        Assert.Equal(3, dead.Count);
        var errors = dead.Select(d => PipelineHarness.Header(d, "error")).ToArray();
        Assert.Contains(errors, e => e.StartsWith("MalformedJson", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("UnknownSchema", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("InvalidUtf8", StringComparison.Ordinal));
        Assert.All(dead, d =>
        {
            Assert.Equal("bob", d.Message.Key);
            Assert.Equal("profile-updater", PipelineHarness.Header(d, "service"));
            Assert.Contains(PipelineHarness.Header(d, "source-topic"), new[] { Topics.UserEvents });
            Assert.Equal("0", PipelineHarness.Header(d, "source-partition"));
        });
        Assert.Equal("{not json"u8.ToArray(), dead.Single(d => PipelineHarness.Header(d, "error").StartsWith("MalformedJson", StringComparison.Ordinal)).Message.Value);
    }

    [Fact]
    public async Task ForgetRequest_PublishesAnEmptyList_AndErasesTheUsersVectors()
    {
        await using var h = new PipelineHarness();
        var app = await h.StartHostAsync();
        await h.ProduceAsync([.. Catalog.Items()]);
        await h.ProduceAsync(Catalog.Click("carol", "football-1", Catalog.T0));
        Assert.NotNull(h.WaitForList("carol", l => l.Strategy == "personalized"));

        await h.ProduceAsync(new UserForget { EventId = "forget-carol", OccurredAt = Catalog.T0.AddMinutes(1), UserId = "carol" });
        var list = h.WaitForList("carol", l => l.Strategy == "forgotten");
        Assert.NotNull(list);
        Assert.Empty(list.Items);

        await h.StopHostAsync(app);
        var users = await h.ReadUsersAsync(["carol"]);
        var carol = users["carol"];
        Assert.All(carol.Vectors.Values, v => Assert.All(v, x => Assert.Equal(0f, x)));
        Assert.Empty(carol.Payload!["recent"]!.AsArray());
        Assert.True(carol.Payload!["forgotten"]!.GetValue<bool>());
    }

    [Fact]
    public async Task RetiredItems_AreNotRecommended_AndStaleItemUpdatesAreIgnored()
    {
        await using var h = new PipelineHarness();
        await h.StartHostAsync(settings: new Dictionary<string, string?> { ["StreamRec:Ranking:ListSize"] = "4" });
        await h.ProduceAsync([.. Catalog.Items()]);
        // Catalog items carry no version: theirs is occurred_at in Unix ms. The retirement is newer.
        await h.ProduceAsync(new ItemRetired { EventId = "retire-garden-3", OccurredAt = Catalog.T0, ItemId = "garden-3" });
        // An older version arriving later must not bring garden-3 back.
        await h.ProduceAsync(Catalog.Item("garden-3", "garden", "garden flower soil seed plant water tree leaf", 3, Catalog.T0.AddDays(-40), version: Catalog.T0.AddDays(-1).ToUnixTimeMilliseconds()));
        await h.ProduceAsync(Catalog.Click("dave", "garden-1", Catalog.T0.AddMinutes(1)), Catalog.Click("dave", "garden-2", Catalog.T0.AddMinutes(2)));

        var list = h.WaitForList("dave", l => l.Trigger.EventId.Contains("garden-2", StringComparison.Ordinal));
        Assert.NotNull(list);
        Assert.Equal(4, list.Items.Count);
        Assert.DoesNotContain(list.Items, i => i.ItemId == "garden-3");
        Assert.Contains(list.Items, i => i.ItemId == "garden-4");
        Assert.Contains(list.Items, i => i.ItemId == "garden-5");
    }

    [Fact]
    public async Task ClickOnAnItemNotIndexedYet_WaitsForTheItem_AndIsNeitherDroppedNorDeadLettered()
    {
        await using var h = new PipelineHarness(partitions: 1);
        // Attempts 20-200 ms apart: 300 outlast the second the item arrives late by, and its indexing on a loaded machine.
        await h.StartHostAsync(settings: new Dictionary<string, string?> { ["StreamRec:ProfileUpdater:ItemNotReadyMaxAttempts"] = "300" });
        await h.ProduceAsync([.. Catalog.Items()]);
        var late = Catalog.FreshItem("space-late", "space", Catalog.T0);
        await h.ProduceAsync(Catalog.Click("erin", "space-late", Catalog.T0.AddMinutes(1)));
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        await h.ProduceAsync(late);

        var list = h.WaitForList("erin", _ => true);

        Assert.NotNull(list);
        Assert.Equal("personalized", list.Strategy);
        Assert.Contains("space-late", list.Trigger.EventId, StringComparison.Ordinal);
        Assert.DoesNotContain(list.Items, i => i.ItemId == "space-late");
        Assert.Empty(h.ReadUntil(Topics.DeadLetter, r => r.Count > 0, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task ClickOnAnItemThatNeverArrives_IsDeadLetteredAfterBoundedRetries_AndTheUsersNextEventsFlow()
    {
        await using var h = new PipelineHarness(partitions: 1);
        await h.StartHostAsync(); // the harness allows 3 attempts with 20-200 ms back-off
        await h.ProduceAsync([.. Catalog.Items()]);
        await h.ProduceAsync(Catalog.Click("frank", "no-such-item", Catalog.T0), Catalog.Click("frank", "garden-1", Catalog.T0.AddMinutes(1)));

        var dead = h.ReadUntil(Topics.DeadLetter, r => r.Count > 0);
        var list = h.WaitForList("frank", l => l.Trigger.EventId.Contains("garden-1", StringComparison.Ordinal));

        var letter = Assert.Single(dead);
        Assert.StartsWith("ItemNotIndexed", PipelineHarness.Header(letter, "error"), StringComparison.Ordinal);
        Assert.NotNull(list);
        Assert.Equal("personalized", list.Strategy);
    }

    [Fact]
    public async Task UserVectorNotification_ForAUserTheStoreDoesNotHold_PublishesNoList()
    {
        await using var h = new PipelineHarness(partitions: 1);
        await h.StartHostAsync();
        await h.ProduceAsync([.. Catalog.Items()]);
        var ignoredBefore = StreamRec.Observability.StreamRecMetrics.EventsProcessed.WithLabels(Topics.UserVectors, "unknown_user").Value;
        var forged = new UserVectorUpdated
        {
            EventId = "forged-1",
            OccurredAt = Catalog.T0,
            UserId = "ghost",
            Version = 1,
            Trigger = new TriggerRef { EventId = "nothing", OccurredAt = Catalog.T0 },
        };
        await h.ProduceAsync(forged);
        await h.ProduceAsync(Catalog.Click("ivy", "garden-1", Catalog.T0.AddMinutes(1)));

        // ivy's notification follows the forged one in the single user-vectors partition: once her list is out, the forged one was handled.
        var read = h.ReadUntil(Topics.Recommendations, r => PipelineHarness.LatestLists(r).ContainsKey("ivy"));

        Assert.True(PipelineHarness.LatestLists(read).ContainsKey("ivy"));
        Assert.False(PipelineHarness.LatestLists(read).ContainsKey("ghost"));
        Assert.Equal(1, StreamRec.Observability.StreamRecMetrics.EventsProcessed.WithLabels(Topics.UserVectors, "unknown_user").Value - ignoredBefore);
    }
}
