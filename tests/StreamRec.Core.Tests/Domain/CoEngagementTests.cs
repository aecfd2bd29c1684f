using StreamRec.Domain;

namespace StreamRec.Core.Tests.Domain;

public sealed class CoEngagementTests
{
    private static CoEngagementOptions Options(double pairHalfLife = 1, double queryHalfLife = 1, int history = 50, int limit = 200, double countExponent = 0.5) => new()
    {
        QueryCountExponent = countExponent,
        PairHalfLifePositions = pairHalfLife,
        QueryHalfLifePositions = queryHalfLife,
        HistorySize = history,
        NeighbourLimit = limit,
    };

    [Fact]
    public void Pairs_NewItem_WeightHalvesPerHalfLifeOfSequenceDistance()
    {
        var pairs = CoEngagement.Pairs(["a", "b", "c"], "d", Options(pairHalfLife: 1));

        Assert.Equal([("c", 1.0), ("b", 0.5), ("a", 0.25)], pairs);
    }

    [Fact]
    public void Pairs_WeightingOff_EveryPairCountsOne()
    {
        var pairs = CoEngagement.Pairs(["a", "b", "c"], "d", Options(pairHalfLife: 0));

        Assert.All(pairs, p => Assert.Equal(1.0, p.Weight));
    }

    [Fact]
    public void Pairs_NotPositiveItems_WeighLessForEachSideOfThePair()
    {
        var options = Options(pairHalfLife: 1);
        options.NotPositivePairWeight = 0.5;

        var pairs = CoEngagement.Pairs(["a", "b", "c"], "d", options, new HashSet<string> { "b", "d" });

        // d (the new item) is not positive: every pair halves; b too: its pair halves twice.
        Assert.Equal([("c", 0.5), ("b", 0.125), ("a", 0.125)], pairs);
    }

    [Fact]
    public void Pairs_NotPositiveWeightOne_CountsEveryEngagementAlike()
    {
        var options = Options(pairHalfLife: 1);
        options.NotPositivePairWeight = 1;

        var pairs = CoEngagement.Pairs(["a", "b", "c"], "d", options, new HashSet<string> { "b", "d" });

        Assert.Equal(CoEngagement.Pairs(["a", "b", "c"], "d", options), pairs);
    }

    [Fact]
    public void Contributions_NotPositiveItem_BothDirectionsCarryTheSameWeight()
    {
        var options = Options(pairHalfLife: 1);
        options.NotPositivePairWeight = 0.5;

        var rows = CoEngagement.Contributions(["a"], "d", "clicks:0", 7, retried: false, options, new HashSet<string> { "a" });

        Assert.Equal([("a", 0.5)], rows.Single(r => r.RowId == "d").Contribution.Pairs);
        Assert.Equal([("d", 0.5)], rows.Single(r => r.RowId == "a").Contribution.Pairs);
    }

    [Fact]
    public void Pairs_ItemAlreadyInWindow_IsNotNewEvidence()
    {
        Assert.Empty(CoEngagement.Pairs(["a", "b", "c"], "b", Options()));
    }

    [Fact]
    public void Pairs_OnlyTheLastHistorySizeItemsPair()
    {
        var pairs = CoEngagement.Pairs(["a", "b", "c"], "d", Options(history: 2));

        Assert.Equal(["c", "b"], pairs.Select(p => p.Other));
    }

    [Fact]
    public void Apply_AddsBothDirectionsAndCountsTheEngagement()
    {
        var rows = new Dictionary<string, CoEngagementRow>();
        CoEngagement.Apply(rows, "d", CoEngagement.Pairs(["a", "b"], "d", Options()), Options());

        Assert.Equal(1, rows["d"].Count);
        Assert.Equal(0, rows["a"].Count);
        Assert.Equal(0.5, rows["d"].Neighbours["a"]);
        Assert.Equal(0.5, rows["a"].Neighbours["d"]);
        Assert.Equal(1.0, rows["b"].Neighbours["d"]);
    }

