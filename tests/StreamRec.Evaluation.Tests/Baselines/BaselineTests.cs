using StreamRec.Evaluation.Baselines;

namespace StreamRec.Evaluation.Tests.Baselines;

public class BaselineTests
{
    private static readonly HashSet<string> Nothing = [];

    private static async Task Feed(IRecommenderSystem system, StreamBuilder s)
    {
        foreach (var e in s.Events)
        {
            await system.ObserveAsync(e, TestContext.Current.CancellationToken);
        }
    }

    private static async Task<IReadOnlyList<string>> Ask(IRecommenderSystem system, string user, int n, double minute, IReadOnlySet<string>? exclude = null) =>
        await system.RecommendAsync(user, n, StreamBuilder.At(minute), exclude ?? Nothing, TestContext.Current.CancellationToken);

    [Fact]
    public async Task MostPopular_OrdersByClicksThenId_AndHonoursExclusions()
    {
        var s = new StreamBuilder().Click("x", "b", 1).Click("y", "b", 2).Click("x", "a", 3).Click("z", "c", 4).Review("q", "z", 5, 5);
        var system = PopularityRecommender.MostPopular();
        await Feed(system, s);

        Assert.Equal(["b", "a", "c"], await Ask(system, "u", 10, 10)); // reviews do not count; a and c tie, a first by id
        Assert.Equal(["a", "c"], await Ask(system, "u", 10, 10, new HashSet<string> { "b" }));
        Assert.Equal(["b"], await Ask(system, "u", 1, 10));
    }

    [Fact]
    public async Task RecentPopular_FavoursRecentClicksOverOldVolume()
    {
        var s = new StreamBuilder().Click("x", "old", 0).Click("y", "old", 1).Click("z", "old", 2)
            .Click("x", "new", 60 * 24 * 30);
        var recent = PopularityRecommender.RecentPopular(TimeSpan.FromDays(1));
        var allTime = PopularityRecommender.MostPopular();
        await Feed(recent, s);
        await Feed(allTime, s);

        Assert.Equal(["new", "old"], await Ask(recent, "u", 2, 60 * 24 * 30));
        Assert.Equal(["old", "new"], await Ask(allTime, "u", 2, 60 * 24 * 30));
    }

    [Fact]
    public async Task Popularity_RetiredItem_IsNoLongerRecommended()
    {
        var s = new StreamBuilder().Click("x", "a", 1).Click("y", "a", 2).Click("x", "b", 3).Retire("a", 4);
        var system = PopularityRecommender.MostPopular();
        await Feed(system, s);

        Assert.Equal(["b"], await Ask(system, "u", 10, 5));
    }

    [Fact]
    public async Task ItemKnn_SimilarityIsCosineNormalisedCooccurrence()
    {
        // a: 3 users; b: 2 users, both also clicked a; c: 1 user with a.
        var s = new StreamBuilder()
            .Click("x", "a", 1).Click("x", "b", 2)
            .Click("y", "a", 3).Click("y", "b", 4)
            .Click("z", "a", 5).Click("z", "c", 6);
        var knn = new ItemKnnRecommender();
        await Feed(knn, s);

        Assert.Equal(2 / Math.Sqrt(3 * 2), knn.Similarity("a", "b"), 12);
        Assert.Equal(1 / Math.Sqrt(3 * 1), knn.Similarity("a", "c"), 12);
        Assert.Equal(0, knn.Similarity("b", "c"));
        Assert.Equal(knn.Similarity("b", "a"), knn.Similarity("a", "b"));
    }

    [Fact]
    public async Task ItemKnn_RecommendsNeighboursOfRecentClicks_ThenPopularFill()
    {
        var s = new StreamBuilder()
            .Click("x", "a", 1).Click("x", "b", 2)
            .Click("y", "a", 3).Click("y", "b", 4)
            .Click("z", "a", 5).Click("z", "c", 6)
            .Click("p", "d", 7).Click("q", "d", 8).Click("r", "d", 9).Click("s", "d", 10)
            .Click("u", "a", 20);
        var knn = new ItemKnnRecommender();
        await Feed(knn, s);

        // u clicked a: neighbours b (0.816) then c (0.577); then the most popular unseen item, d.
        Assert.Equal(["b", "c", "d"], await Ask(knn, "u", 3, 21, new HashSet<string> { "a" }));
        // A user with no history gets the popular list: a and d have 4 clicks each (tie by id), then b.
        Assert.Equal(["a", "d", "b"], await Ask(knn, "nobody", 3, 21));
    }

    [Fact]
    public async Task ItemKnn_RepeatClick_AddsNoCooccurrence()
    {
        var s = new StreamBuilder().Click("x", "a", 1).Click("x", "b", 2).Click("x", "a", 3);
        var knn = new ItemKnnRecommender();
        await Feed(knn, s);

        Assert.Equal(1 / Math.Sqrt(1 * 1), knn.Similarity("a", "b"), 12);
    }
}
