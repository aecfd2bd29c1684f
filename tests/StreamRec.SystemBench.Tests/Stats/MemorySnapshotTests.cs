using StreamRec.SystemBench.Stats;

namespace StreamRec.SystemBench.Tests.Stats;

public class MemorySnapshotTests
{
    [Fact]
    public void PerUnit_DividesBothDeltasByTheUnits()
    {
        var result = MemorySnapshot.PerUnit(new MemorySnapshot(1_000, 10_000), new MemorySnapshot(5_000, 30_000), 4);

        Assert.NotNull(result);
        Assert.Equal(4, result.Units);
        Assert.Equal(1_000, result.HeapBytesPerUnit);
        Assert.Equal(5_000, result.WorkingSetBytesPerUnit);
    }

    [Fact]
    public void PerUnit_NoUnits_IsNull() =>
        Assert.Null(MemorySnapshot.PerUnit(new MemorySnapshot(1, 1), new MemorySnapshot(2, 2), 0));
}
