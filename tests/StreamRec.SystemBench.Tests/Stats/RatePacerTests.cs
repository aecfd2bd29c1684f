using Microsoft.Extensions.Time.Testing;
using StreamRec.SystemBench.Stats;

namespace StreamRec.SystemBench.Tests.Stats;

public class RatePacerTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(0.0009, 1)]
    [InlineData(0.001, 2)]
    [InlineData(0.9999, 1000)]
    [InlineData(1.0, 1001)]
    public void DueBy_ThousandPerSecond_FirstEventAtOnceThenOneEveryMillisecond(double seconds, long expected)
    {
        var pacer = new RatePacer(1000, total: 10_000);

        Assert.Equal(expected, pacer.DueBy(TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void DueBy_NeverExceedsTotalNorGoesNegative()
    {
        var pacer = new RatePacer(100, total: 5);

        Assert.Equal(5, pacer.DueBy(TimeSpan.FromHours(1)));
        Assert.Equal(0, pacer.DueBy(TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public void WaitAfter_BehindSchedule_IsZero_SoTheBacklogIsSentAtOnce()
    {
        var pacer = new RatePacer(1000, total: 100);

        // 10 sent but 50 ms passed: 40 are overdue, nothing to wait for.
        Assert.Equal(TimeSpan.Zero, pacer.WaitAfter(10, TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public void WaitAfter_AheadOfSchedule_WaitsUntilTheNextEventIsDue()
    {
        var pacer = new RatePacer(100, total: 100);

        // Event #3 is due at 30 ms.
        Assert.Equal(TimeSpan.FromMilliseconds(25), pacer.WaitAfter(3, TimeSpan.FromMilliseconds(5)));
        Assert.Equal(TimeSpan.MaxValue, pacer.WaitAfter(100, TimeSpan.Zero));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Constructor_RateNotPositiveAndFinite_Throws(double rate) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RatePacer(rate, 10));

    [Fact]
    public async Task RunAsync_FakeClock_SendsEachEventWhenItIsDue_AndABacklogAtOnce()
    {
        var time = new TimerCountingTimeProvider();
        var pacer = new RatePacer(10, total: 5);
        var sent = new List<(long Index, TimeSpan At)>();
        var start = time.GetTimestamp();
        var run = pacer.RunAsync(time, i =>
        {
            lock (sent)
            {
                sent.Add((i, time.GetElapsedTime(start)));
            }
        }, TestContext.Current.CancellationToken);

        // Advance only once the pacer sleeps (its delay timer exists), so every wake-up sees the intended clock.
        time.WaitForTimers(1);
        time.Advance(TimeSpan.FromMilliseconds(100));
        time.WaitForTimers(2);
        // A stall: 250 ms pass at once, so events 2 and 3 (due at 200 and 300 ms) go out together at 350 ms.
        time.Advance(TimeSpan.FromMilliseconds(250));
        time.WaitForTimers(3);
        time.Advance(TimeSpan.FromSeconds(1));
        await run.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal([0L, 1, 2, 3, 4], sent.Select(s => s.Index));
        Assert.Equal(
            [TimeSpan.Zero, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(350), TimeSpan.FromMilliseconds(350), TimeSpan.FromMilliseconds(1350)],
            sent.Select(s => s.At));
    }

    private sealed class TimerCountingTimeProvider : FakeTimeProvider
    {
        private int _timers;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _timers);
            return base.CreateTimer(callback, state, dueTime, period);
        }

        public void WaitForTimers(int count)
        {
            // The pacer resumes on another thread after the fake clock fires: wait for its next sleep, not for time.
            var reached = SpinWait.SpinUntil(() => Volatile.Read(ref _timers) >= count, TimeSpan.FromSeconds(30));
            Assert.True(reached, $"the pacer never slept for the {count}. time");
        }
    }
}
