namespace StreamRec.MicroBenchmarks;

internal static class Vectors
{
    /// <summary>A seeded random unit vector: the shape every item and query vector has.</summary>
    public static float[] RandomUnit(Random random, int dimension)
    {
        var v = new float[dimension];
        double norm = 0;
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = (float)(random.NextDouble() * 2 - 1);
            norm += v[i] * v[i];
        }

        var scale = (float)(1 / Math.Sqrt(norm));
        for (var i = 0; i < v.Length; i++)
        {
            v[i] *= scale;
        }

        return v;
    }
}