    [Fact]
    public void Score_NeighboursOfTheNewestItemOutweighOlderOnes()
    {
        var rows = new Dictionary<string, CoEngagementRow>
        {
            ["old"] = Row(1, ("x", 1.0)),
            ["new"] = Row(1, ("y", 1.0)),
            ["x"] = Row(1),
            ["y"] = Row(1),
        };

        var scores = CoEngagement.Score(["old", "new"], rows.GetValueOrDefault, Options(queryHalfLife: 1), exclude: null, limit: 10);

        Assert.Equal(["y", "x"], scores.Select(s => s.ItemId));
        Assert.Equal(1.0, scores[0].Score, 12);
        Assert.Equal(0.5, scores[1].Score, 12);
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(1.0)]
    public void Score_ARecentItemTheUserDidNotLike_QueriesWithItsLowerWeight(double weight)
    {
        var rows = new Dictionary<string, CoEngagementRow>
        {
            ["liked"] = Row(1, ("x", 1.0)),
            ["disliked"] = Row(1, ("y", 1.0)),
            ["x"] = Row(1),
            ["y"] = Row(1),
        };
        var options = Options(queryHalfLife: 1);
        options.NotPositiveQueryWeight = weight;

        var scores = CoEngagement.Score(["liked", "disliked"], rows.GetValueOrDefault, options, exclude: null, limit: 10, new HashSet<string> { "disliked" })
            .ToDictionary(s => s.ItemId, s => s.Score);

        Assert.Equal(weight, scores["y"], 12);
        Assert.Equal(0.5, scores["x"], 12);
    }

    [Fact]
    public void Score_NotPositiveQueryWeightZero_LeavesTheDislikedItemsNeighboursOut()
    {
        var rows = new Dictionary<string, CoEngagementRow> { ["disliked"] = Row(1, ("y", 1.0)), ["y"] = Row(1) };
        var options = Options();
        options.NotPositiveQueryWeight = 0;

        Assert.Empty(CoEngagement.Score(["disliked"], rows.GetValueOrDefault, options, exclude: null, limit: 10, new HashSet<string> { "disliked" }));
    }

    [Fact]
    public void Score_IsCosineNormalisedByBothItemsEngagement()
    {
        var rows = new Dictionary<string, CoEngagementRow>
        {
            ["q"] = Row(4, ("popular", 2.0), ("niche", 1.0)),
            ["popular"] = Row(100),
            ["niche"] = Row(1),
        };

        var scores = CoEngagement.Score(["q"], rows.GetValueOrDefault, Options(), exclude: null, limit: 10).ToDictionary(s => s.ItemId, s => s.Score);

        Assert.Equal(2.0 / Math.Sqrt(4 * 100), scores["popular"], 12);
        Assert.Equal(1.0 / Math.Sqrt(4 * 1), scores["niche"], 12);
    }

    [Fact]
    public void Score_QueryCountExponent_SetsHowMuchARecentItemsEngagementQuietsIt()
    {
        var rows = new Dictionary<string, CoEngagementRow>
        {
            ["busy"] = Row(16, ("x", 1.0)),
            ["quiet"] = Row(1, ("y", 1.0)),
            ["x"] = Row(1),
            ["y"] = Row(1),
        };

        // Same position weight for both (no recency decay): only the sources' counts differ.
        var cosine = CoEngagement.Score(["busy", "quiet"], rows.GetValueOrDefault, Options(queryHalfLife: 0, countExponent: 0.5), null, 10).ToDictionary(s => s.ItemId, s => s.Score);
        var flatter = CoEngagement.Score(["busy", "quiet"], rows.GetValueOrDefault, Options(queryHalfLife: 0, countExponent: 0.25), null, 10).ToDictionary(s => s.ItemId, s => s.Score);

        Assert.Equal(1.0 / 4, cosine["x"], 12);
        Assert.Equal(1.0 / 2, flatter["x"], 12);
        Assert.Equal(1.0, flatter["y"], 12);
    }

