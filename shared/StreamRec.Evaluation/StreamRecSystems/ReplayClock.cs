namespace StreamRec.Evaluation.StreamRecSystems;

/// <summary>
/// A clock that reads event time: during a replay "now" is the newest event observed, so the engines' checks
/// (future skew) and stamps are the same on every run, whatever the wall clock says.
/// </summary>
public sealed class ReplayClock : TimeProvider
{
    private DateTimeOffset _now;

    public ReplayClock(DateTimeOffset start) => _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    /// <summary>Moves the clock forward to <paramref name="at"/> (never back).</summary>
    public void AdvanceTo(DateTimeOffset at)
    {
        if (at > _now)
        {
            _now = at;
        }
    }
}
