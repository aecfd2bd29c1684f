using StreamRec.Domain;
using StreamRec.Evaluation.Baselines;
using StreamRec.Evaluation.Protocol;
using StreamRec.Evaluation.StreamRecSystems;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.Evaluation.Tests.StreamRecSystems;

public class StreamRecRecommenderTests
{
    private static readonly string[] Space = ["rocket launch orbit", "galaxy star telescope", "moon lander astronaut", "planet orbit telescope", "astronaut rocket station"];
    private static readonly string[] Cooking = ["pasta sauce basil", "bread flour yeast", "curry spice rice", "cake sugar butter", "soup onion garlic"];

    private static (EmbeddedVectorStore Store, StreamRecCatalog Catalog, StreamRecRecommender System) Create(StreamRecVariant? variant = null)
    {
        var store = InMemoryStore();
        var catalog = new StreamRecCatalog(store, new CachingTextEncoder(new HashingTextEncoder(128)), new ReplayClock(StreamBuilder.T0));
        return (store, catalog, new StreamRecRecommender(catalog, variant ?? StreamRecVariants.Create(), 10));
    }

    private static EmbeddedVectorStore InMemoryStore() => new(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });

    private static StreamBuilder Catalogue()
    {
        var s = new StreamBuilder();
        for (var i = 0; i < Space.Length; i++)
        {
            s.Item($"space{i}", 0, Space[i]);
            s.Item($"food{i}", 0, Cooking[i]);
        }

        return s;
    }

    private static async Task Feed(IRecommenderSystem system, StreamBuilder s)
    {
        foreach (var e in s.Events)
        {
            await system.ObserveAsync(e, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task Recommend_AfterSpaceClicks_RanksSpaceItemsFirst_AndExcludesSeen()
    {
        // The text source's order: without the trend term, other's single click would make food1 the trending top.
        var (store, catalog, system) = Create(StreamRecVariants.Create(ranking: new RankingOptions { TrendWeight = 0 }));
        using var _ = store;
        var s = Catalogue().Click("u", "space0", 10).Click("u", "space3", 11).Click("other", "food1", 12);
        await Feed(system, s);

        var list = await system.RecommendAsync("u", 10, StreamBuilder.At(12), new HashSet<string> { "space0", "space3" }, TestContext.Current.CancellationToken);

        Assert.Equal(8, list.Count);
        Assert.DoesNotContain("space0", list);
        Assert.DoesNotContain("space3", list);
        // The two unseen items sharing words with the clicked ones ("telescope", "rocket") lead; the rest tie at cos 0.
        Assert.Equal(["space1", "space4"], list.Take(2).Order());
    }

    [Fact]
    public async Task Recommend_UserWithoutHistory_GetsTrendingItems()
    {
        var (store, catalog, system) = Create();
        using var _ = store;
        var s = Catalogue().Click("a", "food2", 10).Click("b", "food2", 11).Click("c", "space1", 12);
        await Feed(system, s);

        var list = await system.RecommendAsync("newcomer", 10, StreamBuilder.At(13), new HashSet<string>(), TestContext.Current.CancellationToken);

        Assert.Equal(["food2", "space1"], list);
    }

    [Fact]
    public async Task Recommend_NegativeReview_PushesTheUserAwayFromThatTopic()
    {
        var (store, catalog, system) = Create();
        using var _ = store;
        var s = Catalogue().Review("u", "food0", 10, 1.0).Review("u", "food3", 11, 0.5);
        await Feed(system, s);

        var list = await system.RecommendAsync("u", 10, StreamBuilder.At(12), new HashSet<string> { "food0", "food3" }, TestContext.Current.CancellationToken);

        Assert.StartsWith("space", list[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Ablations_ChangeExactlyTheirKnob()
    {
        var baseline = StreamRecVariants.Create();

        Assert.Equal(TimeSpan.MaxValue, StreamRecVariants.Ablation(baseline, StreamRecVariants.NoDecay).Profile.LongTermHalfLife);
        Assert.Equal(1.0, StreamRecVariants.Ablation(baseline, StreamRecVariants.ShortTermOnly).Profile.ShortTermWeight);
        Assert.Equal(0.0, StreamRecVariants.Ablation(baseline, StreamRecVariants.LongTermOnly).Profile.ShortTermWeight);
        Assert.Equal(1.0, StreamRecVariants.Ablation(baseline, StreamRecVariants.NoMmr).Ranking.MmrLambda);
        Assert.Equal(0.0, StreamRecVariants.Ablation(baseline, StreamRecVariants.NoFreshness).Ranking.FreshnessWeight);
        Assert.Equal(new RankingOptions().MmrLambda, baseline.Ranking.MmrLambda);
        Assert.Equal("streamrec-mmr-0.25", StreamRecVariants.WithLambda(baseline, 0.25).Name);
        Assert.Throws<ArgumentException>(() => StreamRecVariants.Ablation(baseline, "streamrec-magic"));
    }

    [Fact]
    public async Task Evaluate_TopicalUsers_StreamRecBeatsMostPopularAndNeverViolatesExclusions()
    {
        // Users stick to one topic; popularity is spread over both, so content similarity should win.
        var s = new StreamBuilder();
        var random = new Random(5);
        for (var i = 0; i < 40; i++)
        {
            s.Item($"space{i}", 0, Space[i % Space.Length] + $" mission{i % 7}");
            s.Item($"food{i}", 0, Cooking[i % Cooking.Length] + $" recipe{i % 7}");
        }

        for (var minute = 1; minute < 1500; minute++)
        {
            var user = random.Next(12);
            var topic = user % 2 == 0 ? "space" : "food";
            s.Click($"u{user}", $"{topic}{random.Next(40)}", minute);
        }

        var encoder = new CachingTextEncoder(new HashingTextEncoder(128));
        using var store = InMemoryStore();
        var catalog = new StreamRecCatalog(store, encoder, new ReplayClock(StreamBuilder.T0));
        var streamRec = new StreamRecRecommender(catalog, StreamRecVariants.Create(), 20);
        var noMmr = new StreamRecRecommender(catalog, StreamRecVariants.Ablation(StreamRecVariants.Create(), StreamRecVariants.NoMmr), 20);

        var report = await new ReplayEvaluator(new EvaluationOptions { MaxTargets = 150 }, encoder)
            .RunAsync("topical", s.Events, [streamRec, noMmr, PopularityRecommender.MostPopular()], null, TestContext.Current.CancellationToken);

        var byName = report.Systems.ToDictionary(r => r.Name);
        Assert.All(report.Systems, r => Assert.Equal(0, r.ExclusionViolations));
        Assert.True(byName["streamrec"].Overall.HitRate > byName["most-popular"].Overall.HitRate,
            $"streamrec {byName["streamrec"].Overall.HitRate:F3} vs most-popular {byName["most-popular"].Overall.HitRate:F3}");
        Assert.True(byName["streamrec"].Diversity >= byName["streamrec-no-mmr"].Diversity, "MMR must not reduce diversity");
        Assert.Equal(0, streamRec.ItemsNotReady);
    }
}
