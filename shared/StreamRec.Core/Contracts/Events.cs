using System.Text.Json.Serialization;

namespace StreamRec.Contracts;

/// <summary>What every StreamRec message carries, and where it goes.</summary>
public interface IStreamRecEvent
{
    /// <summary>Schema id, e.g. <c>streamrec.click/v1</c>; see <see cref="Schemas"/>.</summary>
    string Schema { get; }

    /// <summary>Producer-chosen unique id (at most 128 characters). Used to trace lists back to events.</summary>
    string EventId { get; }

    /// <summary>When it happened, by the producer's clock.</summary>
    DateTimeOffset OccurredAt { get; }

    /// <summary>The topic this event belongs on.</summary>
    [JsonIgnore]
    string Topic { get; }

    /// <summary>The Kafka key: user_id for user events, item_id for item events.</summary>
    [JsonIgnore]
    string Key { get; }
}

/// <summary>An item was created or changed. A newer <see cref="Version"/> replaces an older one; an older one is ignored.</summary>
public sealed record ItemUpserted : IStreamRecEvent
{
    public string Schema { get; init; } = Schemas.ItemUpserted;
    public required string EventId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required string ItemId { get; init; }
    public required string Title { get; init; }

    /// <summary>Free text (description, synopsis). Optional.</summary>
    public string? Text { get; init; }

    /// <summary>Tags or genres. Optional.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>When the item became available; drives freshness. Defaults to <see cref="OccurredAt"/>.</summary>
    public DateTimeOffset? PublishedAt { get; init; }

    /// <summary>Monotonic version; defaults to OccurredAt in Unix milliseconds.</summary>
    public long? Version { get; init; }

    [JsonIgnore] public string Topic => Topics.Items;
    [JsonIgnore] public string Key => ItemId;
    [JsonIgnore] public long EffectiveVersion => Version ?? OccurredAt.ToUnixTimeMilliseconds();
}

/// <summary>An item is withdrawn: it stops being recommended. Same version rule as <see cref="ItemUpserted"/>.</summary>
public sealed record ItemRetired : IStreamRecEvent
{
    public string Schema { get; init; } = Schemas.ItemRetired;
    public required string EventId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required string ItemId { get; init; }
    public long? Version { get; init; }

    /// <summary>Operators only: retire whatever version is stored, and make this event's version the stored one (the way out of
    /// a poisoned, far-future version). Absent means false.</summary>
    public bool? Force { get; init; }

    [JsonIgnore] public string Topic => Topics.Items;
    [JsonIgnore] public string Key => ItemId;
    [JsonIgnore] public long EffectiveVersion => Version ?? OccurredAt.ToUnixTimeMilliseconds();
}

/// <summary>A user clicked (viewed, played) an item.</summary>
public sealed record Click : IStreamRecEvent
{
    public string Schema { get; init; } = Schemas.Click;
    public required string EventId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required string UserId { get; init; }
    public required string ItemId { get; init; }

    /// <summary>Optional free-form context (surface, device...). Stored nowhere; passed through for tracing.</summary>
    public IReadOnlyDictionary<string, string>? Context { get; init; }

    [JsonIgnore] public string Topic => Topics.UserEvents;
    [JsonIgnore] public string Key => UserId;
}

/// <summary>A user reviewed an item: a rating, a text, or both.</summary>
public sealed record Review : IStreamRecEvent
{
    public string Schema { get; init; } = Schemas.Review;
    public required string EventId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required string UserId { get; init; }
    public required string ItemId { get; init; }

    /// <summary>0 to 5 (MovieLens uses 0.5 steps). Absent: the review counts as positive.</summary>
    public double? Rating { get; init; }

    /// <summary>Review text; encoded and blended with the item's vector.</summary>
    public string? Text { get; init; }

    [JsonIgnore] public string Topic => Topics.UserEvents;
    [JsonIgnore] public string Key => UserId;
}

/// <summary>A privacy request: delete everything StreamRec keeps about the user and publish an empty list.
/// Sent on the user-events topic like the user's clicks and reviews, so it is ordered with them.</summary>
public sealed record UserForget : IStreamRecEvent
{
    public string Schema { get; init; } = Schemas.UserForget;
    public required string EventId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required string UserId { get; init; }

    [JsonIgnore] public string Topic => Topics.UserEvents;
    [JsonIgnore] public string Key => UserId;
}

/// <summary>Which event caused a user vector or a list, so freshness can be measured end to end.</summary>
public sealed record TriggerRef
{
    public required string EventId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>When the event reached Kafka (its message timestamp).</summary>
    public DateTimeOffset? ReceivedAt { get; init; }

    public string? Topic { get; init; }
    public int? Partition { get; init; }
    public long? Offset { get; init; }
}

/// <summary>Internal: the profile-updater changed a user's vectors (or forgot the user).</summary>
public sealed record UserVectorUpdated : IStreamRecEvent
{
    public string Schema { get; init; } = Schemas.UserVectorUpdated;
    public required string EventId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required string UserId { get; init; }

    /// <summary>The user state's version after the change (events applied).</summary>
    public required long Version { get; init; }

    /// <summary>True when the user was forgotten: the recommender publishes an empty list.</summary>
    public bool Forgotten { get; init; }

    public required TriggerRef Trigger { get; init; }

    [JsonIgnore] public string Topic => Topics.UserVectors;
    [JsonIgnore] public string Key => UserId;
}

/// <summary>One entry of a published list.</summary>
public sealed record RecommendedItem
{
    public required string ItemId { get; init; }
    public string? Title { get; init; }
    public required double Score { get; init; }
    public required int Rank { get; init; }

    /// <summary>Why the item is there: <c>similar-recent</c>, <c>similar-long-term</c>, <c>fresh</c>, <c>trending</c>, <c>diversified</c>, <c>popular-fallback</c>.</summary>
    public required IReadOnlyList<string> Reasons { get; init; }
}

/// <summary>A user's refreshed top-N list, as downstream apps see it.</summary>
public sealed record RecommendationList : IStreamRecEvent
{
    public string Schema { get; init; } = Schemas.Recommendations;
    public required string EventId { get; init; }
    public required string UserId { get; init; }
    public required DateTimeOffset GeneratedAt { get; init; }

    /// <summary><c>personalized</c>, <c>trending</c> (no usable history yet) or <c>forgotten</c> (empty list after a forget request).</summary>
    public required string Strategy { get; init; }

    public required TriggerRef Trigger { get; init; }
    public required IReadOnlyList<RecommendedItem> Items { get; init; }

    [JsonIgnore] public DateTimeOffset OccurredAt => GeneratedAt;
    [JsonIgnore] public string Topic => Topics.Recommendations;
    [JsonIgnore] public string Key => UserId;
}
