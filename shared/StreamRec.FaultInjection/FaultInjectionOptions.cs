using System.ComponentModel.DataAnnotations;

namespace StreamRec.FaultInjection;

/// <summary>
/// TEST ONLY: crash hooks used by the reliability suite and <c>streamrec chaos</c> to kill a real
/// <c>streamrec serve</c> process at the two moments that matter for delivery guarantees. Everything is
/// off by default, and when it is off nothing is registered: production code paths are untouched.
/// Section <c>StreamRec:FaultInjection</c>. Never set these in a deployment.
/// </summary>
public sealed class FaultInjectionOptions
{
    public const string SectionName = "StreamRec:FaultInjection";

    /// <summary>
    /// After the N-th write to the users collection has returned (durable), the process dies at once
    /// (<see cref="Environment.FailFast(string)"/>: no finally blocks, no flush, no offset commit), which is
    /// the window between the vector-store write and the offset commit. Default 0 (off).
    /// </summary>
    [Range(0, int.MaxValue)]
    public int CrashAfterUserWrites { get; set; }

    /// <summary>
    /// On the N-th candidate query of the recommender (it runs after the recommender consumed a user-vector
    /// notification and before it publishes that user's list), the process waits
    /// <see cref="CrashBeforeListPublishDelay"/> and then dies. The wait lets the profile-updater of the same
    /// process commit the source events first, so the crash lands after that commit but before the list is
    /// published. Default 0 (off).
    /// </summary>
    [Range(0, int.MaxValue)]
    public int CrashBeforeListPublish { get; set; }

    /// <summary>How long <see cref="CrashBeforeListPublish"/> holds the recommender before dying; longer than the
    /// consumers' auto-commit interval (1 s) so the other groups' stored offsets reach the broker. Default 3 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan CrashBeforeListPublishDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>True when any hook is configured.</summary>
    public bool IsEnabled => CrashAfterUserWrites > 0 || CrashBeforeListPublish > 0;
}
