using StreamRec.SystemBench.Pipeline;
using StreamRec.Contracts;

namespace StreamRec.SystemBench.Tests.Pipeline;

public class StreamCursorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static IStreamRecEvent[] Events(int n) =>
        [.. Enumerable.Range(0, n).Select(i => i % 2 == 0
            ? (IStreamRecEvent)new Click { EventId = $"c{i}", OccurredAt = T0, UserId = "u", ItemId = "i" }
            : new Review { EventId = $"r{i}", OccurredAt = T0, UserId = "u", ItemId = "i" })];

    [Fact]
    public void Take_ConsecutiveCalls_HandOutConsecutiveSlices()
    {
        var cursor = new StreamCursor(Events(10));

        Assert.Equal(["c0", "r1", "c2"], cursor.Take(3).Select(e => e.EventId));
        Assert.Equal(["r3", "c4"], cursor.Take(2).Select(e => e.EventId));
    }

    [Fact]
    public void Take_PastTheEnd_WrapsAround()
    {
        var cursor = new StreamCursor(Events(4));
        cursor.Take(3);

        Assert.Equal(["r3", "c0", "r1"], cursor.Take(3).Select(e => e.EventId));
    }

    [Fact]
    public void Take_WithPredicate_SkipsOthersAndStopsWhenNoneMatch()
    {
        var cursor = new StreamCursor(Events(6));

        Assert.Equal(["c0", "c2", "c4", "c0"], cursor.Take(4, e => e is Click).Select(e => e.EventId));
        Assert.Empty(new StreamCursor(Events(6)).Take(3, _ => false));
    }
}
