namespace StreamRec.Encoding.Tests;

internal static class VectorAssert
{
    public static float Cosine(float[] a, float[] b) => System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);

    public static void UnitLength(float[] v, int dimension)
    {
        Assert.Equal(dimension, v.Length);
        Assert.All(v, x => Assert.True(float.IsFinite(x)));
        Assert.Equal(1f, System.Numerics.Tensors.TensorPrimitives.Norm(v), 4);
    }

    public static void Close(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0f;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        }

        Assert.True(worst <= tolerance, $"max |difference| {worst} exceeds {tolerance}");
    }
}
