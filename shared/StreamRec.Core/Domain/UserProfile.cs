namespace StreamRec.Domain;

/// <summary>
/// One user's state: two exponentially decayed sums of item vectors (short-term s, long-term l),
/// the recent items (seen filter), counts, and the Kafka offsets already applied.
/// </summary>
/// <remarks>
/// The sums are stored as of <see cref="ReferenceTime"/> (event time, not processing time), so
/// <c>s(T) = Σ wᵢ·xᵢ·2^(-(T - tᵢ)/h)</c>. That sum does not depend on the order the events arrive in:
/// an event newer than the reference moves the reference forward (decaying what is there); an event
/// older than it is added with its own decay factor. Late and out-of-order events therefore give the
/// same state as in-order delivery (to float rounding), which is what makes replays and retries safe.
/// </remarks>
public sealed class UserProfile
{
    public UserProfile(string userId, int dimension)
    {
        UserId = userId;
        ShortTerm = new float[dimension];
        LongTerm = new float[dimension];
    }

    public string UserId { get; }

    /// <summary>Short-term decayed sum, as of <see cref="ReferenceTime"/>.</summary>
    public float[] ShortTerm { get; private set; }

    /// <summary>Long-term decayed sum, as of <see cref="ReferenceTime"/>.</summary>
    public float[] LongTerm { get; private set; }

    /// <summary>Event time the sums are expressed at (the newest event applied).</summary>
    public DateTimeOffset ReferenceTime { get; set; } = DateTimeOffset.MinValue;

    /// <summary>Recently interacted item ids, oldest first, at most <see cref="ProfileOptions.SeenHistory"/>.</summary>
    public List<string> RecentItems { get; } = [];

    public long Clicks { get; set; }

    public long Reviews { get; set; }

    /// <summary>Number of events applied; the version published with each vector update.</summary>
    public long Version { get; set; }

    /// <summary>"topic:partition" → the highest offset applied. An event at or below it is a replay.</summary>
    public Dictionary<string, long> AppliedOffsets { get; } = new(StringComparer.Ordinal);

    public int Dimension => ShortTerm.Length;

    /// <summary>True after a forget request until the next event: the profile then holds only its offsets.</summary>
    public bool Forgotten { get; set; }

    /// <summary>
    /// Events that wait to be applied, oldest first (see <see cref="ParkedEvent"/>). While any waits, the user's later
    /// events queue behind it, so the state is always the user's events applied in offset order.
    /// </summary>
    public List<ParkedEvent> Parked { get; } = [];

    /// <summary>Set by a parked-retry round that changed the user, until its notification is out (see <see cref="Domain.PendingNotice"/>).</summary>
    public PendingNotice? PendingNotice { get; set; }

    /// <summary>
    /// The engagements of the user's last writes whose co-engagement contributions may not be out yet, in the order they
    /// were applied (see <see cref="OutboxEntry"/>). Saved with the state and published after it, so a crash in between
    /// makes the replay publish again exactly what was decided, never a recomputation from a state that has moved on.
    /// Entries stay stored after they are out until a later write of the user replaces them: a replay publishes again
    /// only an entry whose consumed event it replays, which the item side recognises as applied.
    /// </summary>
    public List<OutboxEntry> Outbox { get; } = [];

    /// <summary>The last events accepted (applied or parked), oldest first, by the 64-bit hash of their <c>event_id</c>
    /// (<see cref="EventIdHash"/>): a bounded window that turns a producer's retried duplicate (same <c>event_id</c>,
    /// another offset) into a no-op. Hashes, not ids: 8 bytes each however long the ids are; two distinct ids of one user
    /// collide with a chance of about 100 in 2^64 per event.</summary>
    public List<ulong> RecentEventIds { get; } = [];

    /// <summary>True when <paramref name="eventId"/> is among <see cref="RecentEventIds"/>.</summary>
    public bool HasSeenEvent(string eventId) => RecentEventIds.Contains(EventIdHash(eventId));

    /// <summary>Remembers an accepted event id; evicts the oldest past <paramref name="cap"/> (0 turns duplicate detection off).</summary>
    public void RememberEvent(string eventId, int cap)
    {
        if (cap <= 0)
        {
            return;
        }

        RecentEventIds.Add(EventIdHash(eventId));
        if (RecentEventIds.Count > cap)
        {
            RecentEventIds.RemoveRange(0, RecentEventIds.Count - cap);
        }
    }

    /// <summary>XXH3 (64 bits) of the id's UTF-8 bytes: stable across processes, platforms and versions, as stored state
    /// needs.</summary>
    public static ulong EventIdHash(string eventId)
    {
        var length = System.Text.Encoding.UTF8.GetMaxByteCount(eventId.Length);
        var buffer = length <= 512 ? stackalloc byte[length] : new byte[length];
        var written = System.Text.Encoding.UTF8.GetBytes(eventId, buffer);
        return System.IO.Hashing.XxHash3.HashToUInt64(buffer[..written]);
    }

    /// <summary>
    /// Erases everything learned about the user (vectors, recent items, counts) for a privacy request. The applied
    /// offsets stay, and carry no behaviour, so a replay of the user's older events is still skipped instead of
    /// rebuilding what was erased.
    /// </summary>
    public void Forget()
    {
        Array.Clear(ShortTerm);
        Array.Clear(LongTerm);
        RecentItems.Clear();
        NotPositive.Clear();
        Clicks = 0;
        Reviews = 0;
        ReferenceTime = DateTimeOffset.MinValue;
        Forgotten = true;
    }

