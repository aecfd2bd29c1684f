using System.Globalization;

namespace StreamRec.Pipeline.Parking;

/// <summary>
/// The rules of the retry path for work that is not ready yet: when a parked entry is retried, and when it has
/// waited long enough to be dead-lettered. Keyed by nothing in particular: the profile-updater parks user events
/// whose item is not indexed; an item-keyed stage can park its own work under the same rules.
/// </summary>
/// <param name="MaxAttempts">Scheduled retries that may find the entry still not ready; the next one dead-letters it.</param>
/// <param name="MaxAge">How long an entry may wait, from when it was parked, before it is dead-lettered.</param>
/// <param name="MinBackoff">Delay before the first scheduled retry; doubles per retry.</param>
/// <param name="MaxBackoff">Cap of the delay between scheduled retries.</param>
/// <param name="MaxPerKey">Most entries parked under one key; when full, the oldest is dead-lettered early.</param>
public sealed record ParkingPolicy(int MaxAttempts, TimeSpan MaxAge, TimeSpan MinBackoff, TimeSpan MaxBackoff, int MaxPerKey)
{
    /// <summary>When the first scheduled retry of an entry parked at <paramref name="parkedAt"/> is due.</summary>
    public DateTimeOffset FirstAttemptAt(DateTimeOffset parkedAt) => parkedAt + MinBackoff;

    /// <summary>When the next scheduled retry is due after retry number <paramref name="attempts"/> failed at <paramref name="now"/>:
    /// <c>MinBackoff·2^attempts</c>, capped at <see cref="MaxBackoff"/>.</summary>
    public DateTimeOffset NextAttemptAt(DateTimeOffset now, int attempts)
    {
        var factor = Math.Pow(2, Math.Clamp(attempts, 0, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(MinBackoff.Ticks * factor, MaxBackoff.Ticks));
        return now + delay;
    }

    /// <summary>Null while the entry may keep waiting; otherwise why it may not (ends a dead-letter reason).</summary>
    public string? ExpiryReason(DateTimeOffset parkedAt, int attempts, DateTimeOffset now)
    {
        if (attempts >= MaxAttempts)
        {
            return string.Create(CultureInfo.InvariantCulture, $"after {attempts} retries");
        }

        var age = now - parkedAt;
        return age >= MaxAge ? string.Create(CultureInfo.InvariantCulture, $"after waiting {Math.Round(age.TotalSeconds)} s (limit {MaxAge.TotalSeconds:0} s)") : null;
    }
}
