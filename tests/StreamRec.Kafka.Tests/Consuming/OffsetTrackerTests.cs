using StreamRec.Kafka.Consuming;

namespace StreamRec.Kafka.Tests.Consuming;

public sealed class OffsetTrackerTests
{
    [Fact]
    public void NothingFinished_NoOffsetToCommit()
    {
        var tracker = new OffsetTracker();
        tracker.Received(10);
        tracker.Received(11);
        Assert.Null(tracker.NextOffsetToCommit);
        Assert.Equal(2, tracker.Pending);
    }

    [Fact]
    public void OutOfOrderCompletion_AdvancesOnlyOverAnUnbrokenRun()
    {
        var tracker = new OffsetTracker();
        foreach (var offset in new long[] { 5, 6, 7, 8 })
        {
            tracker.Received(offset);
        }

        Assert.False(tracker.Finished(7));
        Assert.False(tracker.Finished(6));
        Assert.Null(tracker.NextOffsetToCommit);

        Assert.True(tracker.Finished(5));
        Assert.Equal(8, tracker.NextOffsetToCommit);

        Assert.True(tracker.Finished(8));
        Assert.Equal(9, tracker.NextOffsetToCommit);
        Assert.Equal(0, tracker.Pending);
    }

    [Fact]
    public void GapsInOffsets_CountAsContiguous_WhenNothingInBetweenWasReceived()
    {
        // Compaction and transaction markers leave holes: "unbroken" is in receive order, not arithmetic.
        var tracker = new OffsetTracker();
        tracker.Received(3);
        tracker.Received(9);
        tracker.Received(20);
        tracker.Finished(3);
        tracker.Finished(9);
        Assert.Equal(10, tracker.NextOffsetToCommit);
    }

    [Fact]
    public void FinishingTwice_OrFinishingAnOldOffset_DoesNotMoveBackwards()
    {
        var tracker = new OffsetTracker();
        tracker.Received(1);
        tracker.Received(2);
        tracker.Finished(1);
        tracker.Finished(2);
        Assert.False(tracker.Finished(1));
        Assert.Equal(3, tracker.NextOffsetToCommit);
    }

    [Fact]
    public void ConcurrentCompletion_EndsAtTheLastOffset()
    {
        var tracker = new OffsetTracker();
        for (long i = 0; i < 10_000; i++)
        {
            tracker.Received(i);
        }

        Parallel.For(0, 10_000, i => tracker.Finished(9_999 - i));
        Assert.Equal(10_000, tracker.NextOffsetToCommit);
        Assert.Equal(0, tracker.Pending);
    }

    [Fact]
    public void PositionRewoundAfterCommit_AlreadyCoveredOffsetsAreNotWaitedFor()
    {
        // An offset reset to earliest (the log was truncated behind the consumer) delivers 1-3 again.
        var tracker = new OffsetTracker();
        foreach (var offset in new long[] { 1, 2, 3, 1, 2, 3, 4 })
        {
            tracker.Received(offset);
        }

        foreach (var offset in new long[] { 1, 2, 3 })
        {
            tracker.Finished(offset);
        }

        Assert.Equal(4, tracker.NextOffsetToCommit);
        Assert.True(tracker.Finished(4));
        Assert.Equal(5, tracker.NextOffsetToCommit);
        Assert.Equal(0, tracker.Pending);
    }

    [Fact]
    public void PositionRewoundWhileTheFirstDeliveryIsInFlight_CommitsOnceEitherCopyFinished()
    {
        var tracker = new OffsetTracker();
        foreach (var offset in new long[] { 10, 11, 10, 11, 12 })
        {
            tracker.Received(offset);
        }

        tracker.Finished(10);
        tracker.Finished(11);
        Assert.Equal(12, tracker.NextOffsetToCommit);
        // The second copies finish later: nothing moves back, and 12 still gates the next commit.
        Assert.False(tracker.Finished(10));
        Assert.False(tracker.Finished(11));
        Assert.Equal(12, tracker.NextOffsetToCommit);
        Assert.Equal(1, tracker.Pending);
        Assert.True(tracker.Finished(12));
        Assert.Equal(13, tracker.NextOffsetToCommit);
    }
}
