namespace StreamRec.Messaging;

/// <summary>What a service plugs into a consumer: it handles batches, the consumer does offsets, retries, pausing and
/// dead-lettering.</summary>
public interface IBatchHandler
{
    /// <summary>
    /// Processes the messages in order. Returning normally means every message is done (and may have
    /// its offset stored), except those listed in the result, which go to the dead-letter topic with
    /// their reason. Throwing a transient exception (a broker, store or network fault the consumer recognises as
    /// transient) means nothing was stored: the consumer pauses, backs off and retries the same batch. Throwing
    /// anything else makes the consumer retry the messages one at a time; a single message that throws
    /// non-transiently is dead-lettered with the exception message, the others are processed.
    /// Handlers must therefore be idempotent per message.
    /// </summary>
    Task<IReadOnlyList<PoisonMessage>> HandleAsync(IReadOnlyList<ConsumedMessage> batch, CancellationToken cancellationToken);

    /// <summary>Called on the poll thread, inside the rebalance callback, after in-flight work for these
    /// partitions finished and their offsets were committed (or, when partitions were lost, without a
    /// commit), so the handler can drop per-partition caches. Keep it quick.</summary>
    void OnPartitionsRevoked(IReadOnlyCollection<PartitionId> partitions);

    /// <summary>Called on the poll thread when partitions were assigned, before any of their messages is handled.</summary>
    void OnPartitionsAssigned(IReadOnlyCollection<PartitionId> partitions);

    /// <summary>Whether this group owns the events of its topics (the default): it dead-letters messages over
    /// <c>MaxMessageBytes</c> and counts its messages in <c>streamrec_events_consumed_total</c> and
    /// <c>streamrec_events_processed_total</c>. False for a side reader of a topic another group owns (the
    /// recommender's trending counter on the user-events topic): it skips oversized messages and is not counted, so one
    /// bad message makes one dead letter and a click counts once in the event metrics.</summary>
    bool OwnsTopicEvents => true;
}
