using Microsoft.AspNetCore.Builder;
using StreamRec.Contracts;
using StreamRec.Observability;
using StreamRec.TestSupport;

namespace StreamRec.Pipeline.Tests.EndToEnd;

/// <summary>Events whose item is not indexed yet are parked in their user's state: nobody else waits for them.</summary>
public sealed class ParkingEndToEndTests
{
    // Parked events stay parked for the whole test unless their item arrives.
    private static readonly Dictionary<string, string?> KeepParked = new()
    {
        ["StreamRec:ProfileUpdater:ItemNotReadyMaxAttempts"] = "1000",
        ["StreamRec:ProfileUpdater:ItemNotReadyMaxAge"] = "00:30:00",
    };

    [Fact]
    public async Task ManyUnknownItemsInOneBatch_AcrossPartitions_OtherUsersListsArriveWhileTheyAreParked_AndEachAppliesOnceWhenIndexed()
    {
        await using var h = new PipelineHarness(partitions: 3);
        var app = await h.StartHostAsync(settings: KeepParked);
        await WarmUpCatalogAsync(h);

        var parkedUsers = Enumerable.Range(1, 6).Select(i => $"parked-{i}").ToArray();
        var validUsers = Enumerable.Range(1, 6).Select(i => $"valid-{i}").ToArray();
        var t = Catalog.T0.AddHours(2);
        var events = new List<IStreamRecEvent>();
        for (var i = 0; i < 6; i++)
        {
            events.Add(Catalog.Click(parkedUsers[i], $"late-{i}", t.AddSeconds(i)));
            events.Add(Catalog.Click(validUsers[i], $"garden-{(i % 5) + 1}", t.AddSeconds(i)));
            events.Add(Catalog.Click(parkedUsers[i], "cooking-1", t.AddSeconds(i + 10))); // waits behind the unknown item
        }

        var parkedBefore = ParkedNow();
        await h.ProduceAsync([.. events]);

        var read = h.ReadUntil(Topics.Recommendations, r =>
        {
            var lists = PipelineHarness.LatestLists(r);
            return validUsers.All(u => lists.TryGetValue(u, out var l) && l.Trigger.EventId.StartsWith($"click-{u}-garden", StringComparison.Ordinal));
        });
        var listsSoFar = PipelineHarness.LatestLists(read);

        Assert.All(validUsers, u => Assert.Equal("personalized", listsSoFar[u].Strategy));
        Assert.All(parkedUsers, u => Assert.False(listsSoFar.ContainsKey(u), $"{u} got a list while its first event waits"));
        Assert.Equal(12, ParkedNow() - parkedBefore);
        Assert.True(await WaitUntilAsync(() => ClicksLag() >= 12), "the consumer-lag gauge counts what waits");
        Assert.Empty(h.ReadUntil(Topics.DeadLetter, r => r.Count > 0, TimeSpan.FromSeconds(1)));

        await h.ProduceAsync([.. Enumerable.Range(0, 6).Select(i => Catalog.FreshItem($"late-{i}", "space", Catalog.T0))]);
        var after = h.ReadUntil(Topics.Recommendations, r =>
        {
            var lists = PipelineHarness.LatestLists(r);
            return parkedUsers.All(u => lists.TryGetValue(u, out var l) && l.Trigger.EventId.Contains("cooking-1", StringComparison.Ordinal));
        });
        Assert.All(parkedUsers, u => Assert.True(PipelineHarness.LatestLists(after).ContainsKey(u), $"{u} has no list after its item arrived"));
        Assert.True(await WaitUntilAsync(() => ParkedNow() == parkedBefore), "nothing left parked");

        await h.StopHostAsync(app);
        var users = await h.ReadUsersAsync([.. parkedUsers, .. validUsers]);
        Assert.All(parkedUsers, u =>
        {
            Assert.Equal(2, users[u].Payload!["clicks"]!.GetValue<long>());
            Assert.Equal(2, users[u].Payload!["version"]!.GetValue<long>());
            Assert.Null(users[u].Payload!["parked"]);
        });
        Assert.All(validUsers, u => Assert.Equal(1, users[u].Payload!["clicks"]!.GetValue<long>()));
        Assert.Empty(h.ReadUntil(Topics.DeadLetter, r => r.Count > 0, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task ParkedEvent_SurvivesARestart_AndTheNextHostAppliesItOnceItsItemArrives()
    {
        await using var h = new PipelineHarness(partitions: 1);
        await ParkGinasClickThenStopAsync(h);

        await h.StartHostAsync(settings: KeepParked);

        // No further event of gina's: the new host found her parked click in the store and retried it on its schedule.
        await AssertGinaGetsHerListWhenHerItemArrivesAsync(h);
    }

    [Fact]
    public async Task ParkedUser_LoadedByTheNewHostsFirstBatchBeforeItsScan_IsStillRetriedOnSchedule()
    {
        // The first batch after the restart loads gina (an event of hers that changes nothing: rejected for its future
        // timestamp) before the new host's scan for parked users runs; she must still be scheduled.
        var slowSweep = new Dictionary<string, string?>(KeepParked) { ["StreamRec:ProfileUpdater:ParkedSweepInterval"] = "00:00:03" };
        await using var h = new PipelineHarness(partitions: 1);
        await ParkGinasClickThenStopAsync(h);

        await h.ProduceAsync(Catalog.Click("gina", "garden-1", DateTimeOffset.UtcNow.AddDays(30)));
        await h.StartHostAsync(settings: slowSweep);
        Assert.NotEmpty(h.ReadUntil(Topics.DeadLetter, r => r.Count > 0));

        await AssertGinaGetsHerListWhenHerItemArrivesAsync(h);
    }

    /// <summary>A host parks gina's click on the unknown item late-gina, then stops.</summary>
    private static async Task ParkGinasClickThenStopAsync(PipelineHarness h)
    {
        var first = await h.StartHostAsync(settings: KeepParked);
        await WarmUpCatalogAsync(h);
        var parkedBefore = ParkedNow();
        await h.ProduceAsync(Catalog.Click("gina", "late-gina", Catalog.T0.AddHours(1)));
        Assert.True(await WaitUntilAsync(() => ParkedNow() > parkedBefore), "the click is parked");
        await h.StopHostAsync(first);
    }

    private static async Task AssertGinaGetsHerListWhenHerItemArrivesAsync(PipelineHarness h)
    {
        await h.ProduceAsync(Catalog.FreshItem("late-gina", "space", Catalog.T0));
        var list = h.WaitForList("gina", _ => true);
        Assert.NotNull(list);
        Assert.Contains("late-gina", list.Trigger.EventId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameClickAtTwoOffsets_IsAppliedOnce_AndCountedAsADuplicate()
    {
        await using var h = new PipelineHarness(partitions: 1);
        var app = await h.StartHostAsync();
        await WarmUpCatalogAsync(h);
        var duplicatesBefore = StreamRecMetrics.DuplicateEvents.WithLabels(Topics.UserEvents).Value;
        var click = Catalog.Click("hank", "garden-1", Catalog.T0.AddHours(1));
        await h.ProduceAsync(click, click, Catalog.Click("hank", "garden-2", Catalog.T0.AddHours(2)));

        Assert.NotNull(h.WaitForList("hank", l => l.Trigger.EventId.Contains("garden-2", StringComparison.Ordinal)));
        await h.StopHostAsync(app);

        var hank = (await h.ReadUsersAsync(["hank"]))["hank"];
        Assert.Equal(2, hank.Payload!["clicks"]!.GetValue<long>());
        Assert.Equal(1, StreamRecMetrics.DuplicateEvents.WithLabels(Topics.UserEvents).Value - duplicatesBefore);
    }

    /// <summary>A user clicks every catalog item; the list for the last click means all of them were indexed (later events wait behind parked ones).</summary>
    private static async Task WarmUpCatalogAsync(PipelineHarness h)
    {
        await h.ProduceAsync([.. Catalog.Items()]);
        var items = Catalog.Items().ToArray();
        await h.ProduceAsync([.. items.Select((item, i) => Catalog.Click("warm-up", item.ItemId, Catalog.T0.AddSeconds(i)))]);
        var last = Catalog.Click("warm-up", items[^1].ItemId, Catalog.T0.AddSeconds(items.Length - 1)).EventId;
        Assert.NotNull(h.WaitForList("warm-up", l => l.Trigger.EventId == last));
    }

    private static double ParkedNow() =>
        StreamRecMetrics.ParkedEvents.WithLabels(Topics.UserEvents).Value;

    private static double ClicksLag() =>
        Enumerable.Range(0, 3).Sum(p => StreamRecMetrics.ConsumerLag.WithLabels(Topics.UserEvents, p.ToString(System.Globalization.CultureInfo.InvariantCulture)).Value);

    /// <summary>Polls a condition (not a timing assertion: the limit only stops a broken run).</summary>
    private static async Task<bool> WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 600 && !condition(); i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return condition();
    }
}