    [Fact]
    public void Score_CandidateCountExponent_SetsHowMuchACandidatesEngagementQuietsIt()
    {
        var rows = new Dictionary<string, CoEngagementRow>
        {
            ["q"] = Row(1, ("popular", 4.0), ("niche", 1.0)),
            ["popular"] = Row(16),
            ["niche"] = Row(1),
        };
        CoEngagementOptions With(double c) => new() { QueryHalfLifePositions = 0, CandidateCountExponent = c };

        var cosine = CoEngagement.Score(["q"], rows.GetValueOrDefault, With(0.5), null, 10);
        var rarer = CoEngagement.Score(["q"], rows.GetValueOrDefault, With(0.75), null, 10);
        var raw = CoEngagement.Score(["q"], rows.GetValueOrDefault, With(0), null, 10);

        // 4/16^0.5 = 1 ties niche's 1 (the earlier id wins the tie); 4/16^0.75 = 0.5 puts niche first; raw counts 4 vs 1.
        Assert.Equal([("niche", 1.0), ("popular", 1.0)], cosine.Select(s => (s.ItemId, Math.Round(s.Score, 12))));
        Assert.Equal([("niche", 1.0), ("popular", 0.5)], rarer.Select(s => (s.ItemId, Math.Round(s.Score, 12))));
        Assert.Equal([("popular", 4.0), ("niche", 1.0)], raw.Select(s => (s.ItemId, Math.Round(s.Score, 12))));
    }

    [Fact]
    public void Score_ExcludedItemsAndLimit_AreRespected()
    {
        var rows = new Dictionary<string, CoEngagementRow>
        {
            ["q"] = Row(1, ("a", 3.0), ("b", 2.0), ("c", 1.0)),
            ["a"] = Row(1),
            ["b"] = Row(1),
            ["c"] = Row(1),
        };

        var scores = CoEngagement.Score(["q"], rows.GetValueOrDefault, Options(), exclude: new HashSet<string> { "a" }, limit: 1);

        Assert.Equal(["b"], scores.Select(s => s.ItemId));
    }

