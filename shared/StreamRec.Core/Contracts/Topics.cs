namespace StreamRec.Contracts;

/// <summary>Kafka topic names, in one place. See DESIGN.md for keys and retention.</summary>
public static class Topics
{
    /// <summary>Item upserts and retirements, keyed by item_id (compacted).</summary>
    public const string Items = "streamrec.items";

    /// <summary>A user's clicks, reviews and forget requests, keyed by user_id: one topic, so that Kafka keeps each user's
    /// events in the order they were produced and every run applies them in that order (docs/reliability.md, "One ordered
    /// stream per user").</summary>
    public const string UserEvents = "streamrec.user-events";

    /// <summary>Internal: a user's vector changed (profile-updater to recommender), keyed by user_id.</summary>
    public const string UserVectors = "streamrec.user-vectors";

    /// <summary>Internal: what an engagement adds to an item's co-engagement row (profile-updater to the item side), keyed by item_id.</summary>
    public const string Engagements = "streamrec.engagements";

    /// <summary>Each user's latest list, keyed by user_id (compacted).</summary>
    public const string Recommendations = "streamrec.recommendations";

    /// <summary>Messages that can never succeed, with the reason in headers, keyed by the source key.</summary>
    public const string DeadLetter = "streamrec.dlq";

    /// <summary>Every StreamRec topic.</summary>
    public static readonly IReadOnlyList<string> All = [Items, UserEvents, UserVectors, Engagements, Recommendations, DeadLetter];

    /// <summary>Topics whose retention should be compaction (latest value per key).</summary>
    public static readonly IReadOnlyList<string> Compacted = [Items, Recommendations];
}

/// <summary>The <c>schema</c> value of every message kind. A version bump is a new schema id.</summary>
public static class Schemas
{
    public const string ItemUpserted = "streamrec.item-upserted/v1";
    public const string ItemRetired = "streamrec.item-retired/v1";
    public const string Click = "streamrec.click/v1";
    public const string Review = "streamrec.review/v1";
    public const string UserForget = "streamrec.user-forget/v1";
    public const string UserVectorUpdated = "streamrec.user-vector-updated/v1";
    public const string Recommendations = "streamrec.recommendations/v1";

    /// <summary>Every schema id this version understands.</summary>
    public static readonly IReadOnlyList<string> All =
        [ItemUpserted, ItemRetired, Click, Review, UserForget, UserVectorUpdated, Recommendations];
}
