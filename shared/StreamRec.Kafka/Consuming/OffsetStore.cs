using Confluent.Kafka;

namespace StreamRec.Kafka.Consuming;

/// <summary>
/// Stores offsets for auto-commit to send. What it stores for a partition is its tracker's
/// <see cref="OffsetTracker.NextOffsetToCommit"/>: the end of the unbroken run of finished messages, so an offset is
/// stored only once its message and every message before it in the partition finished (handled or dead-lettered).
/// Nothing is stored for a revoked partition: its new owner starts from the last commit.
/// </summary>
/// <param name="storeOffset">The consumer's <c>StoreOffset</c> (a recorder in tests).</param>
internal sealed class OffsetStore(Action<TopicPartitionOffset> storeOffset, ConsumerContext context)
{
    /// <summary>Stores what moved in the partitions <paramref name="batch"/> touched. Call after the handler returned.</summary>
    public void Store(IEnumerable<Envelope> batch)
    {
        foreach (var state in batch.Select(e => e.State).Distinct())
        {
            var next = state.Tracker.NextOffsetToCommit;
            if (state.Revoked || next is null || next == state.LastStored)
            {
                continue;
            }

            var offset = new TopicPartitionOffset(state.Partition, new Offset(next.Value));
            try
            {
                storeOffset(offset);
                state.LastStored = next;
            }
            catch (KafkaException e)
            {
                // Typically the partition was just revoked; its new owner restarts from the last commit.
                Log.StoreFailed(context.Logger, context.Group, offset.ToString(), e.Error.Reason);
            }
        }
    }

    /// <summary>The offsets to commit for partitions being handed over: each one's end of finished work, if any.</summary>
    public static List<TopicPartitionOffset> Committable(IEnumerable<PartitionState> states) =>
        [.. states.Select(s => (s.Partition, Next: s.Tracker.NextOffsetToCommit))
            .Where(x => x.Next is not null)
            .Select(x => new TopicPartitionOffset(x.Partition, new Offset(x.Next!.Value)))];
}
