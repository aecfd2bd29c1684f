namespace StreamRec.Messaging;

/// <summary>Where messages that can never succeed go: the consumer sends those a handler rejects or that throw alone,
/// and a handler sends work it gave up on later (a parked event that expired).</summary>
public interface IDeadLetterSink
{
    /// <summary>Sends <paramref name="message"/> to the dead-letter topic with why (<paramref name="reason"/>,
    /// <paramref name="errorKind"/>, one of <see cref="DeadLetterKinds"/>) and who (<paramref name="service"/>), and
    /// waits for the ack.</summary>
    Task PublishAsync(ConsumedMessage message, string reason, string errorKind, string service, CancellationToken cancellationToken);
}
