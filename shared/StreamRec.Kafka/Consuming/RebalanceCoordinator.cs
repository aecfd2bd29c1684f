using Confluent.Kafka;
using StreamRec.Messaging;

namespace StreamRec.Kafka.Consuming;

/// <summary>
/// The rebalance callbacks (run by librdkafka on the poll thread) and the commits around them. On revoke it waits for the
/// batch in flight (the in-flight gate), commits what finished so the next owner starts right after it, and tells the
/// handler; on loss it does not commit (another member may already own the partitions, and committing could move its
/// offsets backwards); on leaving it commits what was stored and closes the consumer.
/// </summary>
internal sealed class RebalanceCoordinator(
    IBatchHandler handler,
    AssignedPartitions partitions,
    FlowControl flow,
    RevokeSignal revokes,
    SemaphoreSlim inFlight,
    ConsumerContext context)
{
    private readonly TaskCompletionSource _firstAssignment = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the first non-empty assignment.</summary>
    public Task FirstAssignment => _firstAssignment.Task;

    public void OnAssigned(IConsumer<byte[]?, byte[]> consumer, List<TopicPartition> assigned)
    {
        if (assigned.Count == 0)
        {
            return;
        }

        partitions.Add(assigned);
        foreach (var tp in assigned)
        {
            ConsumerMetrics.PartitionAssigned(tp);
        }

        flow.OnAssigned();
        Log.PartitionsAssigned(context.Logger, context.Group, Describe(assigned));
        Tell(handler.OnPartitionsAssigned, assigned, nameof(IBatchHandler.OnPartitionsAssigned));

        _firstAssignment.TrySetResult();
    }

    public void OnRevoked(IConsumer<byte[]?, byte[]> consumer, List<TopicPartitionOffset> revoked)
    {
        var gone = revoked.Select(r => r.TopicPartition).ToList();
        var states = Forget(gone);

        // Wait for the batch in flight, then commit what finished: the next owner starts right after it.
        var drained = inFlight.Wait(context.Options.ShutdownTimeout);
        if (!drained)
        {
            Log.DrainTimedOut(context.Logger, context.Group, context.Options.ShutdownTimeout);
        }

        List<TopicPartitionOffset> offsets;
        try
        {
            offsets = OffsetStore.Committable(states);
            TryCommit(consumer, offsets);
        }
        finally
        {
            if (drained)
            {
                inFlight.Release();
            }
        }

        Log.PartitionsRevoked(context.Logger, context.Group, Describe(gone), string.Join(",", offsets.Select(o => $"{o.Topic}[{o.Partition.Value}]@{o.Offset.Value}")));
        Tell(handler.OnPartitionsRevoked, gone, nameof(IBatchHandler.OnPartitionsRevoked));
    }

    public void OnLost(IConsumer<byte[]?, byte[]> consumer, List<TopicPartitionOffset> lost)
    {
        // Lost means another member may already own them: committing now could move its offsets backwards.
        var gone = lost.Select(r => r.TopicPartition).ToList();
        Forget(gone);
        Log.PartitionsLost(context.Logger, context.Group, Describe(gone));
        Tell(handler.OnPartitionsRevoked, gone, nameof(IBatchHandler.OnPartitionsRevoked));
    }

    /// <summary>Leaves the group: offsets are stored as work finishes, so this sends the last ones first. Close() then
    /// revokes everything (<see cref="OnRevoked"/> commits again and tells the handler) and leaves the group at once, so
    /// the partitions move without waiting for the session timeout.</summary>
    public void Leave(IConsumer<byte[]?, byte[]> consumer)
    {
        TryCommit(consumer, null);
        try
        {
            consumer.Close();
        }
        catch (KafkaException e)
        {
            Log.CommitFailed(context.Logger, context.Group, e.Error.Reason);
        }

        consumer.Dispose();
        foreach (var tp in partitions.Release())
        {
            ConsumerMetrics.PartitionReleased(tp);
        }
    }

    private List<PartitionState> Forget(List<TopicPartition> gone)
    {
        var states = partitions.Remove(gone);
        foreach (var state in states)
        {
            ConsumerMetrics.PartitionUnassigned(state.Partition);
        }

        flow.Forget(gone);
        // A batch backing off from a transient failure re-checks which of its partitions are still ours.
        revokes.Fire();
        return states;
    }

    /// <summary>Calls a handler's rebalance callback; a failure is logged, never thrown into librdkafka.</summary>
    private void Tell(Action<IReadOnlyCollection<PartitionId>> callback, List<TopicPartition> partitionsChanged, string name)
    {
        try
        {
            callback(partitionsChanged.ToPartitionIds());
        }
        catch (Exception e)
        {
            ConsumerLog.CallbackFailed(context.Logger, e, context.Group, name);
        }
    }

    /// <summary>Commits <paramref name="offsets"/>, or everything stored when null.</summary>
    private void TryCommit(IConsumer<byte[]?, byte[]> consumer, List<TopicPartitionOffset>? offsets)
    {
        try
        {
            if (offsets is null)
            {
                consumer.Commit();
            }
            else if (offsets.Count > 0)
            {
                consumer.Commit(offsets);
            }
        }
        catch (KafkaException e) when (e.Error.Code == ErrorCode.Local_NoOffset)
        {
            // Nothing new to commit.
        }
        catch (KafkaException e)
        {
            Log.CommitFailed(context.Logger, context.Group, e.Error.Reason);
        }
    }

    private static string Describe(IEnumerable<TopicPartition> tps) =>
        string.Join(",", tps.Select(tp => $"{tp.Topic}[{tp.Partition.Value}]"));
}
