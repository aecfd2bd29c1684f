namespace StreamRec.SystemBench.Stats;

/// <summary>
/// Open-loop pacing for a fixed offered load: event i (0-based) is due at <c>i / rate</c> seconds after the start,
/// whatever happened to the events before it. A producer that fell behind (a GC pause, a full queue) sends the
/// backlog at once instead of shifting the schedule, so a slow pipeline shows up as latency, not as a quietly
/// lower offered rate (the "coordinated omission" trap of closed-loop load generators).
/// </summary>
public sealed class RatePacer
{
    public RatePacer(double eventsPerSecond, long total)
    {
        if (!(eventsPerSecond > 0) || double.IsInfinity(eventsPerSecond))
        {
            throw new ArgumentOutOfRangeException(nameof(eventsPerSecond), eventsPerSecond, "must be a positive finite rate");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(total);
        EventsPerSecond = eventsPerSecond;
        Total = total;
    }

    public double EventsPerSecond { get; }

    public long Total { get; }

    /// <summary>How many events should have been sent by <paramref name="elapsed"/> since the start (the first is due at once).</summary>
    public long DueBy(TimeSpan elapsed)
    {
        if (elapsed < TimeSpan.Zero)
        {
            return 0;
        }

        var due = (long)Math.Floor(elapsed.TotalSeconds * EventsPerSecond) + 1;
        return Math.Min(Total, due);
    }

    /// <summary>When event <paramref name="index"/> (0-based) is due, from the start.</summary>
    public TimeSpan DueAt(long index) => TimeSpan.FromSeconds(index / EventsPerSecond);

    /// <summary>How long to wait before sending again, having sent <paramref name="sent"/> events by <paramref name="elapsed"/>.
    /// Zero when something is already due; <see cref="TimeSpan.MaxValue"/> when everything was sent.</summary>
    public TimeSpan WaitAfter(long sent, TimeSpan elapsed)
    {
        if (sent >= Total)
        {
            return TimeSpan.MaxValue;
        }

        var wait = DueAt(sent) - elapsed;
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }

    /// <summary>Sends every event on schedule: <paramref name="send"/> gets the index of each event when it is due.</summary>
    public async Task RunAsync(TimeProvider time, Action<long> send, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        long sent = 0;
        while (sent < Total)
        {
            var due = DueBy(time.GetElapsedTime(started));
            while (sent < due)
            {
                send(sent++);
            }

            var wait = WaitAfter(sent, time.GetElapsedTime(started));
            if (wait == TimeSpan.MaxValue)
            {
                break;
            }

            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken);
            }
        }
    }
}
