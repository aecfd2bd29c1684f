using StreamRec.Evaluation.Protocol;

namespace StreamRec.Evaluation.Tests.Protocol;

public class RankingMetricsTests
{
    [Theory]
    [InlineData(1, 1.0)]
    [InlineData(2, 0.63092975357145742)] // 1/log2(3)
    [InlineData(3, 0.5)]                 // 1/log2(4)
    [InlineData(10, 0.28906482631788782)] // 1/log2(11)
    [InlineData(11, 0.0)]                // outside k = 10
    [InlineData(0, 0.0)]                 // not in the list
    public void Ndcg_OneRelevantItem_IsInverseLogOfRankPlusOne(int rank, double expected) =>
        Assert.Equal(expected, RankingMetrics.Ndcg(rank, 10), 12);

    [Fact]
    public void HitAndReciprocalRank_RespectTheCutoff()
    {
        Assert.Equal(1, RankingMetrics.Hit(10, 10));
        Assert.Equal(0, RankingMetrics.Hit(11, 10));
        Assert.Equal(0, RankingMetrics.Hit(0, 10));
        Assert.Equal(0.25, RankingMetrics.ReciprocalRank(4, 20));
        Assert.Equal(0, RankingMetrics.ReciprocalRank(21, 20));
    }

    [Fact]
    public void RankOf_IsOneBasedWithinK()
    {
        string[] list = ["a", "b", "c", "d"];

        Assert.Equal(3, RankingMetrics.RankOf(list, "c", 10));
        Assert.Equal(0, RankingMetrics.RankOf(list, "d", 3));
        Assert.Equal(0, RankingMetrics.RankOf(list, "z", 10));
    }

    [Fact]
    public void Recall_CountsRelevantItemsInTopK()
    {
        string[] list = ["a", "x", "b", "y", "c"];
        var relevant = new HashSet<string> { "a", "b", "c" };

        Assert.Equal(2.0 / 3, RankingMetrics.Recall(list, 4, relevant), 12);
        Assert.Equal(1.0, RankingMetrics.Recall(list, 5, relevant), 12);
        Assert.Equal(0.0, RankingMetrics.Recall(list, 5, new HashSet<string>()));
    }

    [Fact]
    public void SelfInformation_IsMinusLog2OfSmoothedPopularity()
    {
        Assert.Equal(1.0, RankingMetrics.SelfInformation(itemUsers: 1, activeUsers: 3), 12); // -log2(2/4)
        Assert.Equal(0.0, RankingMetrics.SelfInformation(itemUsers: 3, activeUsers: 3), 12); // everyone: no information
        Assert.Equal(3.0, RankingMetrics.SelfInformation(itemUsers: 0, activeUsers: 7), 12); // -log2(1/8)
    }

    [Fact]
    public void IntraListDiversity_IsMeanPairwiseCosineDistance()
    {
        float[] e1 = [1, 0];
        float[] e2 = [0, 1];
        float[] minusE1 = [-1, 0];

        Assert.Equal(1.0, RankingMetrics.IntraListDiversity([e1, e2]), 6);
        Assert.Equal(0.0, RankingMetrics.IntraListDiversity([e1, e1]), 6);
        Assert.Equal(4.0 / 3, RankingMetrics.IntraListDiversity([e1, e2, minusE1]), 6); // (1 + 2 + 1) / 3 pairs
    }

    [Theory]
    [InlineData("2005-08-14", 12, "2005", "2005-01-01")]
    [InlineData("2005-08-14", 3, "2005-Q3", "2005-07-01")]
    [InlineData("2005-12-31", 3, "2005-Q4", "2005-10-01")]
    [InlineData("2005-08-14", 1, "2005-08", "2005-08-01")]
    public void WindowOf_LabelsQuartersYearsAndMonths(string day, int months, string label, string start)
    {
        var (actualLabel, actualStart) = ReplayEvaluator.WindowOf(DateTimeOffset.Parse(day + "T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture), months);

        Assert.Equal(label, actualLabel);
        Assert.Equal(DateTimeOffset.Parse(start + "T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), actualStart);
    }
}
