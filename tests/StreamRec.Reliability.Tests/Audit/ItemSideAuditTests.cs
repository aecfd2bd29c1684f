using StreamRec.Chaos;
using StreamRec.Domain;

namespace StreamRec.Reliability.Tests.Audit;

/// <summary>The audit's comparison of a stored co-engagement row with the reference row.</summary>
public sealed class ItemSideAuditTests
{
    private static CoEngagementRow Row(double count, params (string Item, double Weight)[] neighbours)
    {
        var row = new CoEngagementRow { Count = count };
        foreach (var (item, weight) in neighbours)
        {
            row.Neighbours[item] = weight;
        }

        return row;
    }

    [Fact]
    public void RowDifference_SameRow_OrBothEmpty_IsNone_AndWeightsAreComparedBitForBit()
    {
        Assert.Null(ChaosAudit.RowDifference(Row(2, ("a", 1.5), ("b", 0.25)), Row(2, ("b", 0.25), ("a", 1.5))));
        Assert.Null(ChaosAudit.RowDifference(null, Row(0)));
        // Weights on the grid sum exactly in any order (CoEngagement.WeightGrid), so even a last-bit difference is one.
        Assert.Equal("neighbour a weight 0.30000000000000004, expected 0.3", ChaosAudit.RowDifference(Row(1, ("a", 0.3)), Row(1, ("a", 0.1 + 0.2))));
    }

    [Fact]
    public void RowDifference_NamesALostOrDoubledContribution_AMissingOrExtraNeighbour_AndAWrongWeight()
    {
        Assert.Equal("engagement count 3, expected 2", ChaosAudit.RowDifference(Row(2, ("a", 1)), Row(3, ("a", 1))));
        Assert.Equal("engagement count 0, expected 1", ChaosAudit.RowDifference(Row(1), null));
        Assert.Equal("neighbour b missing", ChaosAudit.RowDifference(Row(1, ("a", 1), ("b", 1)), Row(1, ("a", 1))));
        Assert.Equal("unexpected neighbour c", ChaosAudit.RowDifference(Row(1, ("a", 1)), Row(1, ("a", 1), ("c", 1))));
        Assert.StartsWith("neighbour a weight 2", ChaosAudit.RowDifference(Row(1, ("a", 1)), Row(1, ("a", 2))), StringComparison.Ordinal);
    }
}
