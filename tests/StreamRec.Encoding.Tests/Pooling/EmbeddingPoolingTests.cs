namespace StreamRec.Encoding.Tests.Pooling;

public sealed class EmbeddingPoolingTests
{
    // Three tokens of hidden size 2; the third is padding with values that would wreck the mean if counted.
    private static readonly float[] Tokens = [1, 2, 3, 4, 100, -100];

    [Fact]
    public void MeanPool_IgnoresMaskedPositions()
    {
        var result = new float[2];

        EmbeddingPooling.MeanPool(Tokens, [1, 1, 0], seqLen: 3, hidden: 2, result);

        Assert.Equal([2f, 3f], result);
    }

    [Fact]
    public void MeanPool_AllMasked_GivesZeroVector()
    {
        var result = new float[] { 9, 9 };

        EmbeddingPooling.MeanPool(Tokens, [0, 0, 0], seqLen: 3, hidden: 2, result);

        Assert.Equal([0f, 0f], result);
    }

    [Fact]
    public void ClsPool_TakesFirstToken()
    {
        var result = new float[2];

        EmbeddingPooling.ClsPool(Tokens, hidden: 2, result);

        Assert.Equal([1f, 2f], result);
    }

    [Fact]
    public void L2Normalize_ScalesToUnitLength()
    {
        float[] v = [3, 4];

        EmbeddingPooling.L2Normalize(v);

        Assert.Equal(0.6f, v[0], 6);
        Assert.Equal(0.8f, v[1], 6);
    }

    [Fact]
    public void L2Normalize_ZeroVector_StaysZero()
    {
        float[] v = [0, 0, 0];

        EmbeddingPooling.L2Normalize(v);

        Assert.All(v, x => Assert.Equal(0f, x));
    }

    [Fact]
    public void SortByLength_OrdersStablyByTokenCount()
    {
        int[][] tokens = [[1, 2, 3], [1], [1, 2], [4]];

        Assert.Equal([1, 3, 2, 0], OnnxTextEncoder.SortByLength(tokens));
    }
}
