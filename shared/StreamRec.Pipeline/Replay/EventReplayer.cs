using StreamRec.Contracts;
using StreamRec.Messaging;

namespace StreamRec.Pipeline.Replay;

/// <summary>How fast a replay goes.</summary>
public sealed record ReplayPace
{
    /// <summary>Events per second; 0 = as fast as the producer goes. Default 0.</summary>
    public double Rate { get; init; }

    /// <summary>Time compression: the gap between two events' occurred_at divided by this is waited between them; 0 = off. Default 0.</summary>
    public double Speedup { get; init; }

    /// <summary>Messages per produce batch (each batch waits for acks=all). Default 500.</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>How much the pipeline has not consumed yet (its consumer lag), read before each batch; null = not
    /// watched. Default null.</summary>
    public Func<long>? Backlog { get; init; }

    /// <summary>With <see cref="Backlog"/>: the replay waits while the backlog is above this. A broker that keeps only
    /// so much per partition (the dev broker: about 5 MB) would otherwise drop what the pipeline had not read yet.
    /// Default 0 (no limit).</summary>
    public long MaxBacklog { get; init; }
}

/// <summary>Progress of a replay: events produced so far, by kind (forget requests count as other).</summary>
public sealed record ReplayProgress(long Produced, long Items, long Clicks, long Reviews, long Other);

/// <summary>Produces a time-ordered event stream to its topics, keyed per the contracts, at a chosen pace.</summary>
public sealed class EventReplayer
{
    private static readonly TimeSpan PacingSlack = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan BacklogPoll = TimeSpan.FromMilliseconds(20);

    private readonly IEventPublisher _publisher;
    private readonly TimeProvider _time;

    public EventReplayer(IEventPublisher publisher, TimeProvider time)
    {
        _publisher = publisher;
        _time = time;
    }

    public async Task<ReplayProgress> ReplayAsync(IEnumerable<IStreamRecEvent> events, ReplayPace pace, IProgress<ReplayProgress>? progress, CancellationToken cancellationToken)
    {
        var batch = new List<OutgoingMessage>(pace.BatchSize);
        long produced = 0, items = 0, clicks = 0, reviews = 0, other = 0;
        var started = _time.GetTimestamp();
        DateTimeOffset? firstEventTime = null;
        foreach (var e in events)
        {
            cancellationToken.ThrowIfCancellationRequested();
            batch.Add(new OutgoingMessage(e.Topic, e.Key, EventParser.Serialize(e)));
            switch (e)
            {
                case ItemUpserted or ItemRetired: items++; break;
                case Click: clicks++; break;
                case Review: reviews++; break;
                default: other++; break;
            }

            firstEventTime ??= e.OccurredAt;
            var due = DueAfter(produced + batch.Count, e.OccurredAt - firstEventTime.Value, pace);
            var elapsed = _time.GetElapsedTime(started);
            // Ahead of schedule by more than a timer tick: send what we have and wait, so pacing costs few, larger batches.
            if (batch.Count >= pace.BatchSize || due - elapsed > PacingSlack)
            {
                await FlushAsync(batch, cancellationToken);
                produced += batch.Count;
                batch.Clear();
                progress?.Report(new ReplayProgress(produced, items, clicks, reviews, other));
                while (pace.Backlog is { } backlog && pace.MaxBacklog > 0 && backlog() > pace.MaxBacklog)
                {
                    await Task.Delay(BacklogPoll, _time, cancellationToken);
                }

                elapsed = _time.GetElapsedTime(started);
                if (due > elapsed)
                {
                    await Task.Delay(due - elapsed, _time, cancellationToken);
                }
            }
        }

        await FlushAsync(batch, cancellationToken);
        produced += batch.Count;
        var final = new ReplayProgress(produced, items, clicks, reviews, other);
        progress?.Report(final);
        return final;
    }

    /// <summary>When (since the start) the n-th event is due under the pace: the later of the rate and the compressed event-time schedules.</summary>
    public static TimeSpan DueAfter(long n, TimeSpan eventTimeOffset, ReplayPace pace)
    {
        var byRate = pace.Rate > 0 ? TimeSpan.FromSeconds(n / pace.Rate) : TimeSpan.Zero;
        var bySpeedup = pace.Speedup > 0 ? TimeSpan.FromTicks((long)(eventTimeOffset.Ticks / pace.Speedup)) : TimeSpan.Zero;
        return byRate > bySpeedup ? byRate : bySpeedup;
    }

    private Task FlushAsync(List<OutgoingMessage> batch, CancellationToken cancellationToken) =>
        batch.Count == 0 ? Task.CompletedTask : _publisher.PublishAsync(batch.ToArray(), cancellationToken);
}
