using System.ComponentModel.DataAnnotations;

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
public sealed class ProfileUpdaterOptions
{
    public const string SectionName = "StreamRec:ProfileUpdater";

    /// <summary>Consumer group (after the Kafka group prefix). Default <c>profile-updater</c>.</summary>
    [Required]
    public string GroupId { get; set; } = "profile-updater";

    /// <summary>User profiles kept in memory (least recently used evicted; evicted ones reload from the store). Default 100,000.</summary>
    [Range(0, 100_000_000)]
    public int UserCacheSize { get; set; } = 100_000;

    /// <summary>
    /// How many times a click or review on an item that is not indexed yet is retried (with the consumer's
    /// exponential back-off, the partition paused meanwhile) before it is dead-lettered. Default 10 (about a minute
    /// with the default back-off).
    /// </summary>
    [Range(0, 1000)]
    public int ItemNotReadyMaxAttempts { get; set; } = 10;
}

/// <summary>The recommender service. Section <c>StreamRec:Recommender</c>. Ranking knobs are in <c>StreamRec:Ranking</c>.</summary>
public sealed class RecommenderOptions
{
    public const string SectionName = "StreamRec:Recommender";

    /// <summary>Consumer group for user-vector updates (after the Kafka group prefix). Default <c>recommender</c>.</summary>
    [Required]
    public string GroupId { get; set; } = "recommender";

    /// <summary>
    /// Consumer group for the trending counts read from the clicks topic. Every instance needs every click, so the
    /// instance id is appended (each instance is its own group and rebuilds its counts from the topic at start).
    /// Default <c>recommender-trending</c>.
    /// </summary>
    [Required]
    public string TrendingGroupId { get; set; } = "recommender-trending";

    /// <summary>Window for the served-list coverage metric (distinct items recommended in it / items indexed). Default 10 minutes.</summary>
    public TimeSpan CoverageWindow { get; set; } = TimeSpan.FromMinutes(10);
}
