namespace StreamRec.Domain;

/// <summary>
/// A user event that cannot be applied yet (its item is not indexed, or an earlier parked event of the same user
/// is still waiting), kept in the user's own state until it is applied, expires or the user is forgotten.
/// </summary>
/// <remarks>
/// Living in the user's state makes parking exactly-once with everything else that state records: the event's
/// offset is marked applied in the same write that parks it, so a replay finds it parked instead of parking it twice,
/// and a restart finds it where it was. The original message bytes are kept so an expired event reaches the dead-letter
/// topic unchanged.
/// </remarks>
public sealed class ParkedEvent
{
    /// <summary>Source topic.</summary>
    public required string Topic { get; init; }

    /// <summary>Source partition.</summary>
    public required int Partition { get; init; }

    /// <summary>Source offset.</summary>
    public required long Offset { get; init; }

    /// <summary>The message key as received (null when it had none).</summary>
    public string? Key { get; init; }

    /// <summary>The message value exactly as received.</summary>
    public required byte[] Value { get; init; }

    /// <summary>The item the event refers to, whose vector it waits for.</summary>
    public required string ItemId { get; init; }

    /// <summary>The event's id (for duplicate detection and logs).</summary>
    public required string EventId { get; init; }

    /// <summary>When the message reached Kafka (its timestamp): still the trigger's arrival once applied.</summary>
    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>When it was parked, by the processing clock. Its age bounds how long it may wait.</summary>
    public required DateTimeOffset ParkedAt { get; init; }

    /// <summary>Scheduled retries that found it still not ready.</summary>
    public int Attempts { get; set; }

    /// <summary>When the next scheduled retry is due, by the processing clock.</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>Why it waits, in words (e.g. <c>item 'm-1' is not indexed yet</c>).</summary>
    public required string Reason { get; set; }

    /// <summary>"topic:partition", as in <see cref="UserProfile.AppliedOffsets"/>.</summary>
    public string PartitionKey => UserProfile.OffsetKey(Topic, Partition);
}

/// <summary>
/// The event a parked-retry round applied last to a user, kept in the user's state until the notification naming it is
/// known to be out. A retry round has no input offset to replay: were the process to stop between the state write and the
/// notification, the next owner of the partition finds this in the store and notifies again (at least once).
/// </summary>
/// <param name="EventId">The applied event's id.</param>
/// <param name="Topic">Its source topic.</param>
/// <param name="Partition">Its source partition.</param>
/// <param name="Offset">Its source offset.</param>
/// <param name="OccurredAt">When it happened (the event's timestamp).</param>
/// <param name="ReceivedAt">When it reached Kafka.</param>
public sealed record PendingNotice(string EventId, string Topic, int Partition, long Offset, DateTimeOffset OccurredAt, DateTimeOffset ReceivedAt)
{
    /// <summary>"topic:partition", as in <see cref="UserProfile.AppliedOffsets"/>.</summary>
    public string PartitionKey => UserProfile.OffsetKey(Topic, Partition);
}
