using System.Threading.Channels;
using Confluent.Kafka;

namespace StreamRec.Kafka.Consuming;

/// <summary>
/// Pauses and resumes fetching (poll thread only, except <see cref="PausedCount"/>). Everything assigned is paused while
/// messages overflow the channel or a batch backs off from a transient failure; paused partitions stop fetching but
/// Consume keeps running, so the group membership (heartbeats, max.poll.interval) holds however slow the handler is.
/// Fetching resumes once the channel drained to half its capacity, so it does not flap.
/// </summary>
internal sealed class FlowControl(ChannelReader<Envelope> channel, AssignedPartitions partitions, ConsumerContext context)
{
    private readonly HashSet<TopicPartition> _paused = [];
    private bool _repause;
    private volatile int _pausedCount;

    /// <summary>Partitions currently paused.</summary>
    public int PausedCount => _pausedCount;

    /// <summary>Partitions were just assigned: incremental assignments arrive unpaused; if we are paused they must be too.</summary>
    public void OnAssigned() => _repause = true;

    /// <summary>Partitions revoked or lost are no longer paused by us.</summary>
    public void Forget(IEnumerable<TopicPartition> gone)
    {
        foreach (var tp in gone)
        {
            if (_paused.Remove(tp))
            {
                ConsumerMetrics.PartitionResumed(tp);
            }
        }

        _pausedCount = _paused.Count;
    }

    /// <summary>Called before each poll with why fetching should stop, if it should.</summary>
    public void Apply(IConsumer<byte[]?, byte[]> consumer, bool overflowing, bool backingOff)
    {
        if (overflowing || backingOff)
        {
            var toPause = partitions.Current.Where(tp => !_paused.Contains(tp)).ToList();
            if (toPause.Count > 0 || _repause)
            {
                consumer.Pause(toPause);
                foreach (var tp in toPause)
                {
                    _paused.Add(tp);
                    ConsumerMetrics.PartitionPaused(tp);
                }

                _repause = false;
                _pausedCount = _paused.Count;
                Log.Paused(context.Logger, context.Group, toPause.Count, backingOff ? "transient failure" : "channel full");
            }
        }
        else if (_paused.Count > 0 && channel.Count <= context.Options.ChannelCapacity / 2)
        {
            var toResume = _paused.Where(partitions.Contains).ToList();
            consumer.Resume(toResume);
            foreach (var tp in _paused)
            {
                ConsumerMetrics.PartitionResumed(tp);
            }

            _paused.Clear();
            _pausedCount = 0;
            Log.Resumed(context.Logger, context.Group, toResume.Count);
        }
    }
}
