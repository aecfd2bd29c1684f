using StreamRec.Domain;
using StreamRec.Pipeline.Engines;

namespace StreamRec.Pipeline.Tests.Engines;

public sealed class LruCacheTests
{
    private static LruCache<string, int> Weighed(int capacity, long maxWeight) => new(capacity, StringComparer.Ordinal, static v => v, maxWeight);

    [Fact]
    public void Set_OverTheWeight_EvictsTheLeastRecentlyUsedUntilItFits()
    {
        var cache = Weighed(capacity: 100, maxWeight: 10);
        cache.Set("a", 4);
        cache.Set("b", 4);
        Assert.True(cache.TryGet("a", out _)); // a is now the most recently used

        cache.Set("c", 5); // 13 > 10: b goes, a stays

        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("a", out _));
        Assert.True(cache.TryGet("c", out _));
        Assert.Equal(9, cache.Weight);
    }

    [Fact]
    public void Set_SameKeyAgain_WeighsTheValueAgain()
    {
        var cache = Weighed(capacity: 100, maxWeight: 10);
        cache.Set("a", 2);
        cache.Set("b", 2);

        cache.Set("a", 9); // a row that grew in place is set again: 11 > 10, b (least recent) goes

        Assert.Equal(9, cache.Weight);
        Assert.Equal(1, cache.Count);
        Assert.True(cache.TryGet("a", out var a));
        Assert.Equal(9, a);
    }

    [Fact]
    public void Set_OneEntryHeavierThanTheMaximum_IsStillKept()
    {
        var cache = Weighed(capacity: 100, maxWeight: 10);
        cache.Set("a", 1);

        cache.Set("big", 50);

        Assert.Equal(1, cache.Count);
        Assert.True(cache.TryGet("big", out _));
    }

    [Fact]
    public void RemoveAndClear_GiveTheirWeightBack()
    {
        var cache = Weighed(capacity: 100, maxWeight: 100);
        cache.Set("a", 3);
        cache.Set("b", 4);

        cache.Remove("a");
        Assert.Equal(4, cache.Weight);

        cache.Clear();
        Assert.Equal(0, cache.Weight);
    }

    [Fact]
    public void Set_WithoutAWeigher_IsBoundedByCountAlone()
    {
        var cache = new LruCache<string, int>(2, StringComparer.Ordinal);
        cache.Set("a", 1_000_000);
        cache.Set("b", 1_000_000);
        cache.Set("c", 1_000_000);

        Assert.Equal(2, cache.Count);
        Assert.False(cache.TryGet("a", out _));
        Assert.Equal(0, cache.Weight);
    }

    [Fact]
    public void RowEstimate_IsWithinAQuarterOfWhatBuildingTheRowAllocates()
    {
        // A row as read from the store: its own id strings (11 characters), 750 neighbours, 6 source watermarks.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var row = new CoEngagementRow { Count = 40 };
        row.Neighbours.EnsureCapacity(750);
        row.Watermarks.EnsureCapacity(6);
        for (var i = 0; i < 750; i++)
        {
            row.Neighbours[$"item-{i:D6}"] = i;
        }

        for (var p = 0; p < 6; p++)
        {
            row.Watermarks[$"streamrec.user-events:{p}"] = p;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.InRange(row.EstimatedBytes, 0.75 * allocated, 1.25 * allocated);
    }
}
