namespace StreamRec.Encoding;

/// <summary>Pure pooling and normalisation over row-major [batch, seq, hidden] token vectors.</summary>
public static class EmbeddingPooling
{
    /// <summary>
    /// Mean of the token vectors whose mask is non-zero. Padded positions are skipped entirely rather than
    /// multiplied by zero, so a text pools the same alone or padded in a batch.
    /// </summary>
    public static void MeanPool(ReadOnlySpan<float> tokens, ReadOnlySpan<long> mask, int seqLen, int hidden, Span<float> destination)
    {
        destination[..hidden].Clear();
        var count = 0;
        for (var t = 0; t < seqLen; t++)
        {
            if (mask[t] == 0)
            {
                continue;
            }

            count++;
            System.Numerics.Tensors.TensorPrimitives.Add(destination[..hidden], tokens.Slice(t * hidden, hidden), destination[..hidden]);
        }

        if (count > 0)
        {
            System.Numerics.Tensors.TensorPrimitives.Divide(destination[..hidden], count, destination[..hidden]);
        }
    }

    /// <summary>The first ([CLS]) token's vector.</summary>
    public static void ClsPool(ReadOnlySpan<float> tokens, int hidden, Span<float> destination) =>
        tokens[..hidden].CopyTo(destination);

    /// <summary>Scales to unit L2 norm in place; an all-zero vector stays zero.</summary>
    public static void L2Normalize(Span<float> vector)
    {
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm((ReadOnlySpan<float>)vector);
        if (norm > 0 && float.IsFinite(norm))
        {
            System.Numerics.Tensors.TensorPrimitives.Divide(vector, norm, vector);
        }
    }
}
