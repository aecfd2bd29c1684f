using StreamRec.Contracts;
using StreamRec.Evaluation.Baselines;
using StreamRec.Evaluation.Protocol;

namespace StreamRec.Evaluation.Tests.Protocol;

public class ReplayEvaluatorTests
{
    private static readonly HashingTextEncoder Encoder = new(64);

    /// <summary>Ten users rating twenty items over 1,000 minutes, MovieLens style (review + click).</summary>
    private static IReadOnlyList<IStreamRecEvent> Synthetic()
    {
        var s = new StreamBuilder();
        var random = new Random(3);
        for (var i = 0; i < 20; i++)
        {
            s.Item($"m{i}", i * 10, $"movie {i} genre{i % 4}");
        }

        for (var minute = 0; minute < 1000; minute += 4)
        {
            s.Rate($"u{random.Next(10)}", $"m{random.Next(Math.Min(20, 1 + minute / 10))}", minute + 1, random.Next(1, 11) / 2.0);
        }

        return s.Events;
    }

    private static Task<EvaluationReport> Run(IReadOnlyList<IStreamRecEvent> events, params IRecommenderSystem[] systems) =>
        new ReplayEvaluator(new EvaluationOptions(), Encoder).RunAsync("synthetic", events, systems, null, TestContext.Current.CancellationToken);

    [Fact]
    public async Task RunAsync_SystemThatOnlyKnowsWhatItWasShown_NeverSeesItsTarget()
    {
        var events = Synthetic();
        var lastObserved = SpySystem.LastObserved();

        var report = await Run(events, lastObserved);

        // Its lists are made of the user's past items only, so any hit would mean the target leaked in first.
        var result = report.Systems[0];
        Assert.True(result.Overall.Targets > 20);
        Assert.Equal(0, result.Overall.HitRate);
        Assert.Equal(0, result.Overall.Mrr);
    }

    [Fact]
    public async Task RunAsync_NoEventOfTheTargetInteractionIsObservedBeforeItsList()
    {
        var events = Synthetic();
        var spy = new SpySystem("spy");

        await Run(events, spy);

        var sorted = ReplayEvaluator.InTimeOrder(events);
        var targets = TargetPlan.Build(sorted, new EvaluationOptions()).Targets;
        Assert.Equal(targets.Count, spy.Calls.Count);
        for (var i = 0; i < targets.Count; i++)
        {
            var (user, now, observed) = spy.Calls[i];
            Assert.Equal((targets[i].UserId, targets[i].At), (user, now));
            Assert.DoesNotContain(spy.Observed.Take(observed), e => e.OccurredAt > now);
            Assert.DoesNotContain(spy.Observed.Take(observed), e => e.OccurredAt == now && TouchesItem(e, user, targets[i].ItemId));
        }
    }

    [Fact]
    public async Task RunAsync_ClairvoyantSystem_ScoresPerfectHitRate()
    {
        // The other side of the leakage test: the scoring does reward a system that knows what comes next.
        var events = Synthetic();

        var report = await Run(events, SpySystem.Clairvoyant(ReplayEvaluator.InTimeOrder(events)));

        Assert.Equal(1.0, report.Systems[0].Overall.HitRate);
        Assert.Equal(1.0, report.Systems[0].Overall.Ndcg);
    }

    [Fact]
    public async Task RunAsync_MostPopularOnHandWorkedStream_GivesExpectedMetrics()
    {
        // Timeline 0..100, warm-up ends at 20. Before minute 50: a has 3 clicks, b 2, c 1, d 1.
        var s = new StreamBuilder().Item("a", 0).Item("b", 0).Item("c", 0).Item("d", 0)
            .Click("x", "a", 1).Click("y", "a", 2).Click("z", "a", 3).Click("x", "b", 4).Click("y", "b", 5).Click("x", "c", 6).Click("w", "d", 7)
            .Click("u", "c", 50)      // MostPopular lists [a, b, c, d] (c before d by id): rank 3
            .Click("v", "d", 100);    // a 3, b 2, c 2, d 1 → [a, b, c, d]: rank 4
        var options = new EvaluationOptions { ListSize = 3, RecallListSize = 4 };

        var report = await new ReplayEvaluator(options, Encoder).RunAsync("hand", s.Events, [PopularityRecommender.MostPopular()], null, TestContext.Current.CancellationToken);

        var m = report.Systems[0].Overall;
        Assert.Equal(2, m.Targets);
        Assert.Equal(0.5, m.HitRate, 12);                  // rank 3 within @3, rank 4 not
        Assert.Equal(0.5 * (1 / Math.Log2(4)), m.Ndcg, 12); // (0.5 + 0) / 2
        Assert.Equal((1.0 / 3 + 1.0 / 4) / 2, m.Mrr, 12);
        Assert.Equal(1.0, m.Recall, 12);                    // both within @4
        Assert.Equal(3.0 / 4, report.Systems[0].Coverage, 12); // top-3 lists used a, b, c of 4 items
        Assert.Equal(0, report.Systems[0].ExclusionViolations);
        Assert.Equal(4, report.Summary.Items);
        Assert.Equal(2, report.Summary.ScoredTargets);
    }

    [Fact]
    public async Task RunAsync_SystemIgnoringExclusions_IsCountedNotCorrected()
    {
        var s = new StreamBuilder().Item("a", 0).Item("b", 0).Click("u", "a", 1).Click("u", "b", 100);
        var stubborn = new SpySystem("stubborn", (_, _, _) => ["a", "b"]);

        var report = await Run(s.Events, stubborn);

        Assert.Equal(1, report.Systems[0].ExclusionViolations);
        Assert.Equal(1.0 / Math.Log2(3), report.Systems[0].Overall.Ndcg, 12); // b stays at rank 2
    }