    [Fact]
    public void RowAdd_PastTwiceTheLimit_KeepsTheStrongestDeterministically()
    {
        var row = new CoEngagementRow();
        for (var i = 0; i < 5; i++)
        {
            row.Add("n" + i, i, limit: 2);
        }

        Assert.Equal(["n3", "n4"], row.Neighbours.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Apply_SameSequencesTwice_GivesIdenticalRows()
    {
        static Dictionary<string, CoEngagementRow> Replay()
        {
            var rows = new Dictionary<string, CoEngagementRow>();
            var random = new Random(5);
            var histories = new Dictionary<int, List<string>>();
            for (var e = 0; e < 2_000; e++)
            {
                var user = random.Next(20);
                var item = "i" + random.Next(60);
                var history = histories.TryGetValue(user, out var h) ? h : histories[user] = [];
                var options = new CoEngagementOptions { NeighbourLimit = 5 };
                CoEngagement.Apply(rows, item, CoEngagement.Pairs(history, item, options), options);
                history.Remove(item);
                history.Add(item);
            }

            return rows;
        }

        var first = Replay();
        var second = Replay();

        Assert.Equal(first.Keys.Order(StringComparer.Ordinal), second.Keys.Order(StringComparer.Ordinal));
        foreach (var (item, row) in first)
        {
            Assert.Equal(row.Count, second[item].Count);
            Assert.Equal(row.Neighbours.OrderBy(kv => kv.Key, StringComparer.Ordinal), second[item].Neighbours.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        }
    }

    private static CoEngagementRow Row(double count, params (string Id, double Weight)[] neighbours)
    {
        var row = new CoEngagementRow { Count = count };
        foreach (var (id, weight) in neighbours)
        {
            row.Neighbours[id] = weight;
        }

        return row;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Score_SumsOnceAndExcludesAtTheEnd_ExactlyAsExcludingWhileSumming(int seed)
    {
        // Random rows over 60 items; the reference is the scoring as it was before it summed once and excluded at the
        // end: the same items, the same doubles, bit for bit.
        var random = new Random(seed);
        var items = Enumerable.Range(0, 60).Select(i => "i" + i).ToArray();
        var rows = new Dictionary<string, CoEngagementRow>(StringComparer.Ordinal);
        foreach (var item in items.Where(_ => random.NextDouble() < 0.9))
        {
            var row = new CoEngagementRow { Count = 1 + random.Next(40) };
            foreach (var other in items.Where(o => o != item && random.NextDouble() < 0.4))
            {
                row.Neighbours[other] = random.NextDouble() * 3;
            }

            rows[item] = row;
        }

        var recent = Enumerable.Range(0, 25).Select(_ => items[random.Next(items.Length)]).Distinct().ToArray();
        var exclude = recent.Concat(items.Where(_ => random.NextDouble() < 0.1)).ToHashSet(StringComparer.Ordinal);
        var notPositive = recent.Where(_ => random.NextDouble() < 0.3).ToHashSet(StringComparer.Ordinal);
        var options = Options(queryHalfLife: 5);
        options.NotPositiveQueryWeight = 0.5;

        var scores = CoEngagement.Score(recent, rows.GetValueOrDefault, options, exclude, limit: 25, notPositive);

        var expected = ExcludingWhileSumming(recent, rows, options, exclude, 25, notPositive);
        Assert.Equal(25, expected.Count);
        Assert.Equal(expected.Select(e => e.ItemId), scores.Select(s => s.ItemId));
        Assert.Equal(expected.Select(e => BitConverter.DoubleToInt64Bits(e.Score)), scores.Select(s => BitConverter.DoubleToInt64Bits(s.Score)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(400)]
    public void Normalise_KeepsTheBest_AsAFullSortWould_TiesByIdIncluded(int limit)
    {
        // Scores from a handful of values, so most items tie with many others: the kept set and its order must still be
        // the full sort's (score descending, then id), whatever order the dictionary yields the items in.
        var random = new Random(limit + 11);
        var partial = new Dictionary<string, double>(StringComparer.Ordinal);
        var rows = new Dictionary<string, CoEngagementRow>(StringComparer.Ordinal);
        foreach (var i in Enumerable.Range(0, 300).OrderBy(_ => random.Next()))
        {
            var id = "i" + i;
            partial[id] = random.Next(1, 6) * 0.5;
            if (random.NextDouble() < 0.85)
            {
                rows[id] = new CoEngagementRow { Count = random.Next(3) == 0 ? 0 : 4 }; // a count of 0 is dropped like no row
            }
        }

        var exclude = partial.Keys.Where(_ => random.NextDouble() < 0.1).ToHashSet(StringComparer.Ordinal);
        var expected = partial
            .Where(kv => !exclude.Contains(kv.Key) && rows.TryGetValue(kv.Key, out var row) && row.Count > 0)
            .Select(kv => (kv.Key, kv.Value / 2))
            .OrderByDescending(x => x.Item2).ThenBy(x => x.Key, StringComparer.Ordinal)
            .Take(limit)
            .ToList();

        var kept = CoEngagement.Normalise(partial, rows.GetValueOrDefault, Options(), exclude, limit);
        // Among the items with a row (the recommender's second pass, over packed rows): the same answer without visiting the rest.
        var (_, sums, packed) = Packed(partial, rows.Reverse());
        var among = CoEngagement.Normalise(packed, sums, Options(), exclude, limit);

        // Both regimes: a limit that cuts (up to 100 here) and one above what can score (about 150 items).
        Assert.Equal(limit <= 100 ? limit : expected.Count, expected.Count);
        Assert.True(limit <= 100 || expected.Count < limit);
        Assert.Equal(expected, kept);
        Assert.Equal(expected, among);
    }

    [Theory]
    [InlineData(1, 0.5)]
    [InlineData(7, 0.5)]
    [InlineData(100, 0.5)]
    [InlineData(400, 0.5)]
    [InlineData(100, 0.3)]
    public void CandidatePool_IsWhatNormaliseKeepsWithACountOfOneForItemsWithoutARow_LessThoseWithRows(int limit, double exponent)
    {
        // Most sums tie; a few items have rows with counts below, at and above 1 (one of 0: dropped), some of them
        // excluded, some items without a row excluded too: the pool must be what Normalise keeps, less the items with rows.
        var random = new Random(limit + (int)(exponent * 10));
        var partial = new Dictionary<string, double>(StringComparer.Ordinal);
        var rows = new Dictionary<string, CoEngagementRow>(StringComparer.Ordinal);
        foreach (var i in Enumerable.Range(0, 2_000).OrderBy(_ => random.Next()))
        {
            var id = "i" + i;
            partial[id] = random.Next(1, 8) * 0.25;
            if (random.NextDouble() < 0.02)
            {
                rows[id] = new CoEngagementRow { Count = new[] { 0, 0.3, 1, 2.5, 40 }[random.Next(5)] };
            }
        }

        rows["no-sum"] = new CoEngagementRow { Count = 3 }; // a row without a partial sum scores nothing
        var exclude = partial.Keys.Where(_ => random.NextDouble() < 0.2).ToHashSet(StringComparer.Ordinal);
        var options = Options();
        options.CandidateCountExponent = exponent;
        var unit = new CoEngagementRow { Count = 1 };

        var expected = CoEngagement.Normalise(partial, id => rows.GetValueOrDefault(id) ?? unit, options, exclude, limit);
        var (ids, sums, packed) = Packed(partial, rows);
        var pool = CoEngagement.CandidatePool(sums, ids, packed, options, exclude, limit);

        Assert.Equal(Math.Min(limit, partial.Count - exclude.Count - rows.Count(r => r.Value.Count == 0 && !exclude.Contains(r.Key) && partial.ContainsKey(r.Key))), expected.Count);
        Assert.Equal(expected.Select(e => e.ItemId).Where(id => !rows.ContainsKey(id)).Order(StringComparer.Ordinal), pool.Order(StringComparer.Ordinal));
        Assert.Contains(expected, e => rows.ContainsKey(e.ItemId)); // the rows' own scores are in play
    }

    /// <summary>The partial sums and rows packed as the recommender holds them, numbered in a new table.</summary>
    private static (ItemIdTable Ids, CoEngagementSums Sums, Dictionary<string, PackedCoEngagementRow> Rows) Packed(
        Dictionary<string, double> partial, IEnumerable<KeyValuePair<string, CoEngagementRow>> rows)
    {
        var ids = new ItemIdTable();
        var packed = rows.ToDictionary(kv => kv.Key, kv => PackedCoEngagementRow.Pack(kv.Key, kv.Value, ids), StringComparer.Ordinal);
        var sums = new CoEngagementSums();
        sums.EnsureCapacity(ids.Count + partial.Count);
        foreach (var (id, sum) in partial)
        {
            sums.Add(ids.Intern(id), sum);
        }

        return (ids, sums, packed);
    }

    private static List<(string ItemId, double Score)> ExcludingWhileSumming(
        string[] recent, Dictionary<string, CoEngagementRow> rows, CoEngagementOptions options, HashSet<string> exclude, int limit, HashSet<string> notPositive)
    {
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = recent.Length - 1; i >= Math.Max(0, recent.Length - options.QueryItems); i--)
        {
            if (!rows.TryGetValue(recent[i], out var source) || source.Count <= 0)
            {
                continue;
            }

            var liking = notPositive.Contains(recent[i]) ? options.NotPositiveQueryWeight : 1;
            var q = liking * Math.Pow(2, -(recent.Length - 1 - i) / options.QueryHalfLifePositions) / Math.Pow(source.Count, options.QueryCountExponent);
            foreach (var (item, weight) in source.Neighbours)
            {
                if (!exclude.Contains(item))
                {
                    scores[item] = scores.GetValueOrDefault(item) + q * weight;
                }
            }
        }

        return scores
            .Where(kv => rows.TryGetValue(kv.Key, out var row) && row.Count > 0)
            .Select(kv => (kv.Key, kv.Value / Math.Sqrt(rows[kv.Key].Count)))
            .OrderByDescending(x => x.Item2).ThenBy(x => x.Key, StringComparer.Ordinal)
            .Take(limit)
            .ToList();
    }
}

/// <summary>A row's weights do not depend on the order its contributions arrive in (they are on one grid).</summary>
public sealed class CoEngagementWeightGridTests
{
    [Fact]
    public void RowSums_AreBitIdenticalInAnyOrder_WhereUnroundedWeightsAreNot()
    {
        var options = new CoEngagementOptions { BackwardPairWeight = 0.7 };
        var random = new Random(11);
        var items = Enumerable.Range(0, 40).Select(i => $"i{i}").ToArray();
        // 400 users' engagements with 'x', each after a random history, with some items not liked.
        var contributions = new List<IReadOnlyList<(string Other, double Weight)>>();
        for (var u = 0; u < 400; u++)
        {
            var history = Enumerable.Range(0, random.Next(1, 60)).Select(_ => items[random.Next(items.Length)]).Distinct().ToList();
            var notPositive = history.Where(_ => random.Next(4) == 0).ToHashSet(StringComparer.Ordinal);
            contributions.Add(CoEngagement.BackwardPairs(CoEngagement.Pairs(history, "x", options, notPositive), options));
        }

        Dictionary<string, double> Sum(IEnumerable<IReadOnlyList<(string Other, double Weight)>> order, Func<double, double> weight)
        {
            var row = new CoEngagementRow();
            foreach (var pairs in order)
            {
                foreach (var (other, w) in pairs)
                {
                    row.Add(other, weight(w), options.NeighbourLimit);
                }
            }

            return row.Neighbours;
        }

        var inOrder = Sum(contributions, w => w);
        var shuffled = Sum(contributions.OrderBy(_ => random.Next()).ToList(), w => w);
        Assert.All(inOrder, kv => Assert.Equal(BitConverter.DoubleToInt64Bits(kv.Value), BitConverter.DoubleToInt64Bits(shuffled[kv.Key])));
        Assert.All(contributions.SelectMany(c => c), p => Assert.Equal(p.Weight, CoEngagement.OnGrid(p.Weight)));

        // The same sums off the grid (each weight nudged by a part in 10^9) differ in the last bits with the order: what the grid removes.
        var nudged = contributions.Select(c => (IReadOnlyList<(string Other, double Weight)>)c.Select(p => (p.Other, p.Weight * (1 + 1e-9))).ToList()).ToList();
        var offGridInOrder = Sum(nudged, w => w);
        var offGridShuffled = Sum(nudged.OrderBy(_ => random.Next()).ToList(), w => w);
        Assert.Contains(offGridInOrder, kv => kv.Value != offGridShuffled[kv.Key]);
    }

    [Fact]
    public void OnGrid_RoundsToTheNearestMultipleOfTwoToTheMinus24()
    {
        Assert.Equal(0.5, CoEngagement.OnGrid(0.5));
        Assert.Equal(3 * CoEngagement.WeightGrid, CoEngagement.OnGrid(3.4 * CoEngagement.WeightGrid));
        Assert.Equal(0.8, CoEngagement.OnGrid(0.8), 1e-7);
        Assert.Equal(0, Math.IEEERemainder(CoEngagement.OnGrid(Math.Pow(2, -7.0 / 20)), CoEngagement.WeightGrid));
    }
}

public sealed class CoEngagementRowApplyTests
{
    private static CoEngagementContribution C(long offset, bool retried = false, string source = "streamrec.user-events:0", double count = 1) =>
        new(source, offset, retried, count, [("x", 0.5)]);

    [Fact]
    public void Apply_InOrderContributionAtOrBelowWatermark_IsSkipped()
    {
        var row = new CoEngagementRow();

        Assert.True(row.Apply(C(10), 200));
        Assert.False(row.Apply(C(10), 200));
        Assert.False(row.Apply(C(9), 200));
        Assert.True(row.Apply(C(11), 200));

        Assert.Equal(2, row.Count);
        Assert.Equal(1.0, row.Neighbours["x"]);
        Assert.Equal(11, row.Watermarks["streamrec.user-events:0"]);
    }

    [Fact]
    public void Apply_WatermarksArePerSourcePartition()
    {
        var row = new CoEngagementRow();

        Assert.True(row.Apply(C(10, source: "streamrec.user-events:0"), 200));
        Assert.True(row.Apply(C(3, source: "streamrec.user-events:1"), 200));

        Assert.Equal(2, row.Count);
    }

    [Fact]
    public void Apply_LateContributionBelowWatermark_IsAppliedOnceByItsId()
    {
        var row = new CoEngagementRow();
        row.Apply(C(50), 200);

        Assert.True(row.Apply(C(20, retried: true), 200));
        Assert.False(row.Apply(C(20, retried: true), 200));

        Assert.Equal(2, row.Count);
        Assert.Equal(50, row.Watermarks["streamrec.user-events:0"]);
    }

    [Fact]
    public void Contributions_OneEngagement_TouchesItsRowAndEachNeighbourSymmetrically()
    {
        var options = new CoEngagementOptions { PairHalfLifePositions = 1 };

        var contributions = CoEngagement.Contributions(["a", "b"], "c", "streamrec.user-events:0", 7, retried: false, options);

        Assert.Equal(["c", "b", "a"], contributions.Select(c => c.RowId));
        Assert.Equal(1, contributions[0].Contribution.Count);
        Assert.Equal([("b", 1.0), ("a", 0.5)], contributions[0].Contribution.Pairs);
        Assert.Equal([("c", 1.0)], contributions[1].Contribution.Pairs);
        Assert.Equal([("c", 0.5)], contributions[2].Contribution.Pairs);
        Assert.All(contributions, c => Assert.Equal(0, c.RowId == "c" ? 0 : c.Contribution.Count));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.25)]
    public void BackwardPairWeight_ScalesThePairsInTheLaterItemsRowOnly(double backward)
    {
        var options = new CoEngagementOptions { PairHalfLifePositions = 1, BackwardPairWeight = backward };
        var rows = new Dictionary<string, CoEngagementRow>();

        CoEngagement.Apply(rows, "c", CoEngagement.Pairs(["a", "b"], "c", options), options);
        var contributions = CoEngagement.Contributions(["a", "b"], "c", "streamrec.user-events:0", 7, retried: false, options);

        Assert.Equal(backward * 1.0, rows["c"].Neighbours["b"]);
        Assert.Equal(backward * 0.5, rows["c"].Neighbours["a"]);
        Assert.Equal(1.0, rows["b"].Neighbours["c"]);
        Assert.Equal(0.5, rows["a"].Neighbours["c"]);
        Assert.Equal([("b", backward * 1.0), ("a", backward * 0.5)], contributions[0].Contribution.Pairs);
        Assert.Equal([("c", 1.0)], contributions[1].Contribution.Pairs);
    }

    [Fact]
    public void BackwardPairWeightZero_TheLaterItemsRowOnlyCountsTheEngagement()
    {
        var options = new CoEngagementOptions { BackwardPairWeight = 0 };
        var rows = new Dictionary<string, CoEngagementRow>();

        CoEngagement.Apply(rows, "c", CoEngagement.Pairs(["a", "b"], "c", options), options);
        var contributions = CoEngagement.Contributions(["a", "b"], "c", "streamrec.user-events:0", 7, retried: false, options);

        Assert.Equal(1, rows["c"].Count);
        Assert.Empty(rows["c"].Neighbours);
        Assert.Equal(["c"], rows["a"].Neighbours.Keys);
        Assert.Equal(1, contributions[0].Contribution.Count);
        Assert.Empty(contributions[0].Contribution.Pairs);
        Assert.Equal(3, contributions.Count);
    }

    [Fact]
    public void Contributions_Repeat_IsEmpty()
    {
        Assert.Empty(CoEngagement.Contributions(["a", "b"], "a", "s:0", 1, false, new CoEngagementOptions()));
    }
}
