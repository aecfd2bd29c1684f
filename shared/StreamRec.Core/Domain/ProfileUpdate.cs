using StreamRec.Contracts;

namespace StreamRec.Domain;

/// <summary>What applying one user event to a profile did.</summary>
public enum ApplyOutcome
{
    /// <summary>The event changed the profile.</summary>
    Applied,

    /// <summary>Its offset was already applied to this user: nothing changed.</summary>
    SkippedReplay,

    /// <summary>The item has no vector yet (not indexed, or a tombstone): try again later.</summary>
    ItemNotReady,

    /// <summary>The user was forgotten.</summary>
    Forgotten,

    /// <summary>The event cannot be applied, ever (see the reason).</summary>
    Rejected,

    /// <summary>Its event_id is among the user's recent event ids: a duplicate, not applied.</summary>
    Duplicate,

    /// <summary>It waits in the user's state (its item is not indexed yet, or an earlier event of the user waits).</summary>
    Parked,
}

/// <summary>The outcome of applying one user event, with why when it was not applied.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Reason">For <see cref="ApplyOutcome.Rejected"/> the dead-letter reason (<c>Code: message</c>); for <see cref="ApplyOutcome.ItemNotReady"/> what is missing.</param>
public readonly record struct ApplyResult(ApplyOutcome Outcome, string? Reason = null);

/// <summary>
/// The user-state math of one event, free of storage, clocks and messaging: a click adds its item's vector (weight
/// <see cref="ProfileOptions.ClickWeight"/>), a review its item's vector blended with its text's, weighted by rating
/// (<see cref="InteractionWeights"/>), a forget request clears the state. Replays, duplicates, future timestamps and
/// parking are decided around it by the profile engine.
/// </summary>
public static class ProfileUpdate
{
    /// <summary>Applies <paramref name="e"/> (from <paramref name="topic"/>) to <paramref name="profile"/> and bumps its
    /// version; <see cref="ApplyOutcome.ItemNotReady"/> when the click or review has no <paramref name="itemVector"/>
    /// (nothing changes), <see cref="ApplyOutcome.Rejected"/> for an event that is not a user event.</summary>
    public static ApplyResult Apply(UserProfile profile, IStreamRecEvent e, string topic, float[]? itemVector, float[]? textVector, ProfileOptions options)
    {
        switch (e)
        {
            case UserForget:
                profile.Forget();
                break;

            case Click click:
                if (itemVector is null)
                {
                    return new ApplyResult(ApplyOutcome.ItemNotReady, $"item '{click.ItemId}' is not indexed yet");
                }

                profile.AddContribution(itemVector, options.ClickWeight, click.OccurredAt, options);
                profile.RememberItem(click.ItemId, options.SeenHistory);
                profile.MarkEngagement(click.ItemId, positive: true, options.SeenHistory);
                profile.Clicks++;
                profile.Forgotten = false;
                break;

            case Review review:
                if (itemVector is null)
                {
                    return new ApplyResult(ApplyOutcome.ItemNotReady, $"item '{review.ItemId}' is not indexed yet");
                }

                var direction = InteractionWeights.ReviewVector(itemVector, textVector ?? [], options);
                var weight = InteractionWeights.Review(review.Rating, options);
                profile.AddContribution(direction, weight, review.OccurredAt, options);
                profile.RememberItem(review.ItemId, options.SeenHistory);
                profile.MarkEngagement(review.ItemId, positive: weight > 0, options.SeenHistory);
                profile.Reviews++;
                profile.Forgotten = false;
                break;

            default:
                return new ApplyResult(ApplyOutcome.Rejected, $"{DeadLetterCodes.WrongTopic}: schema '{e.Schema}' does not belong on topic {topic}");
        }

        profile.Version++;
        return new ApplyResult(e is UserForget ? ApplyOutcome.Forgotten : ApplyOutcome.Applied);
    }
}
