namespace StreamRec.Domain;

/// <summary>How much a click or a review moves a user, and in which direction.</summary>
public static class InteractionWeights
{
    /// <summary>
    /// A review's weight from its rating: <c>(rating - neutral) / (5 - neutral)</c> clamped to [-1, 1], so with the
    /// default neutral 3: 5 → +1, 4 → +0.5, 3 → 0, 2 → -0.5, 1 and below → -1. No rating counts as positive
    /// (<see cref="ProfileOptions.UnratedReviewWeight"/>).
    /// </summary>
    public static double Review(double? rating, ProfileOptions options)
    {
        if (rating is not { } r)
        {
            return options.UnratedReviewWeight;
        }

        var span = 5.0 - options.NeutralRating;
        if (span <= 0)
        {
            return r >= options.NeutralRating ? 1 : -1;
        }

        return Math.Clamp((r - options.NeutralRating) / span, -1.0, 1.0);
    }

    /// <summary>A review's direction: <c>normalize(β·item + (1-β)·text)</c>, or the item alone when there is no text vector.</summary>
    public static float[] ReviewVector(ReadOnlySpan<float> itemVector, ReadOnlySpan<float> textVector, ProfileOptions options)
    {
        var blended = new float[itemVector.Length];
        var hasText = textVector.Length == itemVector.Length && VectorMath.Dot(textVector, textVector) > 0;
        VectorMath.ScaleAndAdd(blended, 1f, itemVector, hasText ? (float)options.ReviewItemBlend : 1f);
        if (hasText)
        {
            VectorMath.ScaleAndAdd(blended, 1f, textVector, (float)(1 - options.ReviewItemBlend));
        }

        VectorMath.NormalizeInPlace(blended);
        return blended;
    }
}
