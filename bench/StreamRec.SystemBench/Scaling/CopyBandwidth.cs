using System.Diagnostics;

namespace StreamRec.SystemBench.Scaling;

/// <summary>
/// Memory bandwidth as a large array copy achieves it: the bound of an exact search, which has to read every stored
/// vector once per query. Best of a few copies, so a copy that another process interrupted does not lower it.
/// </summary>
public static class CopyBandwidth
{
    /// <summary>Memory traffic per second of a copy over a buffer far larger than the caches, counted as STREAM's copy
    /// kernel counts it: every byte is read once and written once, so a copy of N bytes moves 2N.</summary>
    public static double BytesPerSecond(int megabytes = 256, int repeats = 5)
    {
        var source = new byte[megabytes * 1024L * 1024];
        var destination = new byte[source.Length];
        // Touch every page first so the timing sees copies, not page faults.
        source.AsSpan().Fill(1);
        destination.AsSpan().Fill(2);
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            var started = Stopwatch.GetTimestamp();
            source.AsSpan().CopyTo(destination);
            best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        return 2.0 * source.Length / best;
    }

    /// <summary>Milliseconds to read <paramref name="bytes"/> once at <paramref name="bytesPerSecond"/>.</summary>
    public static double BoundMs(double bytes, double bytesPerSecond) => bytes / bytesPerSecond * 1000;
}
