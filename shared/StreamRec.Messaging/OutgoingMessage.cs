namespace StreamRec.Messaging;

/// <summary>One message for <see cref="IEventPublisher.PublishAsync"/>.</summary>
/// <param name="Topic">Destination topic.</param>
/// <param name="Key">Partitioning key (UTF-8 on the wire); null spreads messages over partitions.</param>
/// <param name="Value">The payload bytes, sent as given.</param>
/// <param name="Headers">Optional headers, in order.</param>
public sealed record OutgoingMessage(
    string Topic,
    string? Key,
    byte[] Value,
    IReadOnlyList<KeyValuePair<string, byte[]>>? Headers = null);
