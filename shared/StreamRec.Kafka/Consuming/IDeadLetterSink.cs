namespace StreamRec.Kafka.Consuming;

/// <summary>Where messages that can never succeed go (<see cref="Producing.DeadLetterPublisher"/>; a fake in tests).</summary>
internal interface IDeadLetterSink
{
    /// <summary>Sends <paramref name="message"/> to the dead-letter topic with why (<paramref name="reason"/>,
    /// <paramref name="errorKind"/>) and who (<paramref name="service"/>), and waits for the ack.</summary>
    Task PublishAsync(ConsumedMessage message, string reason, string errorKind, string service, CancellationToken cancellationToken);
}
