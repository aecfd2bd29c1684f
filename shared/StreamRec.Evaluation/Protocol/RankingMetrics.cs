using StreamRec.Domain;

namespace StreamRec.Evaluation.Protocol;

/// <summary>The per-list measures, as pure functions (ranks are 1-based; 0 means "not in the list").</summary>
public static class RankingMetrics
{
    /// <summary>1-based position of <paramref name="item"/> in the first <paramref name="k"/> entries; 0 when absent.</summary>
    public static int RankOf(IReadOnlyList<string> list, string item, int k)
    {
        var n = Math.Min(k, list.Count);
        for (var i = 0; i < n; i++)
        {
            if (string.Equals(list[i], item, StringComparison.Ordinal))
            {
                return i + 1;
            }
        }

        return 0;
    }

    /// <summary>1 when the item is within the first <paramref name="k"/> (rank 1..k), else 0.</summary>
    public static double Hit(int rank, int k) => rank >= 1 && rank <= k ? 1 : 0;

    /// <summary>NDCG@k with one relevant item: the ideal DCG is 1, so it is <c>1/log2(rank + 1)</c> within k, else 0.</summary>
    public static double Ndcg(int rank, int k) => rank >= 1 && rank <= k ? 1.0 / Math.Log2(rank + 1) : 0;

    /// <summary>Reciprocal rank cut at k: <c>1/rank</c> within k, else 0.</summary>
    public static double ReciprocalRank(int rank, int k) => rank >= 1 && rank <= k ? 1.0 / rank : 0;

    /// <summary>Share of <paramref name="relevant"/> found in the first <paramref name="k"/> entries (0 for an empty set).</summary>
    public static double Recall(IReadOnlyList<string> list, int k, IReadOnlySet<string> relevant)
    {
        if (relevant.Count == 0)
        {
            return 0;
        }

        var found = 0;
        var n = Math.Min(k, list.Count);
        for (var i = 0; i < n; i++)
        {
            if (relevant.Contains(list[i]))
            {
                found++;
            }
        }

        return (double)found / relevant.Count;
    }

    /// <summary>
    /// Self-information of an item, <c>-log2 p</c>, with <c>p = (users who interacted with it + 1) / (active users + 1)</c>:
    /// add-one smoothing keeps never-seen items finite. Higher = less popular = more novel.
    /// </summary>
    public static double SelfInformation(int itemUsers, int activeUsers) =>
        -Math.Log2((itemUsers + 1.0) / (Math.Max(activeUsers, itemUsers) + 1.0));

    /// <summary>Mean pairwise cosine distance <c>1 − cos</c> of unit vectors (0 for fewer than two).</summary>
    public static double IntraListDiversity(IReadOnlyList<float[]> vectors) => VectorMath.IntraListDiversity(vectors);
}
