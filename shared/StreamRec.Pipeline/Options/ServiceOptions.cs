using System.ComponentModel.DataAnnotations;
using StreamRec.Pipeline.Parking;

namespace StreamRec.Pipeline.Options;

/// <summary>The item-indexer service. Section <c>StreamRec:ItemIndexer</c>.</summary>
public sealed class ItemIndexerOptions
{
    public const string SectionName = "StreamRec:ItemIndexer";

    /// <summary>Consumer group (after the Kafka group prefix). Default <c>item-indexer</c>.</summary>
    [Required]
    public string GroupId { get; set; } = "item-indexer";
}

/// <summary>The profile-updater service. Section <c>StreamRec:ProfileUpdater</c>. The state math is in <c>StreamRec:Profile</c>.</summary>
public sealed class ProfileUpdaterOptions : IValidatableObject
{
    public const string SectionName = "StreamRec:ProfileUpdater";

    /// <summary>Consumer group (after the Kafka group prefix). Default <c>profile-updater</c>.</summary>
    [Required]
    public string GroupId { get; set; } = "profile-updater";

    /// <summary>User profiles kept in memory (least recently used evicted; evicted ones reload from the store). Default 100,000.</summary>
    [Range(0, 100_000_000)]
    public int UserCacheSize { get; set; } = 100_000;

    /// <summary>Publish what each applied click and review adds to items' co-engagement rows on streamrec.engagements,
    /// for the item side. Default true; false for a deployment without the item side (lists then blend text and
    /// trending only).</summary>
    public bool PublishEngagements { get; set; } = true;

    /// <summary>
    /// A click or review whose item is not indexed yet is parked in its user's state and the partition moves on; it is
    /// retried when the user's next event arrives and on a schedule (after ParkedRetryMinBackoff, doubling up to
    /// ParkedRetryMaxBackoff). This many scheduled retries may find the item still missing; the next failure dead-letters
    /// the event (<c>ItemNotIndexed</c>). Default 10.
    /// </summary>
    [Range(0, 1000)]
    public int ItemNotReadyMaxAttempts { get; set; } = 10;

    /// <summary>How long an event may stay parked before it is dead-lettered (<c>ItemNotIndexed</c>), whatever the attempts:
    /// counted from when it was parked, or from when the current instance took its partition over if that is later (an
    /// outage does not use up the wait). While it waits, that user's later events wait behind it (no one else's). Default 5 minutes.</summary>
    public TimeSpan ItemNotReadyMaxAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Delay before a parked event's first scheduled retry; doubles per retry. Default 1 s.</summary>
    public TimeSpan ParkedRetryMinBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Cap of the delay between scheduled retries of a parked event. Default 60 s.</summary>
    public TimeSpan ParkedRetryMaxBackoff { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the profile-updater looks for parked events whose retry is due. Default 1 s.</summary>
    public TimeSpan ParkedSweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most events parked per user; when full, the oldest is dead-lettered early (<c>ItemNotIndexed</c>), which bounds
    /// the state one user can accumulate behind a missing item. Default 100.</summary>
    [Range(1, 10_000)]
    public int MaxParkedPerUser { get; set; } = 100;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ItemNotReadyMaxAge <= TimeSpan.Zero)
        {
            yield return new ValidationResult("ItemNotReadyMaxAge must be positive", [nameof(ItemNotReadyMaxAge)]);
        }

        if (ParkedRetryMinBackoff <= TimeSpan.Zero || ParkedRetryMinBackoff > ParkedRetryMaxBackoff)
        {
            yield return new ValidationResult("ParkedRetryMinBackoff must be positive and not exceed ParkedRetryMaxBackoff", [nameof(ParkedRetryMinBackoff), nameof(ParkedRetryMaxBackoff)]);
        }

        if (ParkedSweepInterval <= TimeSpan.Zero)
        {
            yield return new ValidationResult("ParkedSweepInterval must be positive", [nameof(ParkedSweepInterval)]);
        }
    }

    /// <summary>The parking rules these options describe.</summary>
    public ParkingPolicy ParkingPolicy() =>
        new(ItemNotReadyMaxAttempts, ItemNotReadyMaxAge, ParkedRetryMinBackoff, ParkedRetryMaxBackoff, MaxParkedPerUser);
}

/// <summary>The recommender service. Section <c>StreamRec:Recommender</c>. Ranking knobs are in <c>StreamRec:Ranking</c>.</summary>
public sealed class RecommenderOptions
{
    public const string SectionName = "StreamRec:Recommender";

    /// <summary>Consumer group for user-vector updates (after the Kafka group prefix). Default <c>recommender</c>.</summary>
    [Required]
    public string GroupId { get; set; } = "recommender";

    /// <summary>
    /// Consumer group for the trending counts read from the clicks on the user-events topic. Every instance needs every click, so the
    /// instance id is appended (each instance is its own group and rebuilds its counts from the topic at start).
    /// Default <c>recommender-trending</c>.
    /// </summary>
    [Required]
    public string TrendingGroupId { get; set; } = "recommender-trending";

    /// <summary>Window for the served-list coverage metric (distinct items recommended in it / items indexed). Default 10 minutes.</summary>
    public TimeSpan CoverageWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How many groups of a batch's lists are built at once: the batch's users are split into up to this many
    /// groups of at least <see cref="MinListsPerBuilder"/>, each built by its own thread with one batched store query
    /// (a batch of a few users stays on one thread). Default: the processor count (<c>Environment.ProcessorCount</c>,
    /// which follows a container's CPU limit); 1 builds every batch on one thread.</summary>
    [Range(1, 1024)]
    public int ListBuilders { get; set; } = Environment.ProcessorCount;

    /// <summary>The fewest lists a group of <see cref="ListBuilders"/> holds.</summary>
    public const int MinListsPerBuilder = 4;
}

/// <summary>The item side (co-engagement rows), bound from <see cref="SectionName"/>.</summary>
public sealed class CoEngagementUpdaterOptions
{
    public const string SectionName = "StreamRec:CoEngagementUpdater";

    /// <summary>Consumer group (after the Kafka group prefix). Default <c>co-engagement-updater</c>.</summary>
    [Required]
    public string GroupId { get; set; } = "co-engagement-updater";

    /// <summary>Most engagement messages per batch. A row touched by several messages of a batch is written once, so a
    /// larger batch writes the popular items' rows less often; no list waits for the item side. Default 8,192 (the other
    /// consumers use <c>StreamRec:Kafka:MaxBatchSize</c>, 256).</summary>
    [Range(1, 100_000)]
    public int MaxBatchSize { get; set; } = 8192;

    /// <summary>How long a batch waits to fill once its first message arrived: the rows lag the clicks by up to this much
    /// more, well inside the recommender's reuse of a row it read (<c>StreamRec:CoEngagement:ReadCacheSeconds</c>, 30 s).
    /// Default 1 s (<c>StreamRec:Kafka:MaxBatchWait</c>, 10 ms, is the others').</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan MaxBatchWait { get; set; } = TimeSpan.FromSeconds(1);
}
