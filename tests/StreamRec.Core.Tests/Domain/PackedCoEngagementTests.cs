using StreamRec.Domain;

namespace StreamRec.Core.Tests.Domain;

/// <summary>The recommender's packed rows and sums by number must keep the pool and the list full sorts of the string-keyed sums give, bit for bit.</summary>
public sealed class PackedCoEngagementTests
{
    [Theory]
    [InlineData(1, 10, 0.5)]
    [InlineData(2, 40, 0.5)]
    [InlineData(3, 200, 0.5)]
    [InlineData(4, 40, 0.3)]
    public void PackedPath_GivesTheStringPathsPoolAndList_BitForBit(int seed, int limit, double exponent)
    {
        // Weights on a coarse grid so that many sums tie (ids of different lengths: ordinal order is not number order),
        // counts below, at and above 1 and some of 0, a disliked recent item, exclusions among the neighbours.
        var random = new Random(seed);
        var options = new CoEngagementOptions { QueryItems = 12, CandidateCountExponent = exponent, QueryHalfLifePositions = 3 };
        var rows = new Dictionary<string, CoEngagementRow>(StringComparer.Ordinal);
        for (var r = 0; r < 400; r++)
        {
            var row = new CoEngagementRow { Count = new[] { 0, 0.5, 1, 3, 17 }[random.Next(5)] };
            for (var k = random.Next(0, 150); k > 0; k--)
            {
                row.Neighbours["i" + random.Next(0, r % 3 == 0 ? 60 : 3_000)] = random.Next(1, 5) * 0.5;
            }

            rows["i" + r] = row;
        }

        var recent = Enumerable.Range(0, 16).Select(_ => "i" + random.Next(0, 400)).Distinct().ToArray();
        var exclude = recent.Concat(Enumerable.Range(0, 300).Select(_ => "i" + random.Next(0, 3_000))).ToHashSet(StringComparer.Ordinal);
        var notPositive = new HashSet<string>(StringComparer.Ordinal) { recent[1] };
        var ids = new ItemIdTable();
        // Numbers handed out in an order unrelated to the ids' (another table's reads came first).
        foreach (var id in rows.Keys.Reverse())
        {
            ids.Intern(id);
        }

        var packed = rows.ToDictionary(kv => kv.Key, kv => PackedCoEngagementRow.Pack(kv.Key, kv.Value, ids), StringComparer.Ordinal);
        var sources = recent.Where(rows.ContainsKey).ToDictionary(id => id, id => rows[id], StringComparer.Ordinal);
        var packedSources = sources.Keys.ToDictionary(id => id, id => packed[id], StringComparer.Ordinal);

        // The reference, by full sorts: the pool is the best limit × 4 with a count of 1 for every item but the recent
        // ones (whose counts are known), less the recent ones; the list is the best of the pool's rows and the recent
        // ones, each sum divided by its count to the exponent.
        var partial = CoEngagement.PartialScores(recent, sources.GetValueOrDefault, options, notPositive);
        double Normalised(double sum, double n) => sum / (exponent == 0.5 ? Math.Sqrt(n) : Math.Pow(n, exponent));
        List<(string Id, double Score)> Best(IEnumerable<(string Id, double Score)> scored, int take) =>
            [.. scored.OrderByDescending(x => x.Score).ThenBy(x => x.Id, StringComparer.Ordinal).Take(take)];
        var pool = Best(partial
                .Where(kv => !exclude.Contains(kv.Key) && (!sources.TryGetValue(kv.Key, out var own) || own.Count > 0))
                .Select(kv => (kv.Key, sources.TryGetValue(kv.Key, out var own) ? Normalised(kv.Value, own.Count) : kv.Value)), limit * 4)
            .Select(p => p.Id).Where(id => !sources.ContainsKey(id)).ToHashSet(StringComparer.Ordinal);
        var candidates = pool.Where(rows.ContainsKey).Concat(sources.Keys).ToDictionary(id => id, id => rows[id], StringComparer.Ordinal);
        var expected = Best(candidates
            .Where(kv => partial.ContainsKey(kv.Key) && !exclude.Contains(kv.Key) && kv.Value.Count > 0)
            .Select(kv => (kv.Key, Normalised(partial[kv.Key], kv.Value.Count))), limit);

        var sums = new CoEngagementSums();
        for (var pass = 0; pass < 2; pass++)
        {
            // Twice with the same sums object: what one list leaves behind must not reach the next.
            CoEngagement.PartialScores(recent, packedSources.GetValueOrDefault, ids, options, notPositive, sums);
            var packedPool = CoEngagement.CandidatePool(sums, ids, packedSources, options, exclude, limit * 4);
            var packedCandidates = packedPool.Where(packed.ContainsKey).Concat(packedSources.Keys).ToDictionary(id => id, id => packed[id], StringComparer.Ordinal);
            var actual = CoEngagement.Normalise(packedCandidates, sums, options, exclude, limit);
            sums.Clear();

            Assert.Equal(pool.Order(StringComparer.Ordinal), packedPool.Order(StringComparer.Ordinal));
            Assert.Equal(expected.Count, actual.Count);
            Assert.Equal(expected.Select(e => e.Id), actual.Select(a => a.ItemId));
            Assert.Equal(expected.Select(e => BitConverter.DoubleToInt64Bits(e.Score)), actual.Select(a => BitConverter.DoubleToInt64Bits(a.Score)));
        }

        Assert.NotEmpty(expected);
        Assert.Contains(expected, e => expected.Count(o => o.Score == e.Score) > 1); // ties were decided by id
    }

    [Fact]
    public void Table_GivesEveryIdOneNumber_UnderConcurrentInterning()
    {
        var table = new ItemIdTable();
        var numbers = new System.Collections.Concurrent.ConcurrentBag<(string Id, int Number)>();
        Parallel.For(0, 8, worker =>
        {
            // Overlapping ranges, past the table's first array (1,024), each thread in its own order.
            foreach (var i in Enumerable.Range(0, 5_000).OrderBy(i => (i * (worker + 7)) % 5_003))
            {
                var id = "item-" + i;
                numbers.Add((id, table.Intern(id)));
                Assert.Equal(id, table.IdOf(table.Intern(id)));
            }
        });

        Assert.Equal(5_000, table.Count);
        var byId = numbers.GroupBy(n => n.Id).ToList();
        Assert.All(byId, g => Assert.Single(g.Select(n => n.Number).Distinct()));
        Assert.Equal(Enumerable.Range(0, 5_000), byId.Select(g => g.First().Number).Order());
        Assert.All(byId, g => Assert.Equal(g.Key, table.IdOf(g.First().Number)));
    }

    [Fact]
    public void Sums_AddUpByNumber_AndClearOnlyWhatWasTouched()
    {
        var sums = new CoEngagementSums();
        sums.EnsureCapacity(10);
        sums.Add(7, 1.5);
        sums.Add(2, 0.25);
        sums.Add(7, 2);

        Assert.Equal([7, 2], sums.Touched.ToArray());
        Assert.True(sums.TryGet(7, out var seven));
        Assert.Equal(3.5, seven);
        Assert.False(sums.TryGet(3, out _));
        Assert.False(sums.TryGet(50, out _)); // past the capacity: no sum

        sums.Clear();
        sums.EnsureCapacity(100);
        sums.Add(7, 1);

        Assert.Equal([7], sums.Touched.ToArray());
        Assert.True(sums.TryGet(7, out seven));
        Assert.Equal(1, seven);
        Assert.False(sums.TryGet(2, out _));
    }
}
