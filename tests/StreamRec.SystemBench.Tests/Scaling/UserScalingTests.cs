using StreamRec.SystemBench.Scaling;

namespace StreamRec.SystemBench.Tests.Scaling;

/// <summary>Heap measurements: nothing else of this assembly runs beside them.</summary>
[CollectionDefinition(nameof(HeapMeasurements), DisableParallelization = true)]
public sealed class HeapMeasurements;

/// <summary>The full-user measurement stores users as the services do: in a file, on disk unless asked otherwise.</summary>
[Collection(nameof(HeapMeasurements))]
public sealed class UserScalingTests
{
    private static ScalingOptions Options(bool onDisk) => new ScalingOptions { CatalogSizes = [], UserCounts = [2_000], EngagementRows = 0, Dimension = 64, CachedProfiles = 200 }
        .AsFullUsers() with { UsersOnDisk = onDisk };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task FullUsers_InAFile_OnDiskHoldNoPointsInMemory_InMemoryHoldThemAll(bool onDisk)
    {
        var result = await ScalingBench.RunAsync(Options(onDisk), TimeProvider.System, new Progress<string>(), TestContext.Current.CancellationToken);

        var row = Assert.Single(result.Users);
        Assert.Equal(onDisk ? "SQLite file, users on disk" : "SQLite file, users in memory", row.Store);
        Assert.Equal(200, row.RecentItems);
        Assert.NotNull(row.ReopenSeconds);
        Assert.Equal(200, row.CachedProfile!.Units);
        Assert.True(row.CachedProfile.HeapBytesPerUnit > 1_000, $"a decoded full user holds its vectors and lists: {row.CachedProfile.HeapBytesPerUnit} B");

        // A 64-dim full user is about 6 KB of vectors and payload in memory; on disk only its id stays.
        var heap = row.Memory!.HeapBytesPerUnit;
        Assert.True(onDisk ? heap < 1_500 : heap > 3_000, $"{heap} B per stored user, on disk: {onDisk}");
    }
}
