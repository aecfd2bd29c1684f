namespace StreamRec.Messaging;

/// <summary>One consumed message as a handler sees it.</summary>
/// <param name="Topic">Source topic.</param>
/// <param name="Partition">Source partition.</param>
/// <param name="Offset">Source offset.</param>
/// <param name="Key">The key as UTF-8 text, null when the message has none.</param>
/// <param name="Value">The payload bytes as produced.</param>
/// <param name="Timestamp">The message timestamp (producer create time or broker log-append time): its arrival in the broker.</param>
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
    /// <summary>The key bytes exactly as received, set by the consumer (dead letters keep them even when they are not
    /// valid UTF-8); null when the message has no key or was built from its parts (then <see cref="Key"/> is used).</summary>
    public byte[]? RawKey { get; init; }

    /// <summary>The partition the message came from.</summary>
    public PartitionId Source => new(Topic, Partition);
}
