namespace StreamRec.Domain;

/// <summary>Exponential time decay by half-life: a weight halves every <c>halfLife</c>.</summary>
public static class Decay
{
    /// <summary><c>2^(-Δt / halfLife)</c>. Δt ≤ 0 gives 1; an infinite (or zero/negative, meaning "never decays") half-life gives 1.</summary>
    public static double Factor(TimeSpan elapsed, TimeSpan halfLife)
    {
        if (elapsed <= TimeSpan.Zero || halfLife <= TimeSpan.Zero || halfLife == TimeSpan.MaxValue)
        {
            return 1.0;
        }

        return Math.Pow(2.0, -elapsed.TotalSeconds / halfLife.TotalSeconds);
    }
}
