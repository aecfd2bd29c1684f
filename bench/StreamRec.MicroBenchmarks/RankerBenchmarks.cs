using BenchmarkDotNet.Attributes;
using StreamRec.Domain;

namespace StreamRec.MicroBenchmarks;

/// <summary>The recommender's re-rank: score the retrieved candidates (200 text-nearest, 400 with the co-engagement
/// source's) and pick 10 by MMR (384-dim unit vectors).</summary>
[MemoryDiagnoser]
public class RankerBenchmarks
{
    private readonly RankingOptions _options = new() { Candidates = 200, ListSize = 10 };
    private Candidate[] _candidates = [];
    private DateTimeOffset _now;

    [Params(200, 400)]
    public int Candidates { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _now = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        _candidates = Enumerable.Range(0, Candidates)
            .Select(i => new Candidate(
                $"item-{i}",
                Vectors.RandomUnit(random, 384),
                1.0 - i * 0.001,
                _now.AddDays(-random.Next(0, 400)),
                random.NextDouble() * 10,
                random.NextDouble(),
                random.NextDouble(),
                $"Title {i}"))
            .ToArray();
    }

    [Benchmark(Description = "Ranker.Rank -> 10 (MMR, default λ 0.5)")]
    public IReadOnlyList<RankedItem> Mmr() => Ranker.Rank(_candidates, _now, _options);

    [Benchmark(Description = "Ranker.Rank -> 10 (λ=1, top-N by score)")]
    public IReadOnlyList<RankedItem> TopN() => Ranker.Rank(_candidates, _now, _options, 10, 1.0);
}
