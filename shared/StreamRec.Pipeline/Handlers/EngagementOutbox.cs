using StreamRec.Domain;

namespace StreamRec.Pipeline.Handlers;

/// <summary>
/// What one batch or parked-retry round of the profile-updater sends to the item side, in the order the item side must
/// see it, and how it changes each user's <see cref="UserProfile.Outbox"/>.
/// </summary>
/// <remarks>
/// The users are saved with their outbox before anything is published. A replayed event (skipped by the user's applied
/// offsets) publishes again the stored entries it produced, at its own position in the batch, so the item side receives
/// the first run's contributions in the first run's order whatever the replay's batch boundaries: its per-partition
/// watermarks stay exact. An event applied now produces new entries. When a user is written, an entry whose partition
/// had a newer event of the user in this batch is out for sure (that event's batch started after the entry's batch
/// returned), so it is dropped unless this batch publishes it again. Disabled (the item side off), it records nothing.
/// </remarks>
internal sealed class EngagementOutbox(bool enabled)
{
    private readonly Dictionary<string, UserChange> _users = new(StringComparer.Ordinal);
    private readonly HashSet<OutboxEntry> _outgoing = new(ReferenceEqualityComparer.Instance);

    /// <summary>The entries to publish, in order.</summary>
    public List<OutboxEntry> Outgoing { get; } = [];

    /// <summary>A replayed event: its stored entries go out again, in their stored order.</summary>
    public void Replayed(UserProfile profile, string partitionKey, long offset)
    {
        if (!enabled)
        {
            return;
        }

        foreach (var entry in profile.Outbox)
        {
            if (entry.IsTriggeredBy(partitionKey, offset))
            {
                Send(entry);
            }
        }
    }

    /// <summary>An event processed now (<paramref name="partitionKey"/> null: a retry round), with the engagements it applied.</summary>
    public void Processed(UserProfile profile, string? partitionKey, long offset, IEnumerable<AppliedEngagement> engagements)
    {
        if (!enabled)
        {
            return;
        }

        if (!_users.TryGetValue(profile.UserId, out var change))
        {
            _users[profile.UserId] = change = new UserChange();
        }

        if (partitionKey is not null)
        {
            change.Keys.Add(partitionKey);
        }

        foreach (var engagement in engagements)
        {
            var entry = new OutboxEntry(engagement, partitionKey, partitionKey is null ? 0 : offset);
            change.Fresh.Add(entry);
            Send(entry);
        }
    }

    /// <summary>A retry round's user: its stored retry-round entries go out again (only a crash leaves any; the item side
    /// recognises them as applied), so the write after the round may clear them all.</summary>
    public void RetryRound(UserProfile profile)
    {
        if (!enabled)
        {
            return;
        }

        foreach (var entry in profile.Outbox.Where(e => e.TriggerKey is null))
        {
            Send(entry);
        }
    }

    /// <summary>Sets the outbox <paramref name="profile"/> is about to be saved with.</summary>
    public void WriteTo(UserProfile profile)
    {
        if (!_users.TryGetValue(profile.UserId, out var change))
        {
            return;
        }

        var kept = profile.Outbox.Where(e => e.TriggerKey is null || !change.Keys.Contains(e.TriggerKey) || _outgoing.Contains(e)).ToList();
        profile.Outbox.Clear();
        profile.Outbox.AddRange(kept);
        profile.Outbox.AddRange(change.Fresh);
    }

    /// <summary>After publishing: drops what went out from <paramref name="profile"/>'s in-memory outbox (the stored copy keeps
    /// it until the user's next write). Returns whether anything was dropped.</summary>
    public bool Published(UserProfile profile) => profile.Outbox.RemoveAll(_outgoing.Contains) > 0;

    private void Send(OutboxEntry entry)
    {
        if (_outgoing.Add(entry))
        {
            Outgoing.Add(entry);
        }
    }

    private sealed class UserChange
    {
        /// <summary>Partitions in which the user had an event processed now.</summary>
        public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);

        public List<OutboxEntry> Fresh { get; } = [];
    }
}