    [Fact]
    public async Task RunAsync_SameSeed_GivesIdenticalResults()
    {
        var events = Synthetic();
        var options = new EvaluationOptions { MaxTargets = 25, Seed = 11 };

        async Task<EvaluationReport> Once() => await new ReplayEvaluator(options, Encoder).RunAsync(
            "synthetic", events, [PopularityRecommender.MostPopular(), new ItemKnnRecommender()], null, TestContext.Current.CancellationToken);

        var a = await Once();
        var b = await Once();

        Assert.Equal(25, a.Summary.ScoredTargets);
        Assert.Equal(a.Summary, b.Summary);
        for (var i = 0; i < a.Systems.Count; i++)
        {
            Assert.Equal(a.Systems[i] with { ObserveSeconds = 0, RecommendSeconds = 0, Windows = [] }, b.Systems[i] with { ObserveSeconds = 0, RecommendSeconds = 0, Windows = [] });
            Assert.Equal(a.Systems[i].Windows, b.Systems[i].Windows);
        }
    }

    [Fact]
    public async Task RunAsync_WindowsAndSlices_PartitionTheTargets()
    {
        var report = await Run(Synthetic(), PopularityRecommender.MostPopular());

        var r = report.Systems[0];
        Assert.Equal(r.Overall.Targets, r.Windows.Sum(w => w.Metrics.Targets));
        Assert.InRange(r.ColdUsers.Targets, 0, r.Overall.Targets);
        Assert.InRange(r.ColdItems.Targets, 1, r.Overall.Targets);
        Assert.InRange(r.Diversity, 0.0, 2.0);
        Assert.True(r.Novelty > 0);
    }

    [Fact]
    public async Task RunAsync_ColdItemRatio_IsTheColdItemSlicesNdcgOverTheBestBaselines_WithItsInterval()
    {
        var report = await Run(Synthetic(), new ItemKnnRecommender(), PopularityRecommender.MostPopular());

        var reference = report.Systems.MaxBy(s => s.Overall.Ndcg)!;
        var other = report.Systems.Single(s => s != reference);
        Assert.True(other.ColdItems.Ndcg > 0 && reference.ColdItems.Ndcg > 0, "the synthetic stream must score cold items for both");
        Assert.NotEqual(other.ColdItems.Ndcg / reference.ColdItems.Ndcg, other.Overall.Ndcg / reference.Overall.Ndcg, 6);
        var ratio = other.ColdItemNdcgVsBest!;
        Assert.Equal(reference.Name, ratio.Reference);
        Assert.Equal(other.ColdItems.Ndcg / reference.ColdItems.Ndcg, ratio.Ratio, 9);
        Assert.InRange(ratio.Ratio, ratio.Low, ratio.High);
        Assert.True(ratio.High > ratio.Low);
        Assert.Equal((1.0, 1.0, 1.0), (reference.ColdItemNdcgVsBest!.Ratio, reference.ColdItemNdcgVsBest.Low, reference.ColdItemNdcgVsBest.High));
    }

    [Fact]
    public async Task RunAsync_ValidationAndTestDiversity_AverageToTheOverallDiversityWeightedByTheirLists()
    {
        var report = await Run(Synthetic(), new ItemKnnRecommender(), PopularityRecommender.MostPopular());

        foreach (var r in report.Systems)
        {
            Assert.NotNull(r.ValidationDiversity);
            Assert.NotNull(r.TestDiversity);
            Assert.InRange(r.Diversity, Math.Min(r.ValidationDiversity.Value, r.TestDiversity.Value) - 1e-12, Math.Max(r.ValidationDiversity.Value, r.TestDiversity.Value) + 1e-12);
        }

        // The periods are really split: most-popular's lists change over time, so the two periods differ.
        var popular = report.Systems.Single(s => s.Name == PopularityRecommender.MostPopular().Name);
        Assert.NotEqual(popular.ValidationDiversity, popular.TestDiversity);
    }

    [Fact]
    public void LambdaChoice_TakesTheBestValidationNdcgAmongTheDiverseEnough_OrElseTheMostDiverse()
    {
        SweepPoint Point(double lambda, double ndcg, double diversity) =>
            new(lambda, $"s-{lambda}", ndcg + 1, diversity + 1) { ValidationNdcg = ndcg, ValidationDiversity = diversity, TestNdcg = 9, TestDiversity = 9 };
        SweepPoint[] sweep = [Point(0, 0.01, 0.74), Point(0.5, 0.050, 0.562), Point(0.7, 0.052, 0.536), Point(1, 0.051, 0.51)];

        var chosen = LambdaChoice.Choose(sweep, "item-knn", 0.559);
        Assert.Equal((0.5, true), (chosen!.Lambda, chosen.FloorMet));

        var none = LambdaChoice.Choose(sweep, "item-knn", 0.8);
        Assert.Equal((0.0, false), (none!.Lambda, none.FloorMet));

        Assert.Null(LambdaChoice.Choose([new SweepPoint(0.7, "s", 0.05, 0.5)], "item-knn", 0.5));
    }

    private static bool TouchesItem(IStreamRecEvent e, string user, string item) => e switch
    {
        Click c => c.UserId == user && c.ItemId == item,
        Review r => r.UserId == user && r.ItemId == item,
        _ => false,
    };
}
