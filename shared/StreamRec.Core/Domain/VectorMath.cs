using System.Numerics.Tensors;

namespace StreamRec.Domain;

/// <summary>Small SIMD helpers over float spans (System.Numerics.Tensors).</summary>
public static class VectorMath
{
    /// <summary>Scales <paramref name="v"/> in place to unit length; leaves an all-zero (or non-finite) vector as zeros and returns false.</summary>
    public static bool NormalizeInPlace(Span<float> v)
    {
        var norm = TensorPrimitives.Norm((ReadOnlySpan<float>)v);
        if (!(norm > 1e-12f) || !float.IsFinite(norm))
        {
            v.Clear();
            return false;
        }

        TensorPrimitives.Multiply(v, 1f / norm, v);
        return true;
    }

    /// <summary>Returns a unit-length copy (zeros when the input has no direction).</summary>
    public static float[] Normalized(ReadOnlySpan<float> v)
    {
        var copy = v.ToArray();
        NormalizeInPlace(copy);
        return copy;
    }

    /// <summary>Dot product; equals cosine similarity for unit vectors.</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.Dot(a, b);

    /// <summary>Cosine similarity of two arbitrary vectors (0 when either has no direction).</summary>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var na = TensorPrimitives.Norm(a);
        var nb = TensorPrimitives.Norm(b);
        return na > 1e-12f && nb > 1e-12f ? TensorPrimitives.Dot(a, b) / (na * nb) : 0f;
    }

    /// <summary><c>target = target * scale + weight * x</c>, in place.</summary>
    public static void ScaleAndAdd(Span<float> target, float scale, ReadOnlySpan<float> x, float weight)
    {
        if (scale != 1f)
        {
            TensorPrimitives.Multiply(target, scale, target);
        }

        TensorPrimitives.MultiplyAdd(x, weight, target, target);
    }

    /// <summary>True when every component is finite.</summary>
    public static bool IsFinite(ReadOnlySpan<float> v)
    {
        foreach (var f in v)
        {
            if (!float.IsFinite(f))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Mean pairwise cosine distance (1 - cos) of unit vectors: the intra-list diversity, in [0, 2]. 0 for fewer than two vectors.</summary>
    public static double IntraListDiversity(IReadOnlyList<float[]> vectors)
    {
        if (vectors.Count < 2)
        {
            return 0;
        }

        double sum = 0;
        var pairs = 0;
        for (var i = 0; i < vectors.Count; i++)
        {
            for (var j = i + 1; j < vectors.Count; j++)
            {
                sum += 1 - Dot(vectors[i], vectors[j]);
                pairs++;
            }
        }

        return sum / pairs;
    }
}
