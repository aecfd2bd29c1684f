using Microsoft.Extensions.Options;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Observability;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.Parking;
using StreamRec.TestSupport;
using StreamRec.VectorStore.Qdrant;

namespace StreamRec.Reliability.Tests.InProcess;

/// <summary>
/// The parked-user scan (what a partition's new owner runs after a restart or a rebalance) through the Qdrant adapter,
/// over gRPC to the in-memory Qdrant: a filter-only Scroll on <c>parked_in</c>, never a vector query.
/// </summary>
public sealed class QdrantParkingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ParkedUserScan_ThroughTheQdrantAdapter_FindsEveryParkedUserOfThePartitionAcrossPages_ByScroll()
    {
        await using var qdrant = await FakeQdrantGrpcServer.StartAsync();
        using var store = new QdrantVectorStore(Options.Create(new QdrantOptions { Url = qdrant.BaseAddress.ToString() }), TimeProvider.System);
        var encoder = new HashingEncoder();
        var engine = new ProfileEngine(store, encoder, new ProfileOptions(), TimeProvider.System);
        await engine.EnsureCollectionAsync(Ct);
        var policy = new ParkingPolicy(MaxAttempts: 10, MaxAge: TimeSpan.FromMinutes(5), MinBackoff: TimeSpan.FromSeconds(1), MaxBackoff: TimeSpan.FromSeconds(4), MaxPerKey: 10);
        var context = new ParkingContext(new Dictionary<string, float[]>(), new Dictionary<ParkedEvent, float[]>(), policy, Catalog.T0.AddDays(1));

        // 11 users parked from partition 0 (their only events are parked: all-zero vectors), 3 from partition 1, none from 2, 2 users with nothing parked.
        var profiles = new List<UserProfile>();
        UserProfile Parked(string user, int partition, long offset)
        {
            var profile = new UserProfile(user, encoder.Dimension);
            var click = Catalog.Click(user, "not-indexed-" + user, Catalog.T0);
            var result = engine.Accept(profile, new PositionedEvent(click, Topics.UserEvents, partition, offset, Catalog.T0), new ParkingSource(user, EventParser.Serialize(click)), null, context, new ParkingEffects());
            Assert.Equal(ApplyOutcome.Parked, result.Outcome);
            return profile;
        }

        profiles.AddRange(Enumerable.Range(0, 11).Select(i => Parked($"p0-{i:D2}", 0, i)));
        profiles.AddRange(Enumerable.Range(0, 3).Select(i => Parked($"p1-{i}", 1, i)));
        profiles.AddRange(new[] { "idle-1", "idle-2" }.Select(u => new UserProfile(u, encoder.Dimension)));
        await engine.SaveAsync(profiles, Ct);
        var queriesBefore = qdrant.CountCalls("Points/Query", Collections.Users);

        var found = await engine.UsersWithParkedEventsAsync(UserProfile.OffsetKey(Topics.UserEvents, 0), pageSize: 4, Ct);
        var other = await engine.UsersWithParkedEventsAsync(UserProfile.OffsetKey(Topics.UserEvents, 1), Ct);
        var none = await engine.UsersWithParkedEventsAsync(UserProfile.OffsetKey(Topics.UserEvents, 2), Ct);

        Assert.Equal(Enumerable.Range(0, 11).Select(i => $"p0-{i:D2}"), found.Select(p => p.UserId).Order(StringComparer.Ordinal));
        Assert.All(found, p => Assert.Equal("not-indexed-" + p.UserId, Assert.Single(p.Parked).ItemId));
        Assert.All(found, p => Assert.Equal(encoder.Dimension, p.LongTerm.Length));
        Assert.Equal(["p1-0", "p1-1", "p1-2"], other.Select(p => p.UserId).Order(StringComparer.Ordinal));
        Assert.Empty(none);
        // 11 users in pages of 4 take three scroll calls (plus one each for the other two scans); no vector query at all.
        Assert.True(qdrant.CountCalls("Points/Scroll", Collections.Users) >= 5, $"{qdrant.CountCalls("Points/Scroll", Collections.Users)} scroll calls");
        Assert.Equal(queriesBefore, qdrant.CountCalls("Points/Query", Collections.Users));
        Assert.Equal(1, qdrant.CountCalls("Points/CreateFieldIndex", Collections.Users));
    }

    [Fact]
    public async Task ParkedClick_OnTheQdrantAdapter_SurvivesARestart_AndTheNextHostFindsItAndAppliesItWhenItsItemArrives()
    {
        await using var qdrant = await FakeQdrantGrpcServer.StartAsync();
        await using var h = new PipelineHarness(partitions: 1);
        var settings = new Dictionary<string, string?>
        {
            ["StreamRec:VectorStore:Qdrant:Url"] = qdrant.BaseAddress.ToString(),
            ["StreamRec:ProfileUpdater:ItemNotReadyMaxAttempts"] = "1000",
            ["StreamRec:ProfileUpdater:ItemNotReadyMaxAge"] = "00:30:00",
        };
        var first = await h.StartHostAsync(settings: settings);
        await h.ProduceAsync([.. Catalog.Items()]);
        var items = Catalog.Items().ToArray();
        await h.ProduceAsync(Catalog.Click("warm-up", items[^1].ItemId, Catalog.T0));
        Assert.NotNull(h.WaitForList("warm-up", _ => true));
        var parkedBefore = StreamRecMetrics.ParkedEvents.WithLabels(Topics.UserEvents).Value;
        await h.ProduceAsync(Catalog.Click("gina", "late-gina", Catalog.T0.AddHours(1)));
        await WaitAsync(() => StreamRecMetrics.ParkedEvents.WithLabels(Topics.UserEvents).Value > parkedBefore, "the click to be parked");
        await h.StopHostAsync(first);
        var scrollsBefore = qdrant.CountCalls("Points/Scroll", Collections.Users);

        await h.StartHostAsync(settings: settings);
        await WaitAsync(() => qdrant.CountCalls("Points/Scroll", Collections.Users) > scrollsBefore, "the new owner to scan for parked users");
        await h.ProduceAsync(Catalog.FreshItem("late-gina", "space", Catalog.T0));

        // No further event of gina's: the new host found her parked click in Qdrant and retried it on its schedule.
        var list = h.WaitForList("gina", _ => true);
        Assert.NotNull(list);
        Assert.Contains("late-gina", list.Trigger.EventId, StringComparison.Ordinal);
        using var store = new QdrantVectorStore(Options.Create(new QdrantOptions { Url = qdrant.BaseAddress.ToString() }), TimeProvider.System);
        var gina = Assert.Single(await store.GetAsync(Collections.Users, ["gina"], withVectors: false, withPayload: true, Ct));
        Assert.Equal(1, gina.Payload![UserFields.Clicks]!.GetValue<long>());
        Assert.Null(gina.Payload[UserFields.Parked]);
    }

    /// <summary>Polls a condition (not a timing assertion: the limit only stops a broken run).</summary>
    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 1200 && !condition(); i++)
        {
            await Task.Delay(50, Ct);
        }

        Assert.True(condition(), $"gave up waiting for {what}");
    }
}
