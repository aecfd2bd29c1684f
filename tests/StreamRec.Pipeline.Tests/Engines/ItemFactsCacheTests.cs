using StreamRec.Pipeline.Engines;

namespace StreamRec.Pipeline.Tests.Engines;

public sealed class ItemFactsCacheTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Entries_AreUsedForTheirAge_NotBeforeTheyWereRead_AndARewriteRenewsThem()
    {
        var cache = new ItemFactsCache(TimeSpan.FromSeconds(30));
        cache.Set(new Dictionary<string, ItemFacts> { ["a"] = new(T0, "A") }, T0);

        Assert.True(cache.TryGet("a", T0.AddSeconds(29.9), out var facts));
        Assert.Equal("A", facts!.Title);
        Assert.False(cache.TryGet("a", T0.AddSeconds(30), out _));
        Assert.False(cache.TryGet("a", T0.AddSeconds(-1), out _)); // a clock that went back: read again
        Assert.False(cache.TryGet("b", T0, out _));

        cache.Set(new Dictionary<string, ItemFacts> { ["a"] = new(T0, "A2") }, T0.AddSeconds(40));
        Assert.True(cache.TryGet("a", T0.AddSeconds(60), out facts));
        Assert.Equal("A2", facts!.Title);
    }

    [Fact]
    public void AWritePastTheCapacity_EmptiesTheCacheFirst()
    {
        var cache = new ItemFactsCache(TimeSpan.FromMinutes(1));
        var full = Enumerable.Range(0, ItemFactsCache.Capacity).ToDictionary(i => "i" + i, _ => new ItemFacts(null, null));
        cache.Set(full, T0);
        cache.Set(new Dictionary<string, ItemFacts> { ["i0"] = new(null, "again") }, T0); // a rewrite adds nothing

        Assert.True(cache.TryGet("i1", T0, out _));

        cache.Set(new Dictionary<string, ItemFacts> { ["new"] = new(null, "n") }, T0);

        Assert.True(cache.TryGet("new", T0, out _));
        Assert.False(cache.TryGet("i1", T0, out _));
    }
}
