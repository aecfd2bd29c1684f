using Confluent.Kafka;
using StreamRec.Messaging;

namespace StreamRec.Kafka.Consuming;

/// <summary>The edge between Confluent's partition type and the messaging port's: handlers only ever see
/// <see cref="PartitionId"/>, so they compile without the Kafka client.</summary>
internal static class PartitionIds
{
    public static PartitionId ToPartitionId(this TopicPartition partition) => new(partition.Topic, partition.Partition.Value);

    public static PartitionId[] ToPartitionIds(this IReadOnlyCollection<TopicPartition> partitions) => [.. partitions.Select(ToPartitionId)];
}
