using System.ComponentModel.DataAnnotations;

namespace StreamRec.Domain;

/// <summary>How user state evolves (DESIGN.md, "User state"). Section <c>StreamRec:Profile</c>.</summary>
public sealed class ProfileOptions
{
    public const string SectionName = "StreamRec:Profile";

    /// <summary>Half-life of the short-term (recent interest) sum. Default 1 day.</summary>
    public TimeSpan ShortTermHalfLife { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Half-life of the long-term (taste) sum. Default 90 days.</summary>
    public TimeSpan LongTermHalfLife { get; set; } = TimeSpan.FromDays(90);

    /// <summary>α in <c>q = normalize(α·ŝ + (1-α)·l̂)</c>: weight of recent interest in the query. Default 0.6.</summary>
    [Range(0.0, 1.0)]
    public double ShortTermWeight { get; set; } = 0.6;

    /// <summary>Weight of a click. Default 1.</summary>
    [Range(0.0, 100.0)]
    public double ClickWeight { get; set; } = 1.0;

    /// <summary>Share of the item's vector in a review's vector; the rest is the review text's. Default 0.7.</summary>
    [Range(0.0, 1.0)]
    public double ReviewItemBlend { get; set; } = 0.7;

    /// <summary>Rating that neither attracts nor repels (weight 0); 5 weighs +1, 1 weighs -1 (clamped). Default 3.</summary>
    [Range(0.0, 5.0)]
    public double NeutralRating { get; set; } = 3.0;

    /// <summary>Weight of a review without a rating (counts as positive). Default 1.</summary>
    [Range(0.0, 100.0)]
    public double UnratedReviewWeight { get; set; } = 1.0;

    /// <summary>How many recent item ids the seen filter keeps per user. Default 200.</summary>
    [Range(0, 10_000)]
    public int SeenHistory { get; set; } = 200;

    /// <summary>User and item events stamped further ahead of the processing clock than this are dead-lettered (<c>FutureTimestamp</c>). Default 1 day.</summary>
    public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How many recent <c>event_id</c>s each user's state keeps to drop duplicates: an event whose id is among the user's
    /// last N accepted events (a producer retry without idempotence writes the same event at a second offset) is counted
    /// in <c>streamrec_duplicate_events_total</c> and not applied. A duplicate sent after more than N newer events of the
    /// same user is applied again. Default 100; 0 turns the check off.
    /// </summary>
    [Range(0, 10_000)]
    public int DuplicateWindow { get; set; } = 100;

    /// <summary>
    /// Users' stored state is declared on disk (<see cref="StreamRec.Ports.CollectionSpec.OnDisk"/>): the embedded store reads a user
    /// from its file when the profile cache misses and holds only ids in memory, Qdrant keeps users' vectors and payloads
    /// cold. Users are read by id, never searched. Default true; false keeps every user in memory (about 12 KB each with
    /// a long history) for reads that never touch the disk. Takes effect at the next start, on the stored users as well.
    /// </summary>
    public bool UsersOnDisk { get; set; } = true;

    /// <summary>A copy, for variants that change a knob or two.</summary>
    public ProfileOptions Clone() => (ProfileOptions)MemberwiseClone();
}
