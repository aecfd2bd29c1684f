namespace StreamRec.Domain;

/// <summary>An applied click or review: the item, the user's most recent items before it (oldest first), and where the
/// event sits in its topic. <see cref="Retried"/> is true when it was applied late, from the user's parking list.
/// <see cref="NotPositive"/>: which of the item and its history the user's latest engagement with was not positive
/// (null when none), as the profile held it after this engagement.</summary>
public sealed record AppliedEngagement(
    string ItemId, IReadOnlyList<string> History, string Topic, int Partition, long Offset, bool Retried, IReadOnlySet<string>? NotPositive = null)
{
    /// <summary>"topic:partition" of the engagement's own event.</summary>
    public string PartitionKey => UserProfile.OffsetKey(Topic, Partition);
}

/// <summary>
/// An engagement whose co-engagement contributions are saved with the user's state before they are published (see
/// <see cref="UserProfile.Outbox"/>), with the consumed event whose processing produced it: the event itself for one applied
/// in order, the event that let a parked one through, or none for a parked-retry round (<see cref="TriggerKey"/> null).
/// </summary>
/// <param name="Engagement">What the item side learns from.</param>
/// <param name="TriggerKey">"topic:partition" of the consumed event that produced it; null for a parked-retry round.</param>
/// <param name="TriggerOffset">That event's offset (0 when <paramref name="TriggerKey"/> is null).</param>
public sealed record OutboxEntry(AppliedEngagement Engagement, string? TriggerKey, long TriggerOffset)
{
    /// <summary>True when a replay of the consumed event at <paramref name="key"/>/<paramref name="offset"/> publishes this entry again.</summary>
    public bool IsTriggeredBy(string key, long offset) => TriggerOffset == offset && string.Equals(TriggerKey, key, StringComparison.Ordinal);

    /// <summary>The partition whose new owner looks for this entry when no replay will: a retry round's, the engagement's own.</summary>
    public string RecoveryKey => TriggerKey ?? Engagement.PartitionKey;
}
