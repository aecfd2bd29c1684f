namespace StreamRec.Messaging;

/// <summary>
/// A handler that parks messages it cannot process yet instead of failing the batch (the partition moves on) and
/// retries them later. The consumer calls <see cref="RetryParkedAsync"/> on the same worker as <see cref="IBatchHandler.HandleAsync"/>,
/// never at the same time and never during a rebalance callback, so the handler stays the single writer of the state
/// its partitions own; and it adds <see cref="ParkedCount"/> to the consumer-lag gauge, so what waits counts as lag.
/// </summary>
public interface IParkingBatchHandler : IBatchHandler
{
    /// <summary>How often the consumer calls <see cref="RetryParkedAsync"/> (also when no message arrives).</summary>
    TimeSpan RetryInterval { get; }

    /// <summary>Retries parked work that is due, for keys of the <paramref name="owned"/> partitions only and at most
    /// <paramref name="maxKeys"/> keys (the consumer's batch size, so a round writes no more than a batch). A transient
    /// failure may be thrown: the consumer logs it and calls again after <see cref="RetryInterval"/>.</summary>
    Task RetryParkedAsync(IReadOnlyCollection<PartitionId> owned, int maxKeys, CancellationToken cancellationToken);

    /// <summary>Messages of <paramref name="partition"/> parked and not yet finished. Called from the poll thread: must be thread-safe and quick.</summary>
    long ParkedCount(PartitionId partition);
}
