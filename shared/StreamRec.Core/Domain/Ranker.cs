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
        var relevanceRank = RelevanceRanks(scores);

        var maxSimToPicked = new double[candidates.Count];
        var picked = new bool[candidates.Count];
        var result = new List<RankedItem>(n);
        for (var rank = 1; rank <= n; rank++)
        {
            var best = -1;
            var bestValue = double.NegativeInfinity;
            for (var i = 0; i < candidates.Count; i++)
            {
                if (picked[i])
                {
                    continue;
                }

                var value = lambda * scores[i] - (rank == 1 ? 0 : (1 - lambda) * maxSimToPicked[i]);
                if (value > bestValue)
                {
                    bestValue = value;
                    best = i;
                }
            }

            // "diversified": MMR passed over a more relevant item to pick this one.
            var diversified = false;
            for (var i = 0; i < candidates.Count && !diversified; i++)
            {
                diversified = !picked[i] && relevanceRank[i] < relevanceRank[best];
            }

            picked[best] = true;
            var chosen = candidates[best];
            result.Add(new RankedItem(chosen, scores[best], rank, Reasons(chosen, maxTrend, now, options, diversified)));

            for (var i = 0; i < candidates.Count; i++)
            {
                if (!picked[i])
                {
                    var sim = VectorMath.Dot(candidates[i].Vector, chosen.Vector);
                    if (rank == 1 || sim > maxSimToPicked[i])
                    {
                        maxSimToPicked[i] = sim;
                    }
                }
            }
        }

        return result;
    }

    private static double Normalized(double value, double max) => max > 0 ? value / max : 0;

    private static int[] RelevanceRanks(double[] scores)
    {
        var order = new int[scores.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        // Stable: equal scores keep candidate order.
        var sorted = order.OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
        var ranks = new int[scores.Length];
        for (var r = 0; r < sorted.Length; r++)
        {
            ranks[sorted[r]] = r;
        }

        return ranks;
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
