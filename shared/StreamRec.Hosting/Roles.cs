namespace StreamRec.Hosting;

/// <summary>Which services a process hosts. The all-in-one host runs all three.</summary>
[Flags]
public enum Roles
{
    None = 0,
    ItemIndexer = 1,
    ProfileUpdater = 2,
    Recommender = 4,
    All = ItemIndexer | ProfileUpdater | Recommender,
}
