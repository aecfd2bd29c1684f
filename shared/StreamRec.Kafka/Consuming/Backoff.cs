namespace StreamRec.Kafka.Consuming;

/// <summary>Exponential back-off with jitter, so that many consumers hitting the same outage do not retry in lockstep.</summary>
internal static class Backoff
{
    /// <summary>Delay before retry number <paramref name="attempt"/> (1-based): min·2^(attempt-1) capped at max,
    /// then a random point in its upper half ("equal jitter": never shorter than half the nominal delay).</summary>
    public static TimeSpan Compute(int attempt, TimeSpan min, TimeSpan max, Random random)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var nominal = Math.Min(max.TotalMilliseconds, min.TotalMilliseconds * Math.Pow(2, exponent));
        var jittered = (nominal / 2) + (random.NextDouble() * nominal / 2);
        return TimeSpan.FromMilliseconds(Math.Max(jittered, 1));
    }
}
