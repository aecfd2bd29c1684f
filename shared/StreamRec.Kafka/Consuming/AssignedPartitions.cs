using System.Collections.Concurrent;
using Confluent.Kafka;
using StreamRec.Messaging;

namespace StreamRec.Kafka.Consuming;

/// <summary>The partitions this member owns and their per-partition state. Changed on the poll thread (rebalance
/// callbacks); read from the worker and from outside (<see cref="KafkaConsumerService.Assignment"/>).</summary>
internal sealed class AssignedPartitions
{
    private readonly ConcurrentDictionary<TopicPartition, PartitionState> _states = new();
    private volatile TopicPartition[] _assignment = [];

    /// <summary>The partitions currently assigned (a snapshot; never changed in place).</summary>
    public TopicPartition[] Current => _assignment;

    public bool TryGet(TopicPartition partition, out PartitionState state) => _states.TryGetValue(partition, out state!);

    public bool Contains(TopicPartition partition) => _states.ContainsKey(partition);

    /// <summary>Starts fresh state for <paramref name="partitions"/> and adds them to the assignment.</summary>
    public void Add(IReadOnlyList<TopicPartition> partitions)
    {
        foreach (var tp in partitions)
        {
            _states[tp] = new PartitionState(tp);
        }

        _assignment = [.. _assignment.Union(partitions)];
    }

    /// <summary>Marks the state of <paramref name="partitions"/> revoked (work still queued for them is dropped, nothing
    /// more is stored for them), removes them, and returns the states that were there.</summary>
    public List<PartitionState> Remove(IReadOnlyList<TopicPartition> partitions)
    {
        var states = new List<PartitionState>(partitions.Count);
        foreach (var tp in partitions)
        {
            if (_states.TryRemove(tp, out var state))
            {
                state.Revoked = true;
                states.Add(state);
            }
        }

        _assignment = [.. _assignment.Except(partitions)];
        return states;
    }

    /// <summary>Empties the assignment once the consumer closed; returns what it held.</summary>
    public TopicPartition[] Release()
    {
        var held = _assignment;
        _assignment = [];
        return held;
    }
}

/// <summary>One assigned partition: which of its messages finished and what was last stored.</summary>
internal sealed class PartitionState(TopicPartition partition)
{
    public TopicPartition Partition { get; } = partition;

    public OffsetTracker Tracker { get; } = new();

    public volatile bool Revoked;

    public long? LastStored { get; set; }
}

/// <summary>A consumed message on its way from the poll thread to the worker.</summary>
/// <param name="TooLarge">Over <c>MaxMessageBytes</c>: the handler never sees it.</param>
/// <param name="ReceivedAt">When the poll returned it (for the fetch-delay and batch-wait metrics).</param>
internal sealed record Envelope(ConsumedMessage Message, PartitionState State, bool TooLarge, DateTimeOffset ReceivedAt = default);
