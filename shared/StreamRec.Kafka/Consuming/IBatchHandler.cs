using Confluent.Kafka;

namespace StreamRec.Kafka.Consuming;

/// <summary>What a service plugs into <see cref="KafkaConsumerService"/>: it handles batches, the loop
/// does offsets, retries, pausing and dead-lettering.</summary>
public interface IBatchHandler
{
    /// <summary>
    /// Processes the messages in order. Returning normally means every message is done (and may have
    /// its offset stored), except those listed in the result, which go to the dead-letter topic with
    /// their reason. Throwing a transient exception (see <see cref="TransientErrors.IsTransient"/>)
    /// means nothing was stored: the loop pauses, backs off and retries the same batch. Throwing
    /// anything else makes the loop retry the messages one at a time; a single message that throws
    /// non-transiently is dead-lettered with the exception message, the others are processed.
    /// Handlers must therefore be idempotent per message.
    /// </summary>
    Task<IReadOnlyList<PoisonMessage>> HandleAsync(IReadOnlyList<ConsumedMessage> batch, CancellationToken cancellationToken);

    /// <summary>Called on the poll thread, inside the rebalance callback, after in-flight work for these
    /// partitions finished and their offsets were committed (or, when partitions were lost, without a
    /// commit), so the handler can drop per-partition caches. Keep it quick.</summary>
    void OnPartitionsRevoked(IReadOnlyCollection<TopicPartition> partitions);

    /// <summary>Called on the poll thread when partitions were assigned, before any of their messages is handled.</summary>
    void OnPartitionsAssigned(IReadOnlyCollection<TopicPartition> partitions);

    /// <summary>Whether this group owns the events of its topics (the default): it dead-letters messages over
    /// <c>MaxMessageBytes</c> and counts its messages in <c>streamrec_events_consumed_total</c> and
    /// <c>streamrec_events_processed_total</c>. False for a side reader of a topic another group owns (the
    /// recommender's trending counter on the clicks topic): it skips oversized messages and is not counted, so one
    /// bad message makes one dead letter and a click counts once in the event metrics.</summary>
    bool OwnsTopicEvents => true;
}

/// <summary>One Kafka message as a handler sees it.</summary>
/// <param name="Topic">Source topic.</param>
/// <param name="Partition">Source partition.</param>
/// <param name="Offset">Source offset.</param>
/// <param name="Key">The key as UTF-8 text, null when the message has none.</param>
/// <param name="Value">The payload bytes as produced.</param>
/// <param name="Timestamp">The message timestamp (producer create time or broker log-append time): its arrival in Kafka.</param>
/// <param name="Headers">Headers in order.</param>
public sealed record ConsumedMessage(
    string Topic,
    int Partition,
    long Offset,
    string? Key,
    byte[] Value,
    DateTimeOffset Timestamp,
    IReadOnlyList<KeyValuePair<string, byte[]>> Headers)
{
    /// <summary>The key bytes exactly as received (dead letters keep them even when they are not valid UTF-8).</summary>
    internal byte[]? RawKey { get; init; }

    public TopicPartition TopicPartition => new(Topic, new Partition(Partition));
}

/// <summary>A message a handler rejects without throwing.</summary>
/// <param name="Index">Index of the message in the batch given to the handler.</param>
/// <param name="Reason">Why: becomes the dead letter's <c>error</c> header.</param>
public sealed record PoisonMessage(int Index, string Reason);

/// <summary>Which consumer group runs which handler on which topics.</summary>
/// <param name="ServiceName">The service, written into dead letters' <c>service</c> header.</param>
/// <param name="GroupId">Logical group name; the Kafka group id is <c>{GroupIdPrefix}.{GroupId}</c>.</param>
/// <param name="Topics">Topics to subscribe to.</param>
/// <param name="Handler">The handler.</param>
public sealed record ConsumerRegistration(string ServiceName, string GroupId, IReadOnlyList<string> Topics, IBatchHandler Handler);

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
    Task RetryParkedAsync(IReadOnlyCollection<TopicPartition> owned, int maxKeys, CancellationToken cancellationToken);

    /// <summary>Messages of <paramref name="partition"/> parked and not yet finished. Called from the poll thread: must be thread-safe and quick.</summary>
    long ParkedCount(TopicPartition partition);
}
