using StreamRec.Domain;

namespace StreamRec.Core.Tests.Domain;

public sealed class UserProfileTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly ProfileOptions Options = new();

    [Fact]
    public void AddContribution_TwoClicksADayApart_DecaysTheOlderOneByEachHalfLife()
    {
        var profile = new UserProfile("u", 2);

        profile.AddContribution([1, 0], 1, T0, Options);
        profile.AddContribution([0, 1], 1, T0.AddDays(1), Options);

        // short-term half-life 1 day: the first click is worth 0.5; long-term 90 days: 2^(-1/90).
        Assert.Equal(0.5, profile.ShortTerm[0], 1e-6);
        Assert.Equal(1.0, profile.ShortTerm[1], 1e-6);
        Assert.Equal(Math.Pow(2, -1.0 / 90), profile.LongTerm[0], 1e-6);
        Assert.Equal(1.0, profile.LongTerm[1], 1e-6);
        Assert.Equal(T0.AddDays(1), profile.ReferenceTime);
    }

    [Fact]
    public void AddContribution_LateEvent_IsDecayedToTheReference_WhichDoesNotMoveBack()
    {
        var profile = new UserProfile("u", 2);

        profile.AddContribution([0, 1], 1, T0.AddDays(2), Options);
        profile.AddContribution([1, 0], 2, T0, Options);

        Assert.Equal(T0.AddDays(2), profile.ReferenceTime);
        Assert.Equal(2 * 0.25, profile.ShortTerm[0], 1e-6);
        Assert.Equal(1.0, profile.ShortTerm[1], 1e-6);
        Assert.Equal(2 * Math.Pow(2, -2.0 / 90), profile.LongTerm[0], 1e-6);
    }

    [Fact]
    public void AddContribution_InAnyOrder_GivesTheSameSums()
    {
        var events = new (float[] Vector, double Weight, DateTimeOffset At)[]
        {
            ([0.2f, -0.5f, 0.9f, 0.1f], 1.0, T0),
            ([0.7f, 0.1f, -0.3f, 0.6f], 0.5, T0.AddHours(7)),
            ([-0.4f, 0.8f, 0.2f, 0.3f], -1.0, T0.AddDays(3)),
            ([0.1f, 0.1f, 0.1f, 0.9f], 1.0, T0.AddDays(3)),
            ([0.9f, -0.2f, 0.0f, -0.1f], 0.75, T0.AddMinutes(-90)),
            ([0.3f, 0.3f, -0.6f, 0.2f], 1.0, T0.AddDays(40)),
        };

        var inOrder = Apply(events.OrderBy(e => e.At));
        var expected = ClosedForm(events);
        foreach (var order in new[] { events, events.Reverse().ToArray(), [events[3], events[0], events[5], events[1], events[4], events[2]] })
        {
            var profile = Apply(order);

            Assert.Equal(inOrder.ReferenceTime, profile.ReferenceTime);
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal(inOrder.ShortTerm[i], profile.ShortTerm[i], 1e-5);
                Assert.Equal(inOrder.LongTerm[i], profile.LongTerm[i], 1e-5);
                Assert.Equal(expected.Short[i], profile.ShortTerm[i], 1e-5);
                Assert.Equal(expected.Long[i], profile.LongTerm[i], 1e-5);
            }
        }
    }

    [Fact]
    public void NotPositiveAmong_GivesOnlyTheHistoryAndItemNotEngagedWithPositively()
    {
        var profile = new UserProfile("u", 2);
        profile.MarkEngagement("old", positive: false, cap: 10);
        profile.MarkEngagement("a", positive: false, cap: 10);
        profile.MarkEngagement("b", positive: true, cap: 10);
        profile.MarkEngagement("d", positive: false, cap: 10);

        var notPositive = profile.NotPositiveAmong(["a", "b", "c"], "d");

        Assert.Equal(["a", "d"], notPositive!.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void NotPositiveAmong_EverythingPositive_IsNull()
    {
        var profile = new UserProfile("u", 2);
        profile.MarkEngagement("elsewhere", positive: false, cap: 10);

        Assert.Null(profile.NotPositiveAmong(["a", "b"], "c"));
        Assert.Null(new UserProfile("v", 2).NotPositiveAmong(["a"], "b"));
    }

    [Fact]
    public void AddContribution_WrongDimension_Throws() =>
        Assert.Throws<ArgumentException>(() => new UserProfile("u", 3).AddContribution([1, 0], 1, T0, Options));

    [Fact]
    public void SetVectors_OfDifferentDimensions_Throws() =>
        Assert.Throws<ArgumentException>(() => new UserProfile("u", 2).SetVectors([1, 0], [1, 0, 0]));

    [Fact]
    public void HasSignal_NeedsACountedEventAndANonZeroSum()
    {
        var profile = new UserProfile("u", 2);
        Assert.False(profile.HasSignal);

        profile.AddContribution([1, 0], 0, T0, Options);
        profile.Reviews++;
        Assert.False(profile.HasSignal);

        profile.AddContribution([1, 0], 1, T0, Options);
        Assert.True(profile.HasSignal);
    }

    [Fact]
    public void RememberItem_KeepsTheNewestUpToTheCap_OldestFirst()
    {
        var profile = new UserProfile("u", 2);

        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            profile.RememberItem(id, cap: 3);
        }

        Assert.Equal(["b", "c", "d"], profile.RecentItems);
    }

    [Fact]
    public void RememberItem_SeenAgain_MovesToTheNewestEnd_WithoutDuplicates()
    {
        var profile = new UserProfile("u", 2);
        foreach (var id in new[] { "a", "b", "c" })
        {
            profile.RememberItem(id, cap: 3);
        }

        profile.RememberItem("a", cap: 3);
        profile.RememberItem("d", cap: 3);

        Assert.Equal(["c", "a", "d"], profile.RecentItems);
    }

    [Fact]
    public void RememberItem_LoweredCap_TrimsTheOldest_AndZeroCapKeepsNothingNew()
    {
        var profile = new UserProfile("u", 2);
        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            profile.RememberItem(id, cap: 10);
        }

        profile.RememberItem("e", cap: 2);
        profile.RememberItem("f", cap: 0);

        Assert.Equal(["d", "e"], profile.RecentItems);
    }

    [Fact]
    public void MarkApplied_IsMonotonicPerTopicPartition()
    {
        var profile = new UserProfile("u", 2);

        profile.MarkApplied("streamrec.user-events", 0, 10);
        profile.MarkApplied("streamrec.user-events", 0, 7);
        profile.MarkApplied("streamrec.user-events", 1, 3);

        Assert.Equal(10, profile.AppliedOffsets["streamrec.user-events:0"]);
        Assert.Equal(3, profile.AppliedOffsets["streamrec.user-events:1"]);
        Assert.True(profile.HasApplied("streamrec.user-events", 0, 10));
        Assert.True(profile.HasApplied("streamrec.user-events", 0, 0));
        Assert.False(profile.HasApplied("streamrec.user-events", 0, 11));
        Assert.False(profile.HasApplied("streamrec.user-events", 2, 0));
        Assert.False(profile.HasApplied("another-topic", 0, 0));
    }

    [Fact]
    public void HasApplied_OnAFreshProfile_IsFalse()
    {
        Assert.False(new UserProfile("u", 2).HasApplied("streamrec.user-events", 0, 0));
        Assert.Equal("streamrec.user-events:12", UserProfile.OffsetKey("streamrec.user-events", 12));
    }

    [Fact]
    public void QueryVector_AlphaOne_IsTheNormalizedShortTerm_AlphaZeroTheLongTerm()
    {
        var profile = new UserProfile("u", 3);
        profile.SetVectors([3, 0, 4], [0, 2, 0]);

        Assert.Equal([0.6f, 0f, 0.8f], profile.QueryVector(1.0)!);
        Assert.Equal([0f, 1f, 0f], profile.QueryVector(0.0)!);
    }

    [Fact]
    public void QueryVector_Blends_TheNormalizedSums_NotTheRawOnes()
    {
        var profile = new UserProfile("u", 2);
        profile.SetVectors([10, 0], [0, 0.1f]);

        var q = profile.QueryVector(0.6)!;

        // normalize(0.6·(1,0) + 0.4·(0,1)), whatever the sums' magnitudes.
        var norm = Math.Sqrt(0.36 + 0.16);
        Assert.Equal(0.6 / norm, q[0], 5);
        Assert.Equal(0.4 / norm, q[1], 5);
    }

    [Fact]
    public void QueryVector_WithoutDirection_IsNull()
    {
        Assert.Null(new UserProfile("u", 2).QueryVector(0.6));

        var onlyLong = new UserProfile("u", 2);
        onlyLong.SetVectors([0, 0], [1, 1]);
        Assert.Null(onlyLong.QueryVector(1.0));
    }

    [Fact]
    public void Forget_ErasesWhatWasLearned_ButKeepsTheAppliedOffsets()
    {
        var profile = new UserProfile("u", 2);
        profile.AddContribution([1, 0], 1, T0, Options);
        profile.Clicks = 1;
        profile.RememberItem("a", cap: 10);
        profile.MarkApplied("streamrec.user-events", 0, 41);

        profile.Forget();

        Assert.True(profile.Forgotten);
        Assert.False(profile.HasSignal);
        Assert.Equal([0f, 0f], profile.ShortTerm);
        Assert.Equal([0f, 0f], profile.LongTerm);
        Assert.Empty(profile.RecentItems);
        Assert.Equal((0L, 0L), (profile.Clicks, profile.Reviews));
        Assert.Equal(DateTimeOffset.MinValue, profile.ReferenceTime);
        Assert.Null(profile.QueryVector(0.6));
        Assert.True(profile.HasApplied("streamrec.user-events", 0, 41));
    }

    [Fact]
    public void AddContribution_AfterForget_StartsFromNothing()
    {
        var profile = new UserProfile("u", 2);
        profile.AddContribution([1, 0], 1, T0, Options);
        profile.Forget();

        profile.AddContribution([0, 1], 1, T0.AddDays(-5), Options);

        Assert.Equal([0f, 1f], profile.ShortTerm);
        Assert.Equal(T0.AddDays(-5), profile.ReferenceTime);
    }

    private static UserProfile Apply(IEnumerable<(float[] Vector, double Weight, DateTimeOffset At)> events)
    {
        var profile = new UserProfile("u", 4);
        foreach (var (vector, weight, at) in events)
        {
            profile.AddContribution(vector, weight, at, Options);
        }

        return profile;
    }

    /// <summary>s(T) = Σ wᵢ·xᵢ·2^(-(T - tᵢ)/h) with T the newest event time: the documented closed form.</summary>
    private static (double[] Short, double[] Long) ClosedForm((float[] Vector, double Weight, DateTimeOffset At)[] events)
    {
        var t = events.Max(e => e.At);
        var s = new double[4];
        var l = new double[4];
        foreach (var (vector, weight, at) in events)
        {
            var ds = Math.Pow(2, -(t - at) / Options.ShortTermHalfLife);
            var dl = Math.Pow(2, -(t - at) / Options.LongTermHalfLife);
            for (var i = 0; i < 4; i++)
            {
                s[i] += weight * vector[i] * ds;
                l[i] += weight * vector[i] * dl;
            }
        }

        return (s, l);
    }
}
