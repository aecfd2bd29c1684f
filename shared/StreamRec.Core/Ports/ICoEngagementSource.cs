namespace StreamRec.Ports;

/// <summary>
/// The co-engagement candidate source the recommender blends in: items engaged with close by, in other users'
/// sequences, to a user's recent items. The item side keeps the rows it is computed from; an implementation reads them
/// (from the vector store in the services, from memory in the offline evaluation).
/// </summary>
public interface ICoEngagementSource
{
    /// <summary>Co-engagement scores for a user whose recent items are <paramref name="recentItems"/> (oldest first),
    /// best first, at most <paramref name="limit"/>, none of <paramref name="exclude"/>; <paramref name="notPositive"/>:
    /// the recent items the user did not like (null when none), which query with a lower weight.</summary>
    ValueTask<IReadOnlyList<(string ItemId, double Score)>> ScoreAsync(
        IReadOnlyList<string> recentItems, IReadOnlySet<string> exclude, int limit, IReadOnlySet<string>? notPositive, CancellationToken cancellationToken);
}
