using StreamRec.Domain;

namespace StreamRec.Core.Tests.Domain;

public sealed class TrendingCounterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan HalfLife = TimeSpan.FromHours(6);

    [Fact]
    public void Score_OfAClickOneHalfLifeAgo_IsOneHalf()
    {
        var counter = new TrendingCounter(HalfLife);

        counter.Add("a", T0);

        Assert.Equal(1.0, counter.Score("a", T0), 12);
        Assert.Equal(0.5, counter.Score("a", T0 + HalfLife), 12);
        Assert.Equal(0.25, counter.Score("a", T0 + 2 * HalfLife), 12);
    }

    [Fact]
    public void Score_AddsDecayedClicks()
    {
        var counter = new TrendingCounter(HalfLife);

        counter.Add("a", T0);
        counter.Add("a", T0 + HalfLife);
        counter.Add("a", T0 + HalfLife, weight: 2);

        Assert.Equal(3.5, counter.Score("a", T0 + HalfLife), 12);
        Assert.Equal(1.75, counter.Score("a", T0 + 2 * HalfLife), 12);
    }

    [Fact]
    public void Add_OutOfOrder_GivesTheSameScoreAsInOrder()
    {
        var inOrder = new TrendingCounter(HalfLife);
        var shuffled = new TrendingCounter(HalfLife);
        var times = new[] { T0, T0.AddHours(1), T0.AddHours(5), T0.AddHours(13), T0.AddHours(13.5) };

        foreach (var t in times)
        {
            inOrder.Add("a", t);
        }

        foreach (var i in new[] { 3, 0, 4, 2, 1 })
        {
            shuffled.Add("a", times[i]);
        }

        var now = T0.AddDays(1);
        var expected = times.Sum(t => Math.Pow(2, -(now - t) / HalfLife));
        Assert.Equal(expected, inOrder.Score("a", now), 9);
        Assert.Equal(expected, shuffled.Score("a", now), 9);
        Assert.Equal(times.Max(), shuffled.Latest);
    }

    [Fact]
    public void Score_BeforeTheLastClick_DoesNotGrow_AndUnknownIsZero()
    {
        var counter = new TrendingCounter(HalfLife);
        counter.Add("a", T0);

        Assert.Equal(1.0, counter.Score("a", T0 - HalfLife));
        Assert.Equal(0.0, counter.Score("nope", T0));
    }

    [Fact]
    public void Top_OrdersByDecayedScore_NotByRawCount()
    {
        var counter = new TrendingCounter(HalfLife);
        for (var i = 0; i < 3; i++)
        {
            counter.Add("old-hit", T0); // 3 clicks, 3 half-lives ago at 'now' → 0.375
        }

        counter.Add("new", T0 + 3 * HalfLife); // 1
        counter.Add("mid", T0 + 2 * HalfLife); // 0.5

        var top = counter.Top(10, T0 + 3 * HalfLife);

        Assert.Equal(["new", "mid", "old-hit"], top.Select(t => t.ItemId));
        Assert.Equal([1.0, 0.5, 0.375], top.Select(t => Math.Round(t.Score, 9)));
    }

    [Fact]
    public void Top_TakesTheBestCount_BreaksTiesById_AndSkipsExcluded()
    {
        var counter = new TrendingCounter(HalfLife);
        foreach (var (id, clicks) in new[] { ("d", 2), ("b", 2), ("a", 5), ("c", 2), ("e", 1), ("f", 4) })
        {
            for (var i = 0; i < clicks; i++)
            {
                counter.Add(id, T0);
            }
        }

        Assert.Equal(["a", "f", "b", "c"], counter.Top(4, T0).Select(t => t.ItemId));
        Assert.Equal(["a", "c", "d", "e"], counter.Top(4, T0, new HashSet<string> { "f", "b" }).Select(t => t.ItemId));
        Assert.Equal(6, counter.Top(100, T0).Count);
        Assert.Empty(counter.Top(0, T0));
    }

    [Fact]
    public void Remove_DropsTheItem()
    {
        var counter = new TrendingCounter(HalfLife);
        counter.Add("a", T0);
        counter.Add("b", T0);

        counter.Remove("a");

        Assert.Equal(1, counter.Count);
        Assert.Equal(0.0, counter.Score("a", T0));
        Assert.Equal(["b"], counter.Top(5, T0).Select(t => t.ItemId));
    }

    [Fact]
    public void Latest_IsTheNewestEventTimeSeen()
    {
        var counter = new TrendingCounter(HalfLife);
        Assert.Equal(DateTimeOffset.MinValue, counter.Latest);

        counter.Add("a", T0.AddHours(2));
        counter.Add("b", T0);

        Assert.Equal(T0.AddHours(2), counter.Latest);
    }

    [Fact]
    public void Prior_FewRecentClicks_TheLongPopularItemLeads()
    {
        var counter = new TrendingCounter(HalfLife, TimeSpan.FromDays(90), priorWeight: 100);

        // "classic" was clicked 50 times over the last weeks; "blip" once, just now.
        for (var i = 0; i < 50; i++)
        {
            counter.Add("classic", T0.AddHours(-24 * 20 + i));
        }

        counter.Add("blip", T0);

        Assert.Equal(["classic", "blip"], counter.Top(2, T0).Select(t => t.ItemId));
        Assert.Equal(["blip", "classic"], new TrendingCounter(HalfLife).WithClicks(("classic", T0.AddDays(-20), 50), ("blip", T0, 1)).Top(2, T0).Select(t => t.ItemId));
    }

    [Fact]
    public void Prior_ManyRecentClicks_WhatIsTrendingNowLeads()
    {
        var counter = new TrendingCounter(HalfLife, TimeSpan.FromDays(90), priorWeight: 10);

        counter.WithClicks(("classic", T0.AddDays(-20), 50), ("new-hit", T0.AddMinutes(-30), 40));

        Assert.Equal("new-hit", counter.Top(1, T0)[0].ItemId);
    }

    [Fact]
    public void Prior_ScoreIsTheCountPlusKTimesThePriorShare()
    {
        var counter = new TrendingCounter(HalfLife, TimeSpan.FromDays(90), priorWeight: 100);

        counter.Add("a", T0, weight: 3);
        counter.Add("b", T0, weight: 1);

        // Prior shares 3/4 and 1/4 (same time, so no decay between them).
        Assert.Equal(3 + (100 * 0.75), counter.Score("a", T0), 9);
        Assert.Equal(1 + (100 * 0.25), counter.Score("b", T0), 9);
    }

    [Fact]
    public void Prior_RemovedItem_LeavesTheOthersShares()
    {
        var counter = new TrendingCounter(HalfLife, TimeSpan.FromDays(90), priorWeight: 100);
        counter.Add("a", T0, weight: 1);
        counter.Add("b", T0, weight: 1);

        counter.Remove("b");

        Assert.Equal(1 + 100, counter.Score("a", T0), 9);
        Assert.Equal(0, counter.Score("b", T0));
    }
}

internal static class TrendingCounterTestExtensions
{
    public static TrendingCounter WithClicks(this TrendingCounter counter, params (string Item, DateTimeOffset At, int Clicks)[] clicks)
    {
        foreach (var (item, at, n) in clicks)
        {
            for (var i = 0; i < n; i++)
            {
                counter.Add(item, at);
            }
        }

        return counter;
    }
}
