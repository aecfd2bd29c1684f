namespace StreamRec.Hosting;

/// <summary>Which services a process hosts. A service's Program.cs adds its one role; the all-in-one host runs all four.</summary>
[Flags]
public enum Roles
{
    None = 0,
    ItemIndexer = 1,
    ProfileUpdater = 2,
    Recommender = 4,

    /// <summary>The item side: keeps each item's co-engagement row from streamrec.engagements.</summary>
    CoEngagementUpdater = 8,
    All = ItemIndexer | ProfileUpdater | Recommender | CoEngagementUpdater,
}
