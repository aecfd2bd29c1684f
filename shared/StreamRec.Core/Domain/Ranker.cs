namespace StreamRec.Domain;

/// <summary>An item retrieved for a user, before re-ranking.</summary>
/// <param name="ItemId">Item id.</param>
/// <param name="Vector">The item's unit vector (for MMR).</param>
/// <param name="Similarity">cos(q, v) from retrieval.</param>
/// <param name="PublishedAt">For freshness; null = no bonus.</param>
/// <param name="Trend">Raw trending score (normalised over the candidates by the ranker).</param>
/// <param name="ShortTermSimilarity">cos(ŝ, v), only to explain the pick; NaN when unknown.</param>
/// <param name="LongTermSimilarity">cos(l̂, v), only to explain the pick; NaN when unknown.</param>
/// <param name="Title">Passed through to the list.</param>
/// <param name="CoEngagement">Raw co-engagement score (normalised over the candidates by the ranker); 0 when none.</param>
/// <param name="Sources">Which sources retrieved it; <see cref="CandidateSources.Text"/> when not said.</param>
public sealed record Candidate(
    string ItemId,
    float[] Vector,
    double Similarity,
    DateTimeOffset? PublishedAt,
    double Trend,
    double ShortTermSimilarity = double.NaN,
    double LongTermSimilarity = double.NaN,
    string? Title = null,
    double CoEngagement = 0,
    CandidateSources Sources = CandidateSources.Text);

/// <summary>The candidate sources a list blends.</summary>
[Flags]
public enum CandidateSources
{
    None = 0,

    /// <summary>Nearest to the user's text query (short- and long-term interest).</summary>
    Text = 1,

    /// <summary>Co-engaged with the user's recent items.</summary>
    CoEngagement = 2,

    /// <summary>Trending lately.</summary>
    Trending = 4,
}

/// <summary>A ranked pick, with its final score and the reasons it is there.</summary>
public sealed record RankedItem(Candidate Candidate, double Score, int Rank, IReadOnlyList<string> Reasons);

/// <summary>
/// Re-ranks candidates: <c>score = w_t·cos(q, v) + w_c·co/max(co) + w_f·2^(-age/h_f) + w_p·trend/max(trend)</c>, then picks the top N
/// greedily by MMR, <c>λ·score − (1−λ)·max cos(v, picked)</c>. With λ = 1 this is exactly top-N by score.
/// Pure and deterministic: ties go to the earlier candidate.
/// </summary>
public static class Ranker
{
    public const string ReasonCoEngaged = "co-engaged";
    public const string ReasonSimilarRecent = "similar-recent";
    public const string ReasonSimilarLongTerm = "similar-long-term";
    public const string ReasonFresh = "fresh";
    public const string ReasonTrending = "trending";
    public const string ReasonDiversified = "diversified";

    /// <summary>The relevance score before diversification.</summary>
    public static double Score(Candidate c, double maxTrend, double maxCoEngagement, DateTimeOffset now, RankingOptions options) =>
        options.TextWeight * c.Similarity
        + options.CoEngagementWeight * Normalized(c.CoEngagement, maxCoEngagement)
        + options.FreshnessWeight * Freshness(c.PublishedAt, now, options)
        + options.TrendWeight * Normalized(c.Trend, maxTrend);

    /// <summary><c>2^(-age/h_f)</c>; 1 for items published at or after <paramref name="now"/>, 0 without a date.</summary>
    public static double Freshness(DateTimeOffset? publishedAt, DateTimeOffset now, RankingOptions options) =>
        publishedAt is { } p ? Decay.Factor(now - p, options.FreshnessHalfLife) : 0;

    public static IReadOnlyList<RankedItem> Rank(IReadOnlyList<Candidate> candidates, DateTimeOffset now, RankingOptions options) =>
        Rank(candidates, now, options, options.ListSize, options.MmrLambda);

    public static IReadOnlyList<RankedItem> Rank(IReadOnlyList<Candidate> candidates, DateTimeOffset now, RankingOptions options, int listSize, double lambda)
    {
        var n = Math.Min(listSize, candidates.Count);
        if (n <= 0)
        {
            return [];
        }

        double maxTrend = 0, maxCo = 0;
        foreach (var c in candidates)
        {
            maxTrend = Math.Max(maxTrend, c.Trend);
            maxCo = Math.Max(maxCo, c.CoEngagement);
        }

        var scores = new double[candidates.Count];
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = Score(candidates[i], maxTrend, maxCo, now, options);
        }

        // Relevance order, to tell which picks MMR moved up for diversity.
        var relevanceOrder = RelevanceOrder(scores);
        var relevanceRank = new int[scores.Length];
        for (var r = 0; r < relevanceOrder.Length; r++)
        {
            relevanceRank[relevanceOrder[r]] = r;
        }