    /// <summary>True once any event with a non-zero weight was applied.</summary>
    public bool HasSignal => Clicks + Reviews > 0 && (VectorMath.Dot(LongTerm, LongTerm) > 0 || VectorMath.Dot(ShortTerm, ShortTerm) > 0);

    /// <summary>Replaces the sums (used when loading persisted state).</summary>
    public void SetVectors(float[] shortTerm, float[] longTerm)
    {
        if (shortTerm.Length != longTerm.Length)
        {
            throw new ArgumentException("short- and long-term vectors differ in dimension");
        }

        ShortTerm = shortTerm;
        LongTerm = longTerm;
    }

    public static string OffsetKey(string topic, int partition) => string.Concat(topic, ":", partition.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>True when this topic-partition offset was already applied to this user.</summary>
    public bool HasApplied(string topic, int partition, long offset) =>
        AppliedOffsets.TryGetValue(OffsetKey(topic, partition), out var applied) && offset <= applied;

    /// <summary>Records an applied offset (monotonic per partition).</summary>
    public void MarkApplied(string topic, int partition, long offset)
    {
        var key = OffsetKey(topic, partition);
        if (!AppliedOffsets.TryGetValue(key, out var applied) || offset > applied)
        {
            AppliedOffsets[key] = offset;
        }
    }

    /// <summary>Adds <paramref name="weight"/>·<paramref name="itemVector"/> at event time <paramref name="at"/> to both sums.</summary>
    public void AddContribution(ReadOnlySpan<float> itemVector, double weight, DateTimeOffset at, ProfileOptions options)
    {
        if (itemVector.Length != Dimension)
        {
            throw new ArgumentException($"vector has {itemVector.Length} dimensions, the profile {Dimension}");
        }

        if (ReferenceTime == DateTimeOffset.MinValue || at >= ReferenceTime)
        {
            var elapsed = ReferenceTime == DateTimeOffset.MinValue ? TimeSpan.Zero : at - ReferenceTime;
            VectorMath.ScaleAndAdd(ShortTerm, (float)Decay.Factor(elapsed, options.ShortTermHalfLife), itemVector, (float)weight);
            VectorMath.ScaleAndAdd(LongTerm, (float)Decay.Factor(elapsed, options.LongTermHalfLife), itemVector, (float)weight);
            ReferenceTime = at;
        }
        else
        {
            // A late event: decay its own contribution to the reference time instead of moving the reference back.
            var lateness = ReferenceTime - at;
            VectorMath.ScaleAndAdd(ShortTerm, 1f, itemVector, (float)(weight * Decay.Factor(lateness, options.ShortTermHalfLife)));
            VectorMath.ScaleAndAdd(LongTerm, 1f, itemVector, (float)(weight * Decay.Factor(lateness, options.LongTermHalfLife)));
        }
    }

    /// <summary>Recent items whose latest engagement was not positive (a review rated at or below neutral), oldest first:
    /// seen, but left out of the co-engagement query. An item leaves it when the user engages with it positively.</summary>
    public List<string> NotPositive { get; } = [];

    /// <summary>Records whether the user's latest engagement with <paramref name="itemId"/> was positive (see <see cref="NotPositive"/>).</summary>
    public void MarkEngagement(string itemId, bool positive, int cap)
    {
        NotPositive.Remove(itemId);
        if (positive || cap <= 0)
        {
            return;
        }

        NotPositive.Add(itemId);
        if (NotPositive.Count > cap)
        {
            NotPositive.RemoveRange(0, NotPositive.Count - cap);
        }
    }

    /// <summary>Which of <paramref name="history"/> and <paramref name="itemId"/> the user's latest engagement with was
    /// not positive (what <see cref="CoEngagement.Pairs"/> weighs down); null when none was.</summary>
    public IReadOnlySet<string>? NotPositiveAmong(IReadOnlyList<string> history, string itemId)
    {
        if (NotPositive.Count == 0)
        {
            return null;
        }

        var among = new HashSet<string>(history, StringComparer.Ordinal) { itemId };
        HashSet<string>? result = null;
        foreach (var id in NotPositive)
        {
            if (among.Contains(id))
            {
                (result ??= new HashSet<string>(StringComparer.Ordinal)).Add(id);
            }
        }

        return result;
    }

    /// <summary>Remembers an item as seen (moves it to the most recent end; evicts the oldest past the cap).</summary>
    public void RememberItem(string itemId, int cap)
    {
        if (cap <= 0)
        {
            return;
        }

        RecentItems.Remove(itemId);
        RecentItems.Add(ItemIdPool.Intern(itemId));
        if (RecentItems.Count > cap)
        {
            RecentItems.RemoveRange(0, RecentItems.Count - cap);
        }
    }

    /// <summary>The retrieval query <c>normalize(α·ŝ + (1-α)·l̂)</c>; null when the user has no direction yet.</summary>
    public float[]? QueryVector(double shortTermWeight)
    {
        var s = VectorMath.Normalized(ShortTerm);
        var l = VectorMath.Normalized(LongTerm);
        var q = new float[Dimension];
        VectorMath.ScaleAndAdd(q, 1f, s, (float)shortTermWeight);
        VectorMath.ScaleAndAdd(q, 1f, l, (float)(1 - shortTermWeight));
        return VectorMath.NormalizeInPlace(q) ? q : null;
    }
}
