using System.Diagnostics;

namespace StreamRec.SystemBench.Stats;

/// <summary>Managed heap and working set after a full, compacting GC.</summary>
/// <param name="HeapBytes">GC heap in use.</param>
/// <param name="WorkingSetBytes">Resident memory of the process (includes native buffers: ONNX Runtime, librdkafka, SQLite).</param>
public readonly record struct MemorySnapshot(long HeapBytes, long WorkingSetBytes)
{
    public static MemorySnapshot Take()
    {
        // Twice: finalizers released by the first collection free more in the second.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        return new MemorySnapshot(GC.GetTotalMemory(forceFullCollection: false), process.WorkingSet64);
    }

    /// <summary>Bytes per unit between two snapshots; null when nothing was added.</summary>
    public static PerUnitMemory? PerUnit(MemorySnapshot before, MemorySnapshot after, long units) =>
        units <= 0 ? null : new PerUnitMemory(units, Math.Round((after.HeapBytes - before.HeapBytes) / (double)units, 1), Math.Round((after.WorkingSetBytes - before.WorkingSetBytes) / (double)units, 1));
}

/// <param name="Units">How many users or items the delta is divided by.</param>
/// <param name="HeapBytesPerUnit">GC heap delta per unit.</param>
/// <param name="WorkingSetBytesPerUnit">Working-set delta per unit (noisier: the GC and native allocators keep memory they freed).</param>
public sealed record PerUnitMemory(long Units, double HeapBytesPerUnit, double WorkingSetBytesPerUnit);
