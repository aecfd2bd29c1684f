using StreamRec.Ports;

namespace StreamRec.Pipeline.Engines;

/// <summary>The vector-store collections and their payload fields.</summary>
public static class Collections
{
    /// <summary>Items: one named vector "text" (cosine), payload <see cref="ItemFields"/>.</summary>
    public const string Items = "items";

    /// <summary>Users: named vectors "short" and "long" (dot product: the sums are not unit vectors), payload <see cref="UserFields"/>.</summary>
    public const string Users = "users";

    /// <summary>The item side's co-engagement rows, one point per item (payload <see cref="CoEngagementFields"/>). A
    /// companion collection rather than payload on the item's point: the item-indexer replaces whole item points, and two
    /// writers of one point would overwrite each other. Its one vector is a placeholder the store requires.</summary>
    public const string ItemEngagement = "item-engagement";

    /// <summary>Facts about the store as a whole, one point each (payload <see cref="MetaFields"/>); its one vector is a placeholder.</summary>
    public const string Meta = "streamrec-meta";

    public const string PlaceholderVector = "none";

    public const string ItemVector = "text";
    public const string ShortTermVector = "short";
    public const string LongTermVector = "long";

    public static CollectionSpec ItemsSpec(int dimension) => new(
        Items,
        new Dictionary<string, int> { [ItemVector] = dimension },
        Distance.Cosine,
        new Dictionary<string, PayloadFieldType>
        {
            [ItemFields.Retired] = PayloadFieldType.Bool,
            [ItemFields.PublishedAt] = PayloadFieldType.Float,
            [ItemFields.Tags] = PayloadFieldType.Keyword,
        });

    public static CollectionSpec ItemEngagementSpec(bool onDisk = false) => new(
        ItemEngagement,
        new Dictionary<string, int> { [PlaceholderVector] = 1 },
        Distance.Dot,
        OnDisk: onDisk);

    public static CollectionSpec MetaSpec() => new(
        Meta,
        new Dictionary<string, int> { [PlaceholderVector] = 1 },
        Distance.Dot);

    public static CollectionSpec UsersSpec(int dimension, bool onDisk = true) => new(
        Users,
        new Dictionary<string, int> { [ShortTermVector] = dimension, [LongTermVector] = dimension },
        Distance.Dot,
        // A partition's new owner scrolls for the users with events parked from it; Qdrant filters an unindexed field by a full scan.
        new Dictionary<string, PayloadFieldType> { [UserFields.ParkedIn] = PayloadFieldType.Keyword },
        onDisk);
}

/// <summary>Point ids and payload keys of the meta collection.</summary>
public static class MetaFields
{
    /// <summary>The point that names the encoder whose vectors the items and users collections hold.</summary>
    public const string EncoderPoint = "encoder";

    public const string Model = "model";
    public const string Dimension = "dimension";
}

/// <summary>Payload keys of the items collection.</summary>
public static class ItemFields
{
    public const string ItemId = "item_id";
    public const string Title = "title";
    public const string Tags = "tags";

    /// <summary>Unix seconds (float), for freshness and range filters.</summary>
    public const string PublishedAt = "published_at";
    public const string Retired = "retired";
    public const string Version = "version";

    /// <summary>True for a retirement that arrived before the item itself: a placeholder that only holds the version.</summary>
    public const string Tombstone = "tombstone";
    public const string UpdatedAt = "updated_at";
}

/// <summary>Payload keys of the item-engagement collection.</summary>
public static class CoEngagementFields
{
    public const string ItemId = "item_id";

    /// <summary>Engagement count n (distinct users who engaged).</summary>
    public const string Count = "count";

    /// <summary>Co-engaged item id → position-weighted weight (the strongest NeighbourLimit), one JSON member each: the
    /// format rows were written in before <see cref="NeighboursPacked"/>; still read.</summary>
    public const string Neighbours = "neighbours";

    /// <summary>The co-engaged items and their weights packed into one URL-safe base64 string (see <c>CoEngagementStore</c>): a row
    /// holds hundreds, and a JSON member per neighbour made encoding and writing rows the item side's main cost.</summary>
    public const string NeighboursPacked = "neighbours_packed";

    /// <summary>"topic:partition" of the user events → highest offset applied in order: what makes replays no-ops.</summary>
    public const string Watermarks = "watermarks";

    /// <summary>Ids of the latest contributions applied late (from parking lists).</summary>
    public const string RetryIds = "retry_ids";
}

/// <summary>Payload keys of the users collection.</summary>
public static class UserFields
{
    public const string UserId = "user_id";

    /// <summary>Event time (Unix ms) the decayed sums are expressed at.</summary>
    public const string ReferenceTime = "ref_time_ms";
    public const string Recent = "recent";
    public const string Clicks = "clicks";
    public const string Reviews = "reviews";
    public const string Version = "version";

    /// <summary>"topic:partition" → highest applied offset: what makes replays no-ops.</summary>
    public const string Offsets = "offsets";

    /// <summary>True after a forget request: the point keeps only the offsets, so replayed older events stay skipped.</summary>
    public const string Forgotten = "forgotten";

    /// <summary>Events waiting for their item, oldest first (see <see cref="StreamRec.Domain.ParkedEvent"/>); absent when none.</summary>
    public const string Parked = "parked";

    /// <summary>The "topic:partition"s of the parked events, of a pending notice and of a retry round's outbox entries: what a
    /// new owner of a partition filters on to find users with parked events, an unsent notification or unsent contributions.</summary>
    public const string ParkedIn = "parked_in";

    /// <summary>Before <see cref="EventHashes"/>: the duplicate window as event ids (read and hashed, never written).</summary>
    public const string EventIds = "event_ids";

    /// <summary>The duplicate window, oldest first: the user's recent events' id hashes, 16 hex digits each
    /// (<see cref="Domain.UserProfile.RecentEventIds"/>).</summary>
    public const string EventHashes = "event_hashes";

    /// <summary>Recent items whose latest engagement was not positive, oldest first (left out of the co-engagement query); absent when none.</summary>
    public const string NotPositive = "not_positive";

    /// <summary>Engagements saved before their co-engagement contributions are published (see <see cref="StreamRec.Domain.UserProfile.Outbox"/>); absent when none.</summary>
    public const string Outbox = "outbox";

    /// <summary>The event a parked-retry round applied, until its notification is out (see <see cref="StreamRec.Domain.PendingNotice"/>); absent when none.</summary>
    public const string PendingNotice = "pending_notice";
}
