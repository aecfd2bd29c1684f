using StreamRec.SystemBench.Stats;

namespace StreamRec.SystemBench.Tests.Stats;

public class PercentilesTests
{
    private static readonly double[] OneToHundred = [.. Enumerable.Range(1, 100).Select(i => (double)i)];

    [Theory]
    [InlineData(50, 50)]
    [InlineData(95, 95)]
    [InlineData(99, 99)]
    [InlineData(100, 100)]
    [InlineData(0.5, 1)]
    [InlineData(99.1, 100)]
    public void NearestRank_OneToHundred_ReturnsTheMeasuredValueAtTheRank(double percentile, double expected) =>
        Assert.Equal(expected, Percentiles.NearestRank(OneToHundred, percentile));

    [Fact]
    public void NearestRank_SmallSample_NeverInterpolates()
    {
        double[] sorted = [10, 20, 30, 40];

        Assert.Equal(20, Percentiles.NearestRank(sorted, 50));
        Assert.Equal(40, Percentiles.NearestRank(sorted, 99));
        Assert.Equal(10, Percentiles.NearestRank(sorted, 25));
        Assert.Equal(30, Percentiles.NearestRank(sorted, 50.1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(100.5)]
    [InlineData(double.NaN)]
    public void NearestRank_PercentileOutsideRange_Throws(double percentile) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.NearestRank(OneToHundred, percentile));

    [Fact]
    public void Summarize_UnsortedSamples_SortsAndReportsEveryStatistic()
    {
        var shuffled = OneToHundred.OrderBy(v => (v * 7919) % 101).ToArray();

        var summary = Percentiles.Summarize(shuffled);

        Assert.NotNull(summary);
        Assert.Equal(100, summary.Count);
        Assert.Equal(50, summary.P50);
        Assert.Equal(95, summary.P95);
        Assert.Equal(99, summary.P99);
        Assert.Equal(100, summary.Max);
        Assert.Equal(50.5, summary.Mean);
    }

    [Fact]
    public void Summarize_NoSamples_IsNull()
    {
        Assert.Null(Percentiles.Summarize([]));
        Assert.Null(Percentiles.Summarize([double.NaN]));
    }

    [Fact]
    public void Summarize_IgnoresNaN()
    {
        var summary = Percentiles.Summarize([5, double.NaN, 1]);

        Assert.NotNull(summary);
        Assert.Equal(2, summary.Count);
        Assert.Equal(5, summary.Max);
    }
}