        // Lazy greedy MMR, the same picks as recomputing every candidate's value each round. A candidate's value only
        // falls as picks are added (its max similarity to the picks can only grow), so a value computed against the
        // first k picks bounds it from above: each round takes the best bound; when that bound is up to date it is the
        // round's best value (ties to the earlier candidate, as the priority's second key), else it is brought up to
        // date and queued again. Every candidate is compared with the first pick (before that no bound exists), after
        // that only the few near the top are compared with the newer picks: about C + a few dozen dot products per
        // list instead of C per pick.
        var maxSimToPicked = new double[candidates.Count];
        var comparedWith = new int[candidates.Count];
        var picked = new bool[candidates.Count];
        var picks = new List<int>(n);
        var result = new List<RankedItem>(n);
        var queue = new PriorityQueue<int, (double Value, int Index)>(candidates.Count, ValueOrder.Instance);
        var mostRelevantLeft = 0;
        for (var rank = 1; rank <= n; rank++)
        {
            int best;
            if (rank == 1)
            {
                best = BestFirst(scores, lambda);
            }
            else
            {
                while (true)
                {
                    best = queue.Dequeue();
                    if (comparedWith[best] == picks.Count)
                    {
                        break;
                    }

                    CompareWithPicks(best);
                    queue.Enqueue(best, (Value(best), best));
                }
            }

            // "diversified": MMR passed over a more relevant item to pick this one.
            while (picked[relevanceOrder[mostRelevantLeft]])
            {
                mostRelevantLeft++;
            }

            var diversified = relevanceRank[best] > mostRelevantLeft;
            picked[best] = true;
            picks.Add(best);
            var chosen = candidates[best];
            result.Add(new RankedItem(chosen, scores[best], rank, Reasons(chosen, maxTrend, now, options, diversified)));

            if (rank == 1 && n > 1)
            {
                for (var i = 0; i < candidates.Count; i++)
                {
                    if (!picked[i])
                    {
                        CompareWithPicks(i);
                        queue.Enqueue(i, (Value(i), i));
                    }
                }
            }
        }

        return result;

        double Value(int i) => lambda * scores[i] - (1 - lambda) * maxSimToPicked[i] is var v && double.IsNaN(v) ? double.NegativeInfinity : v;

        void CompareWithPicks(int i)
        {
            // With λ = 1 the similarities weigh nothing: top-N by score, no dot products.
            for (var k = lambda >= 1 ? picks.Count : comparedWith[i]; k < picks.Count; k++)
            {
                var sim = VectorMath.Dot(candidates[i].Vector, candidates[picks[k]].Vector);
                if (k == 0 || sim > maxSimToPicked[i])
                {
                    maxSimToPicked[i] = sim;
                }
            }

            comparedWith[i] = picks.Count;
        }
    }

    /// <summary>The first pick: the best <c>λ·score</c>, the earlier candidate on ties (NaN scores last).</summary>
    private static int BestFirst(double[] scores, double lambda)
    {
        var best = 0;
        var bestValue = double.NegativeInfinity;
        for (var i = 0; i < scores.Length; i++)
        {
            var value = lambda * scores[i];
            if (value > bestValue)
            {
                bestValue = value;
                best = i;
            }
        }

        return best;
    }

    /// <summary>Higher value first, then the earlier candidate.</summary>
    private sealed class ValueOrder : IComparer<(double Value, int Index)>
    {
        public static readonly ValueOrder Instance = new();

        public int Compare((double Value, int Index) x, (double Value, int Index) y) =>
            y.Value.CompareTo(x.Value) is var c && c != 0 ? c : x.Index.CompareTo(y.Index);
    }

    private static double Normalized(double value, double max) => max > 0 ? value / max : 0;

    /// <summary>Candidate indices by descending score; equal scores keep candidate order.</summary>
    private static int[] RelevanceOrder(double[] scores)
    {
        var order = new int[scores.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => scores[b].CompareTo(scores[a]) is var c && c != 0 ? c : a.CompareTo(b));
        return order;
    }

    private static List<string> Reasons(Candidate c, double maxTrend, DateTimeOffset now, RankingOptions options, bool diversified)
    {
        var reasons = new List<string>(4);
        if (c.CoEngagement > 0)
        {
            reasons.Add(ReasonCoEngaged);
        }

        if ((c.Sources & CandidateSources.Text) != 0)
        {
            reasons.Add(!double.IsNaN(c.ShortTermSimilarity) && !double.IsNaN(c.LongTermSimilarity) && c.ShortTermSimilarity < c.LongTermSimilarity
                ? ReasonSimilarLongTerm
                : ReasonSimilarRecent);
        }

        if (c.PublishedAt is { } p && now - p <= options.FreshHorizon)
        {
            reasons.Add(ReasonFresh);
        }

        if (Normalized(c.Trend, maxTrend) >= 0.5 || (reasons.Count == 0 && (c.Sources & CandidateSources.Trending) != 0))
        {
            reasons.Add(ReasonTrending);
        }

        if (diversified)
        {
            reasons.Add(ReasonDiversified);
        }

        return reasons;
    }
}
