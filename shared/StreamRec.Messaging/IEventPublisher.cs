namespace StreamRec.Messaging;

/// <summary>
/// Publishes keyed events. The handlers rely on one guarantee, and no transaction: when <see cref="PublishAsync"/>
/// returns, every message is durable (the Kafka adapter: acks=all on an idempotent producer, so its retries neither
/// duplicate nor reorder the messages of a partition). That is what lets a handler return, and the consumer store
/// the batch's offsets, only after its output is out.
/// </summary>
public interface IEventPublisher
{
    /// <summary>Publishes <paramref name="messages"/> (messages of one key stay in order) and returns once all were
    /// acknowledged. Throws the first failure after all finished: some messages may then be out, so a caller publishes
    /// only what its replay may publish again (at least once).</summary>
    Task PublishAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken);
}
