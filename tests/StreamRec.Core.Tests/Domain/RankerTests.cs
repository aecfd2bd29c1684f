using FsCheck;
using FsCheck.Fluent;
using StreamRec.Domain;

namespace StreamRec.Core.Tests.Domain;

public sealed class RankerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Relevance is plain cosine unless a test turns a term on.</summary>
    private static readonly RankingOptions CosineOnly = new() { FreshnessWeight = 0, TrendWeight = 0 };

    private static readonly float[] X = [1, 0, 0];
    private static readonly float[] NearX = [0.98f, (float)Math.Sqrt(1 - 0.98 * 0.98), 0];
    private static readonly float[] Z = [0, 0, 1];

    [Fact]
    public void Rank_MmrExample_DiversityChangesTheSecondPick()
    {
        // A and B are near-duplicates (cos 0.98); C is orthogonal to both and less relevant.
        Candidate[] candidates = [new("A", X, 0.9, null, 0), new("B", NearX, 0.85, null, 0), new("C", Z, 0.6, null, 0)];

        var ranked = Ranker.Rank(candidates, Now, CosineOnly, listSize: 3, lambda: 0.5);

        // pick 1: 0.5·score → A 0.45, B 0.425, C 0.30 → A
        // pick 2: B 0.5·0.85 − 0.5·0.98 = −0.065; C 0.5·0.6 − 0.5·0 = 0.30 → C
        Assert.Equal(["A", "C", "B"], ranked.Select(r => r.Candidate.ItemId));
        Assert.Equal([1, 2, 3], ranked.Select(r => r.Rank));
        Assert.Equal([0.9, 0.6, 0.85], ranked.Select(r => r.Score));
        Assert.Equal([Ranker.ReasonSimilarRecent], ranked[0].Reasons);
        Assert.Equal([Ranker.ReasonSimilarRecent, Ranker.ReasonDiversified], ranked[1].Reasons);
        Assert.DoesNotContain(Ranker.ReasonDiversified, ranked[2].Reasons);
    }

    [Fact]
    public void Rank_SameExample_WithLambdaOne_IsPureRelevance()
    {
        Candidate[] candidates = [new("A", X, 0.9, null, 0), new("B", NearX, 0.85, null, 0), new("C", Z, 0.6, null, 0)];

        var ranked = Ranker.Rank(candidates, Now, CosineOnly, listSize: 3, lambda: 1);

        Assert.Equal(["A", "B", "C"], ranked.Select(r => r.Candidate.ItemId));
        Assert.All(ranked, r => Assert.DoesNotContain(Ranker.ReasonDiversified, r.Reasons));
    }

    [Fact]
    public void Rank_DefaultOptions_UseListSizeAndLambda()
    {
        Candidate[] candidates = [new("A", X, 0.9, null, 0), new("B", NearX, 0.85, null, 0), new("C", Z, 0.6, null, 0)];
        var options = new RankingOptions { FreshnessWeight = 0, TrendWeight = 0, ListSize = 2 };

        var ranked = Ranker.Rank(candidates, Now, options);

        // λ 0.7, pick 2: B 0.7·0.85 − 0.3·0.98 = 0.301; C 0.7·0.6 = 0.42 → C
        Assert.Equal(["A", "C"], ranked.Select(r => r.Candidate.ItemId));
    }

    [Fact]
    public void Rank_Freshness_ReordersAsComputedByHand()
    {
        var options = new RankingOptions { FreshnessWeight = 0.2, FreshnessHalfLife = TimeSpan.FromDays(30), TrendWeight = 0 };
        Candidate[] candidates =
        [
            new("old", X, 0.80, Now.AddDays(-60), 0),  // 0.80 + 0.2·0.25 = 0.85
            new("undated", X, 0.75, null, 0),          // 0.75 + 0           = 0.75
            new("new", X, 0.70, Now, 0),               // 0.70 + 0.2·1       = 0.90
        ];

        var ranked = Ranker.Rank(candidates, Now, options, listSize: 3, lambda: 1);

        Assert.Equal(["new", "old", "undated"], ranked.Select(r => r.Candidate.ItemId));
        Assert.Equal([0.90, 0.85, 0.75], ranked.Select(r => Math.Round(r.Score, 12)));
        Assert.Contains(Ranker.ReasonFresh, ranked[0].Reasons);
        Assert.DoesNotContain(Ranker.ReasonFresh, ranked[1].Reasons);
        Assert.DoesNotContain(Ranker.ReasonFresh, ranked[2].Reasons);
    }

    [Fact]
    public void Rank_Trend_ReordersAsComputedByHand()
    {
        var options = new RankingOptions { FreshnessWeight = 0, TrendWeight = 0.3 };
        Candidate[] candidates =
        [
            new("relevant", X, 0.80, null, 0),   // 0.80
            new("hot", X, 0.70, null, 10),       // 0.70 + 0.3·10/10 = 1.00
            new("warm", X, 0.75, null, 4),       // 0.75 + 0.3·4/10  = 0.87
        ];

        var ranked = Ranker.Rank(candidates, Now, options, listSize: 3, lambda: 1);

        Assert.Equal(["hot", "warm", "relevant"], ranked.Select(r => r.Candidate.ItemId));
        Assert.Equal([1.00, 0.87, 0.80], ranked.Select(r => Math.Round(r.Score, 12)));
        Assert.Contains(Ranker.ReasonTrending, ranked[0].Reasons);
        Assert.DoesNotContain(Ranker.ReasonTrending, ranked[1].Reasons);
        Assert.DoesNotContain(Ranker.ReasonTrending, ranked[2].Reasons);
    }

    [Fact]
    public void Score_IsCosinePlusWeightedFreshnessPlusWeightedNormalizedTrend()
    {
        var options = new RankingOptions { FreshnessWeight = 0.1, FreshnessHalfLife = TimeSpan.FromDays(30), TrendWeight = 0.2 };
        var c = new Candidate("i", X, 0.5, Now.AddDays(-30), 3);

        Assert.Equal(0.5 + 0.1 * 0.5 + 0.2 * 0.75, Ranker.Score(c, maxTrend: 4, maxCoEngagement: 0, Now, options), 12);
        Assert.Equal(0.5 + 0.1 * 0.5, Ranker.Score(c, maxTrend: 0, maxCoEngagement: 0, Now, options), 12);
    }

    [Fact]
    public void Freshness_IsOneForFutureItems_AndZeroWithoutADate()
    {
        var options = new RankingOptions();

        Assert.Equal(1.0, Ranker.Freshness(Now.AddDays(3), Now, options));
        Assert.Equal(0.0, Ranker.Freshness(null, Now, options));
        Assert.Equal(0.25, Ranker.Freshness(Now.AddDays(-60), Now, options), 12);
    }

    [Fact]
    public void Reasons_SayWhetherRecentOrLongTermInterestMatchedBetter()
    {
        Candidate[] candidates =
        [
            new("long", X, 0.9, null, 0, ShortTermSimilarity: 0.2, LongTermSimilarity: 0.5),
            new("recent", Z, 0.8, null, 0, ShortTermSimilarity: 0.6, LongTermSimilarity: 0.1),
            new("tie", NearX, 0.7, null, 0, ShortTermSimilarity: 0.3, LongTermSimilarity: 0.3),
        ];

        var ranked = Ranker.Rank(candidates, Now, CosineOnly, listSize: 3, lambda: 1);

        Assert.Equal(Ranker.ReasonSimilarLongTerm, ranked[0].Reasons[0]);
        Assert.Equal(Ranker.ReasonSimilarRecent, ranked[1].Reasons[0]);
        Assert.Equal(Ranker.ReasonSimilarRecent, ranked[2].Reasons[0]);
    }

    [Fact]
    public void Reasons_FreshMeansWithinTheFreshHorizon()
    {
        var options = new RankingOptions { FreshHorizon = TimeSpan.FromDays(7) };
        Candidate[] candidates = [new("in", X, 0.9, Now.AddDays(-7), 0), new("out", Z, 0.9, Now.AddDays(-7).AddSeconds(-1), 0)];

        var ranked = Ranker.Rank(candidates, Now, options, listSize: 2, lambda: 1);

        Assert.Contains(Ranker.ReasonFresh, ranked.Single(r => r.Candidate.ItemId == "in").Reasons);
        Assert.DoesNotContain(Ranker.ReasonFresh, ranked.Single(r => r.Candidate.ItemId == "out").Reasons);
    }

    [Theory]
    [InlineData(5, 3, 3)]
    [InlineData(2, 10, 2)]
    [InlineData(0, 10, 0)]
    [InlineData(4, 0, 0)]
    [InlineData(4, -1, 0)]
    public void Rank_ReturnsAtMostListSize_AndNeverMoreThanTheCandidates(int candidates, int listSize, int expected)
    {
        var list = Enumerable.Range(0, candidates).Select(i => new Candidate($"c{i}", X, 1.0 / (i + 1), null, 0)).ToArray();

        var ranked = Ranker.Rank(list, Now, CosineOnly, listSize, lambda: 0.7);

        Assert.Equal(expected, ranked.Count);
        Assert.Equal(Enumerable.Range(1, expected), ranked.Select(r => r.Rank));
        Assert.Equal(expected, ranked.Select(r => r.Candidate.ItemId).Distinct().Count());
    }

    [Fact]
    public void Rank_LambdaOne_EqualsTopNByScore_ForRandomCandidates()
    {
        var options = new RankingOptions { FreshnessWeight = 0.15, TrendWeight = 0.25 };
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(RandomCase().ToArbitrary(), t =>
        {
            var (candidates, listSize) = t;
            var maxTrend = candidates.Select(c => c.Trend).DefaultIfEmpty(0).Max();
            var expected = candidates
                .Select((c, i) => (c.ItemId, Score: Ranker.Score(c, maxTrend, 0, Now, options), Index: i))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Index)
                .Take(listSize)
                .ToArray();

            var ranked = Ranker.Rank(candidates, Now, options, listSize, lambda: 1);

            Assert.Equal(expected.Select(x => x.ItemId), ranked.Select(r => r.Candidate.ItemId));
            Assert.Equal(expected.Select(x => x.Score), ranked.Select(r => r.Score));
            Assert.All(ranked, r => Assert.DoesNotContain(Ranker.ReasonDiversified, r.Reasons));
        }));
    }

    [Fact]
    public void Rank_AnyLambda_GivesDistinctItemsRankedOneToN()
    {
        var options = new RankingOptions();
        var gen = from t in RandomCase() from tenths in Gen.Choose(0, 10) select (t.Candidates, t.ListSize, Lambda: tenths / 10.0);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var ranked = Ranker.Rank(t.Candidates, Now, options, t.ListSize, t.Lambda);

            Assert.Equal(Math.Min(t.ListSize, t.Candidates.Length), ranked.Count);
            Assert.Equal(Enumerable.Range(1, ranked.Count), ranked.Select(r => r.Rank));
            Assert.Equal(ranked.Count, ranked.Select(r => r.Candidate.ItemId).Distinct().Count());
            if (ranked.Count > 0 && t.Lambda > 0)
            {
                // The first pick is the most relevant: nothing is picked yet to be diverse from. (At λ = 0 every
                // value is 0 and the first candidate wins, whatever its score.)
                Assert.Equal(ranked[0].Score, t.Candidates.Max(c => Ranker.Score(c, t.Candidates.Max(x => x.Trend), 0, Now, options)));
            }
        }));
    }

    private static Gen<(Candidate[] Candidates, int ListSize)> RandomCase()
    {
        var vector = Gen.ArrayOf(Gen.Choose(-100, 100).Select(i => i / 100f), 4).Select(v => VectorMath.Normalized(v));
        var candidate =
            from v in vector
            from simPercent in Gen.Choose(-100, 100)
            from trend in Gen.Frequency((1, Gen.Constant(0)), (3, Gen.Choose(0, 50)))
            from ageHours in Gen.Choose(-48, 24 * 400)
            from dated in Gen.Elements(true, false)
            select (v, simPercent, trend, ageHours, dated);
        return
            from raw in Gen.ListOf(candidate)
            from listSize in Gen.Choose(1, 15)
            select (raw.Select((c, i) => new Candidate(
                $"c{i}",
                c.v,
                c.simPercent / 100.0,
                c.dated ? Now.AddHours(-c.ageHours) : null,
                c.trend)).ToArray(), listSize);
    }

    /// <summary>
    /// The ranker's lazy MMR picks exactly what the textbook loop picks (every remaining candidate's value recomputed
    /// each round, ties to the earlier one), in the same order with the same "diversified" reasons: random catalogues
    /// with many exact ties (scores and vectors drawn from small sets) and every λ from pure diversity to pure relevance.
    /// </summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    [InlineData(0.5)]
    [InlineData(0.85)]
    [InlineData(1.0)]
    public void Rank_LazyMmr_PicksWhatTheTextbookLoopPicks(double lambda)
    {
        var random = new Random(17);
        var options = new RankingOptions { FreshnessWeight = 0.1, TrendWeight = 0.2, CoEngagementWeight = 0.5 };
        for (var trial = 0; trial < 300; trial++)
        {
            var palette = Enumerable.Range(0, random.Next(1, 12)).Select(_ => RandomUnit(random, 8)).ToArray();
            var candidates = Enumerable.Range(0, random.Next(1, 120)).Select(i => new Candidate(
                $"i{i}",
                palette[random.Next(palette.Length)],
                random.Next(0, 6) / 5.0,
                random.Next(3) == 0 ? null : Now.AddDays(-random.Next(0, 3)),
                random.Next(0, 3),
                CoEngagement: random.Next(0, 4))).ToArray();
            var listSize = random.Next(1, 25);

            var lazy = Ranker.Rank(candidates, Now, options, listSize, lambda);
            var textbook = TextbookMmr(candidates, options, listSize, lambda);

            Assert.Equal(textbook.Select(p => p.Id), lazy.Select(r => r.Candidate.ItemId));
            Assert.Equal(textbook.Select(p => p.Diversified), lazy.Select(r => r.Reasons.Contains(Ranker.ReasonDiversified)));
        }
    }

    private static float[] RandomUnit(Random random, int dims)
    {
        var v = Enumerable.Range(0, dims).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return [.. v.Select(x => x / norm)];
    }

    /// <summary>MMR as written down: each round, every remaining candidate's λ·score − (1 − λ)·max cos to the picks.</summary>
    private static List<(string Id, bool Diversified)> TextbookMmr(Candidate[] candidates, RankingOptions options, int listSize, double lambda)
    {
        var maxTrend = candidates.Max(c => c.Trend);
        var maxCo = candidates.Max(c => c.CoEngagement);
        var scores = candidates.Select(c => Ranker.Score(c, maxTrend, maxCo, Now, options)).ToArray();
        var byRelevance = Enumerable.Range(0, candidates.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).ToList();
        var left = Enumerable.Range(0, candidates.Length).ToList();
        var picks = new List<int>();
        var result = new List<(string, bool)>();
        while (picks.Count < listSize && left.Count > 0)
        {
            var best = -1;
            var bestValue = double.NegativeInfinity;
            foreach (var i in left)
            {
                var value = lambda * scores[i] - (picks.Count == 0 ? 0 : (1 - lambda) * picks.Max(p => (double)VectorMath.Dot(candidates[i].Vector, candidates[p].Vector)));
                if (value > bestValue)
                {
                    (best, bestValue) = (i, value);
                }
            }

            result.Add((candidates[best].ItemId, byRelevance.First(left.Contains) != best));
            picks.Add(best);
            left.Remove(best);
        }

        return result;
    }
}
