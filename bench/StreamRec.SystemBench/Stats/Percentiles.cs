namespace StreamRec.SystemBench.Stats;

/// <summary>Latency distribution of one measurement, in milliseconds.</summary>
/// <param name="Count">Samples.</param>
public sealed record LatencySummary(int Count, double P50, double P95, double P99, double Max, double Mean);

/// <summary>Nearest-rank percentiles: the reported value is always one that was measured, never an interpolation.</summary>
public static class Percentiles
{
    /// <summary>The smallest sample such that at least <paramref name="percentile"/> % of the samples are at or below it.</summary>
    /// <param name="sorted">Samples in ascending order.</param>
    /// <param name="percentile">In (0, 100].</param>
    public static double NearestRank(IReadOnlyList<double> sorted, double percentile)
    {
        ArgumentOutOfRangeException.ThrowIfZero(sorted.Count);
        if (percentile is <= 0 or > 100 || double.IsNaN(percentile))
        {
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "must be in (0, 100]");
        }

        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }

    /// <summary>p50, p95, p99, max and mean; null without samples (a phase that produced no list has no latency).</summary>
    public static LatencySummary? Summarize(IEnumerable<double> samples)
    {
        var sorted = samples.Where(s => !double.IsNaN(s)).Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }

        return new LatencySummary(
            sorted.Length,
            Round(NearestRank(sorted, 50)),
            Round(NearestRank(sorted, 95)),
            Round(NearestRank(sorted, 99)),
            Round(sorted[^1]),
            Round(sorted.Average()));
    }

    private static double Round(double value) => Math.Round(value, 3);
}
