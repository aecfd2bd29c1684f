using Microsoft.Extensions.Time.Testing;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Pipeline.Engines;
using StreamRec.TestSupport;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.Pipeline.Tests.Engines;

/// <summary>The engines the services and the evaluation share, on an in-memory store and a hashing encoder (no Kafka).</summary>
public sealed class EngineTests : IDisposable
{
    private static readonly DateTimeOffset T0 = Catalog.T0;
    private readonly EmbeddedVectorStore _store = new(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
    private readonly HashingEncoder _encoder = new();
    private readonly FakeTimeProvider _time = new(T0.AddDays(1));
    private readonly ProfileOptions _profileOptions = new();
    private readonly RankingOptions _ranking = new() { ListSize = 4 };
    private readonly ItemIndexEngine _items;
    private readonly ProfileEngine _profiles;
    private readonly TrendingCounter _trending = new(TimeSpan.FromHours(6));
    private readonly RecommendationEngine _recommendations;

    public EngineTests()
    {
        _items = new ItemIndexEngine(_store, _encoder, _time);
        _profiles = new ProfileEngine(_store, _encoder, _profileOptions, _time);
        _recommendations = new RecommendationEngine(_store, _trending, _ranking, _profileOptions, _time);
        _items.EnsureCollectionAsync(CancellationToken.None).GetAwaiter().GetResult();
        _profiles.EnsureCollectionAsync(CancellationToken.None).GetAwaiter().GetResult();
        _items.IndexAsync([.. Catalog.Items()], CancellationToken.None).GetAwaiter().GetResult();
    }

    public void Dispose() => _store.Dispose();

    private static PositionedEvent At(IStreamRecEvent e, long offset, string? topic = null) => new(e, topic ?? e.Topic, 0, offset, e.OccurredAt);

    private async Task<UserProfile> ApplyAllAsync(string user, params PositionedEvent[] events)
    {
        var profile = (await _profiles.LoadAsync([user], CancellationToken.None))[user];
        var vectors = await _profiles.ItemVectorsAsync(events.Select(e => ProfileEngine.ItemIdOf(e.Event)).OfType<string>().ToArray(), CancellationToken.None);
        var texts = await _profiles.ReviewTextVectorsAsync(events, CancellationToken.None);
        for (var i = 0; i < events.Length; i++)
        {
            var itemId = ProfileEngine.ItemIdOf(events[i].Event);
            _profiles.Apply(profile, events[i], itemId is null ? null : vectors.GetValueOrDefault(itemId), texts[i]);
        }

        return profile;
    }

    [Fact]
    public async Task IndexAsync_OlderOrEqualVersion_IsIgnored_NewerReplaces()
    {
        var newer = Catalog.Item("space-1", "space", "brand new words entirely", 1, T0, version: T0.AddDays(1).ToUnixTimeMilliseconds());
        var older = Catalog.Item("space-1", "space", "stale words", 1, T0, version: T0.AddDays(-60).ToUnixTimeMilliseconds());

        var first = await _items.IndexAsync([newer], CancellationToken.None);
        var second = await _items.IndexAsync([older, newer], CancellationToken.None);

        Assert.Equal(new IndexResult(1, 0, 0), first);
        Assert.Equal(new IndexResult(0, 0, 2), second);
        var stored = (await _store.GetAsync(Collections.Items, ["space-1"], true, true, CancellationToken.None)).Single();
        Assert.Equal(newer.Title, stored.Payload![ItemFields.Title]!.GetValue<string>());
    }

    [Fact]
    public async Task IndexAsync_RetirementBeforeTheItem_LeavesATombstoneThatBlocksOlderUpserts()
    {
        var retire = new ItemRetired { EventId = "r", OccurredAt = T0, ItemId = "ghost", Version = 10 };
        var late = Catalog.Item("ghost", "space", "space rocket", 1, T0, version: 5);

        await _items.IndexAsync([retire], CancellationToken.None);
        var result = await _items.IndexAsync([late], CancellationToken.None);

        Assert.Equal(1, result.Stale);
        Assert.Empty(await _profiles.ItemVectorsAsync(["ghost"], CancellationToken.None));
    }

    [Fact]
    public async Task Apply_ReplayedOffset_ChangesNothing()
    {
        var click = At(Catalog.Click("u", "space-1", T0), offset: 7);
        var profile = await ApplyAllAsync("u", click);
        var before = (ShortTerm: (float[])profile.ShortTerm.Clone(), profile.Version);

        var vector = (await _profiles.ItemVectorsAsync(["space-1"], CancellationToken.None))["space-1"];
        var again = _profiles.Apply(profile, click, vector, null);

        Assert.Equal(ApplyOutcome.SkippedReplay, again.Outcome);
        Assert.Equal(before.ShortTerm, profile.ShortTerm);
        Assert.Equal(before.Version, profile.Version);
    }

    [Fact]
    public async Task Apply_OutOfOrderEvents_GiveTheSameStateAsInOrder()
    {
        var a = Catalog.Click("u", "space-1", T0);
        var b = Catalog.Click("u", "cooking-1", T0.AddHours(5));
        var c = Catalog.Review("u", "garden-1", 4.5, "lovely flowers", T0.AddHours(30));

        var inOrder = await ApplyAllAsync("u1", At(a, 1), At(b, 2), At(c, 3, Topics.UserEvents));
        var shuffled = await ApplyAllAsync("u2", At(c, 1, Topics.UserEvents), At(a, 2), At(b, 3));

        for (var i = 0; i < inOrder.Dimension; i++)
        {
            Assert.Equal(inOrder.ShortTerm[i], shuffled.ShortTerm[i], 1e-5f);
            Assert.Equal(inOrder.LongTerm[i], shuffled.LongTerm[i], 1e-5f);
        }
    }

    [Fact]
    public async Task IndexAsync_ForcedRetire_RemovesAnItemWithAPoisonedVersion_AndLaterUpdatesWorkAgain()
    {
        var poisoned = Catalog.Item("space-9", "space", "poisoned words", 1, T0, version: new DateTimeOffset(2199, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds());
        await _items.IndexAsync([poisoned], CancellationToken.None);

        var plain = await _items.IndexAsync([new ItemRetired { EventId = "r1", OccurredAt = T0.AddDays(1), ItemId = "space-9" }], CancellationToken.None);
        var forced = await _items.IndexAsync([new ItemRetired { EventId = "r2", OccurredAt = T0.AddDays(1), ItemId = "space-9", Force = true }], CancellationToken.None);
        var point = (await _store.GetAsync(Collections.Items, ["space-9"], withVectors: false, withPayload: true, CancellationToken.None)).Single();

        Assert.Equal(1, plain.Stale);
        Assert.Equal(1, forced.Retired);
        Assert.True(point.Payload![ItemFields.Retired]!.GetValue<bool>());
        Assert.Equal(T0.AddDays(1).ToUnixTimeMilliseconds(), point.Payload![ItemFields.Version]!.GetValue<long>());

        var revived = await _items.IndexAsync([Catalog.Item("space-9", "space", "fixed words", 1, T0, version: T0.AddDays(2).ToUnixTimeMilliseconds())], CancellationToken.None);
        Assert.Equal(1, revived.Upserted);
    }

    [Fact]
    public async Task Apply_ItemNotIndexed_IsNotReady_AndFutureEvents_AreRejected()
    {
        var profile = new UserProfile("u", _encoder.Dimension);

        var missing = _profiles.Apply(profile, At(Catalog.Click("u", "nope", T0), 1), null, null);
        var future = _profiles.Apply(profile, At(Catalog.Click("u", "space-1", _time.GetUtcNow().AddDays(3)), 2), new float[_encoder.Dimension], null);

        Assert.Equal(ApplyOutcome.ItemNotReady, missing.Outcome);
        Assert.Equal(ApplyOutcome.Rejected, future.Outcome);
        Assert.StartsWith("FutureTimestamp: occurred_at ", future.Reason, StringComparison.Ordinal);
        Assert.EndsWith("is more than 1 day(s) ahead of the processing clock", future.Reason, StringComparison.Ordinal);
        Assert.Equal(0, profile.Version);
        Assert.Empty(profile.AppliedOffsets);
    }

    [Fact]
    public async Task Apply_BadReview_PushesTheUserAwayFromTheItem()
    {
        var profile = await ApplyAllAsync("u", At(Catalog.Review("u", "football-1", 1.0, null, T0), 1, Topics.UserEvents));
        var item = (await _profiles.ItemVectorsAsync(["football-1"], CancellationToken.None))["football-1"];

        Assert.True(VectorMath.Dot(profile.QueryVector(_profileOptions.ShortTermWeight)!, item) < -0.99f);
    }

    [Fact]
    public async Task SaveThenLoad_RoundTripsTheProfileExactly()
    {
        var profile = await ApplyAllAsync("u", At(Catalog.Click("u", "space-1", T0), 3), At(Catalog.Review("u", "garden-2", 5, "seeds", T0.AddMinutes(1)), 4, Topics.UserEvents));
        await _profiles.SaveAsync([profile], CancellationToken.None);

        var loaded = (await _profiles.LoadAsync(["u"], CancellationToken.None))["u"];

        Assert.Equal(profile.ShortTerm, loaded.ShortTerm);
        Assert.Equal(profile.LongTerm, loaded.LongTerm);
        Assert.Equal(profile.RecentItems, loaded.RecentItems);
        Assert.Equal(profile.AppliedOffsets, loaded.AppliedOffsets);
        Assert.Equal(profile.Version, loaded.Version);
        Assert.Equal(profile.ReferenceTime, loaded.ReferenceTime);
        Assert.Equal((profile.Clicks, profile.Reviews), (loaded.Clicks, loaded.Reviews));
        Assert.Equal(profile.NotPositive, loaded.NotPositive);
    }

    [Fact]
    public async Task Apply_ReviewAtOrBelowNeutral_IsSeenButNotPositive_UntilAPositiveEngagementWithTheSameItem()
    {
        var profile = await ApplyAllAsync("u",
            At(Catalog.Review("u", "football-1", 1.0, null, T0), 1, Topics.UserEvents),
            At(Catalog.Review("u", "garden-2", 3.0, null, T0.AddMinutes(1)), 2, Topics.UserEvents),
            At(Catalog.Click("u", "space-1", T0.AddMinutes(2)), 3),
            At(Catalog.Review("u", "cooking-1", 4.5, null, T0.AddMinutes(3)), 4, Topics.UserEvents));

        Assert.Equal(["football-1", "garden-2", "space-1", "cooking-1"], profile.RecentItems);
        Assert.Equal(["football-1", "garden-2"], profile.NotPositive);

        var vectors = await _profiles.ItemVectorsAsync(["garden-2"], CancellationToken.None);
        _profiles.Apply(profile, At(Catalog.Click("u", "garden-2", T0.AddMinutes(4)), 5), vectors["garden-2"], null);
        Assert.Equal(["football-1"], profile.NotPositive);

        await _profiles.SaveAsync([profile], CancellationToken.None);
        Assert.Equal(["football-1"], (await _profiles.LoadAsync(["u"], CancellationToken.None))["u"].NotPositive);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public async Task Recommend_CoEngagementQuery_ItemsTheUserDidNotLike_QueryWithTheirLowerWeight(double notPositiveWeight)
    {
        // football-1's only neighbour is cooking-3, space-1's only one is garden-4; the user disliked football-1.
        var table = new CoEngagementTable(new CoEngagementOptions { NotPositiveQueryWeight = notPositiveWeight });
        table.Observe([], "football-1");
        table.Observe(["football-1"], "cooking-3");
        table.Observe([], "space-1");
        table.Observe(["space-1"], "garden-4");
        var ranking = new RankingOptions { ListSize = 10, TextWeight = 0, TrendingCandidates = 0, FreshnessWeight = 0, TrendWeight = 0 };
        var engine = new RecommendationEngine(_store, _trending, ranking, _profileOptions, _time, table);
        var profile = await ApplyAllAsync("u",
            At(Catalog.Click("u", "space-1", T0), 1),
            At(Catalog.Review("u", "football-1", 1.0, null, T0.AddMinutes(1)), 2, Topics.UserEvents));

        var result = (await engine.RecommendAsync([profile], T0.AddMinutes(2), CancellationToken.None))[0];
        var coEngaged = result.Items.Where(i => i.Reasons.Contains("co-engaged")).ToDictionary(i => i.Candidate.ItemId, i => i.Candidate.CoEngagement);

        Assert.Contains("garden-4", coEngaged);
        Assert.Equal(notPositiveWeight > 0, coEngaged.ContainsKey("cooking-3"));
        if (notPositiveWeight > 0)
        {
            // football-1 is the newest (query weight 1 × its lower weight), space-1 one position older (2^(-1/5)).
            Assert.Equal(notPositiveWeight / Math.Pow(2, -1.0 / 5), coEngaged["cooking-3"] / coEngaged["garden-4"], 1e-9);
        }
    }

    [Fact]
    public async Task Recommend_ExcludesSeenAndRetiredItems_AndRanksSimilarOnesFirst()
    {
        var profile = await ApplyAllAsync("u", At(Catalog.Click("u", "space-1", T0), 1), At(Catalog.Click("u", "space-2", T0.AddMinutes(1)), 2));
        await _items.IndexAsync([new ItemRetired { EventId = "r3", OccurredAt = T0, ItemId = "space-3", Version = long.MaxValue }], CancellationToken.None);

        var result = (await _recommendations.RecommendAsync([profile], T0.AddMinutes(2), CancellationToken.None))[0];

        Assert.Equal(RecommendationResult.Personalized, result.Strategy);
        var ids = result.Items.Select(i => i.Candidate.ItemId).ToArray();
        Assert.DoesNotContain("space-1", ids);
        Assert.DoesNotContain("space-2", ids);
        Assert.DoesNotContain("space-3", ids);
        Assert.StartsWith("space-", ids[0]);
        // The text source reads only the title and the publication time of its candidates' payloads.
        var catalog = Catalog.Items().ToDictionary(i => i.ItemId);
        Assert.All(result.Items, i => Assert.Equal(catalog[i.Candidate.ItemId].Title, i.Candidate.Title));
        Assert.All(result.Items, i => Assert.Equal(catalog[i.Candidate.ItemId].PublishedAt, i.Candidate.PublishedAt));
    }

    [Fact]
    public async Task Recommend_FactsCache_GivesThePayloadsLists_AndAChangedTitleShowsOnceItsEntryAges()
    {
        var cached = new RecommendationEngine(_store, _trending, new RankingOptions { ListSize = 10, ItemFactsCacheSeconds = 30 }, _profileOptions, _time);
        var uncached = new RecommendationEngine(_store, _trending, new RankingOptions { ListSize = 10, ItemFactsCacheSeconds = 0 }, _profileOptions, _time);
        var profile = await ApplyAllAsync("u", At(Catalog.Click("u", "space-1", T0), 1), At(Catalog.Click("u", "garden-4", T0.AddMinutes(1)), 2));
        static string[] Shown(RecommendationResult r) =>
            [.. r.Items.Select(i => $"{i.Candidate.ItemId}|{i.Score:R}|{i.Candidate.Title}|{i.Candidate.PublishedAt:O}|{string.Join(',', i.Reasons)}")];

        var first = (await cached.RecommendAsync([profile], T0.AddMinutes(2), CancellationToken.None))[0];
        var again = (await cached.RecommendAsync([profile], T0.AddMinutes(2), CancellationToken.None))[0]; // from the cache
        var reference = (await uncached.RecommendAsync([profile], T0.AddMinutes(2), CancellationToken.None))[0];

        Assert.Equal(10, first.Items.Count);
        Assert.Equal(Shown(reference), Shown(first));
        Assert.Equal(Shown(reference), Shown(again));

        // A listed item renamed (a newer version, same text): the cache keeps the old title for its age, a reader
        // without it sees the new one at once.
        var listed = first.Items[0].Candidate.ItemId;
        var item = Catalog.Items().Single(i => i.ItemId == listed);
        await _items.IndexAsync([item with { EventId = "rename", Title = "renamed", Version = long.MaxValue - 1 }], CancellationToken.None);
        string? TitleIn(RecommendationResult r) => r.Items.Single(i => i.Candidate.ItemId == listed).Candidate.Title;

        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(item.Title, TitleIn((await cached.RecommendAsync([profile], T0.AddMinutes(2), CancellationToken.None))[0]));
        Assert.Equal("renamed", TitleIn((await uncached.RecommendAsync([profile], T0.AddMinutes(2), CancellationToken.None))[0]));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("renamed", TitleIn((await cached.RecommendAsync([profile], T0.AddMinutes(2), CancellationToken.None))[0]));
    }

    [Fact]
    public async Task Recommend_CandidatesReadById_KeepTheirTitleAndPublicationTime_AndRetiredOnesAreDropped()
    {
        // One text-nearest candidate: what co-engagement and trending add is read by id, with only the payload fields
        // the list needs (retired among them: a read by id does not filter).
        var table = new CoEngagementTable(new CoEngagementOptions());
        table.Observe([], "space-1");
        table.Observe(["space-1"], "garden-4");
        table.Observe(["space-1", "garden-4"], "space-3");
        _trending.Add("cooking-2", T0);
        _trending.Add("space-3", T0);
        await _items.IndexAsync([new ItemRetired { EventId = "r4", OccurredAt = T0, ItemId = "space-3", Version = long.MaxValue }], CancellationToken.None);
        var ranking = new RankingOptions { ListSize = 10, Candidates = 1, TrendingCandidates = 5 };
        var engine = new RecommendationEngine(_store, _trending, ranking, _profileOptions, _time, table);
        var profile = await ApplyAllAsync("u", At(Catalog.Click("u", "space-1", T0), 1));

        var result = (await engine.RecommendAsync([profile], T0.AddMinutes(2), CancellationToken.None))[0];
        var byId = result.Items.ToDictionary(i => i.Candidate.ItemId);

        Assert.Contains("co-engaged", byId["garden-4"].Reasons);
        Assert.Contains("trending", byId["cooking-2"].Reasons);
        Assert.DoesNotContain("space-3", byId.Keys);
        var catalog = Catalog.Items().ToDictionary(i => i.ItemId);
        Assert.All(result.Items, i => Assert.Equal(catalog[i.Candidate.ItemId].Title, i.Candidate.Title));
        Assert.All(result.Items, i => Assert.Equal(catalog[i.Candidate.ItemId].PublishedAt, i.Candidate.PublishedAt));

        // The trending list of a user without direction reads its items by id the same way.
        var trending = (await engine.RecommendAsync([null], T0.AddMinutes(2), CancellationToken.None))[0];
        Assert.Equal(["cooking-2"], trending.Items.Select(i => i.Candidate.ItemId));
        Assert.Equal(catalog["cooking-2"].Title, trending.Items[0].Candidate.Title);
    }

    [Fact]
    public async Task Recommend_UserWithoutDirection_GetsTrending_AndAForgottenUserGetsNothing()
    {
        _trending.Add("garden-4", T0);
        _trending.Add("garden-4", T0);
        _trending.Add("cooking-2", T0);
        var forgotten = new UserProfile("f", _encoder.Dimension);
        forgotten.Forget();

        var results = await _recommendations.RecommendAsync([null, forgotten], T0, CancellationToken.None);

        Assert.Equal(RecommendationResult.Trending, results[0].Strategy);
        Assert.Equal(["garden-4", "cooking-2"], results[0].Items.Select(i => i.Candidate.ItemId));
        Assert.Equal(RecommendationResult.ForgottenStrategy, results[1].Strategy);
        Assert.Empty(results[1].Items);
    }

    [Fact]
    public void ToMessage_SameUserAndTrigger_GiveTheSameEventId()
    {
        var trigger = new TriggerRef { EventId = "e1", OccurredAt = T0 };
        var result = new RecommendationResult(RecommendationResult.Trending, []);

        var a = RecommendationEngine.ToMessage("u", result, trigger, T0);
        var b = RecommendationEngine.ToMessage("u", result, trigger, T0.AddSeconds(5));
        var c = RecommendationEngine.ToMessage("v", result, trigger, T0);

        Assert.Equal(a.EventId, b.EventId);
        Assert.NotEqual(a.EventId, c.EventId);
        Assert.True(EventParser.Parse(EventParser.Serialize(a)).IsSuccess);
    }
}
