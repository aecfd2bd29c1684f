namespace StreamRec.Messaging;

/// <summary>A partition of a topic, the unit a consumer group assigns to one member: every message of a key lands in
/// one partition, in order, so the member owning it is the single writer of that key's state.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition number within the topic.</param>
public readonly record struct PartitionId(string Topic, int Partition) : IComparable<PartitionId>
{
    /// <summary>By topic (ordinal), then partition: the order partitions are listed in logs.</summary>
    public int CompareTo(PartitionId other)
    {
        var byTopic = string.CompareOrdinal(Topic, other.Topic);
        return byTopic != 0 ? byTopic : Partition.CompareTo(other.Partition);
    }

    public override string ToString() => $"{Topic}[{Partition}]";
}
