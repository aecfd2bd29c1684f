using StreamRec.Pipeline.Parking;

namespace StreamRec.Pipeline.Tests.Parking;

public sealed class ParkingPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly ParkingPolicy Policy = new(MaxAttempts: 10, MaxAge: TimeSpan.FromMinutes(5), MinBackoff: TimeSpan.FromSeconds(1), MaxBackoff: TimeSpan.FromSeconds(60), MaxPerKey: 100);

    [Fact]
    public void NextAttemptAt_DoublesFromMinBackoff_AndStopsAtMaxBackoff()
    {
        Assert.Equal(T0.AddSeconds(1), Policy.FirstAttemptAt(T0));
        Assert.Equal(T0.AddSeconds(2), Policy.NextAttemptAt(T0, 1));
        Assert.Equal(T0.AddSeconds(32), Policy.NextAttemptAt(T0, 5));
        Assert.Equal(T0.AddSeconds(60), Policy.NextAttemptAt(T0, 6));
        Assert.Equal(T0.AddSeconds(60), Policy.NextAttemptAt(T0, 1000));
    }

    [Fact]
    public void ExpiryReason_IsNullWithinBothBounds_AndNamesTheBoundThatWasHit()
    {
        Assert.Null(Policy.ExpiryReason(T0, 9, T0.AddMinutes(4)));
        Assert.Equal("after 10 retries", Policy.ExpiryReason(T0, 10, T0.AddMinutes(1)));
        Assert.Equal("after waiting 300 s (limit 300 s)", Policy.ExpiryReason(T0, 0, T0.AddMinutes(5)));
    }

    [Fact]
    public void Schedule_DueKeys_AreOnlyThoseOfOwnedPartitions_AndCountsFollowSetAndRemove()
    {
        var schedule = new ParkingSchedule();
        schedule.Set("a", T0, new Dictionary<string, int> { ["clicks:0"] = 2 });
        schedule.Set("b", T0.AddSeconds(10), new Dictionary<string, int> { ["clicks:0"] = 1 });
        schedule.Set("c", T0, new Dictionary<string, int> { ["clicks:1"] = 1, ["reviews:1"] = 1 });

        Assert.Equal(["a"], schedule.Due(T0, p => p.EndsWith(":0", StringComparison.Ordinal), 10));
        Assert.Equal(["a", "c"], schedule.Due(T0, _ => true, 10));
        Assert.Equal(3, schedule.CountIn("clicks:0"));

        schedule.Set("a", T0, new Dictionary<string, int>());
        schedule.ForgetPartitions(["reviews:1"]);

        Assert.Equal(1, schedule.CountIn("clicks:0"));
        Assert.Equal(0, schedule.CountIn("clicks:1"));
        Assert.Equal(1, schedule.KeyCount);
    }
}
