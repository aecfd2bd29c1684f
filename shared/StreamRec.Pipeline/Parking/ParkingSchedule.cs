namespace StreamRec.Pipeline.Parking;

/// <summary>
/// Which keys (users, or items for an item-keyed stage) hold parked work, when their next retry is due, and how many
/// entries wait in each source partition. The durable truth is in each key's own state; this is the in-memory index a
/// sweep reads to find due keys without scanning, and the lag view reads to count what waits. Thread-safe: the consumer's
/// poll thread reads the counts while its worker updates them.
/// </summary>
public sealed class ParkingSchedule
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _perPartition = new(StringComparer.Ordinal);

    /// <summary>Keys with parked work.</summary>
    public int KeyCount
    {
        get
        {
            lock (_gate)
            {
                return _keys.Count;
            }
        }
    }

    /// <summary>Records that <paramref name="key"/> holds <paramref name="countsByPartition"/> parked entries ("topic:partition" → count),
    /// next due at <paramref name="nextDue"/>; no entries removes the key.</summary>
    public void Set(string key, DateTimeOffset nextDue, IReadOnlyDictionary<string, int> countsByPartition)
    {
        lock (_gate)
        {
            RemoveLocked(key);
            if (countsByPartition.Count == 0 || countsByPartition.Values.Sum() == 0)
            {
                return;
            }

            var counts = countsByPartition.Where(kv => kv.Value > 0).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            _keys[key] = new Entry(nextDue, counts);
            foreach (var (partition, count) in counts)
            {
                _perPartition[partition] = _perPartition.GetValueOrDefault(partition) + count;
            }
        }
    }

    /// <summary>Forgets <paramref name="key"/> (nothing parked any more).</summary>
    public void Remove(string key)
    {
        lock (_gate)
        {
            RemoveLocked(key);
        }
    }

    /// <summary>Up to <paramref name="max"/> keys due at <paramref name="now"/> whose partitions all satisfy <paramref name="owned"/>, most overdue first.</summary>
    public IReadOnlyList<string> Due(DateTimeOffset now, Func<string, bool> owned, int max)
    {
        lock (_gate)
        {
            return [.. _keys.Where(kv => kv.Value.NextDue <= now && kv.Value.Counts.Keys.All(owned))
                .OrderBy(kv => kv.Value.NextDue)
                .Take(max)
                .Select(kv => kv.Key)];
        }
    }

    /// <summary>Drops every key with entries in one of <paramref name="partitions"/> ("topic:partition"): another
    /// instance owns them now and will find them in the store.</summary>
    public void ForgetPartitions(IReadOnlyCollection<string> partitions)
    {
        lock (_gate)
        {
            foreach (var key in _keys.Where(kv => kv.Value.Counts.Keys.Any(partitions.Contains)).Select(kv => kv.Key).ToArray())
            {
                RemoveLocked(key);
            }
        }
    }

    /// <summary>Entries waiting from partition "topic:partition".</summary>
    public int CountIn(string partition)
    {
        lock (_gate)
        {
            return _perPartition.GetValueOrDefault(partition);
        }
    }

    /// <summary>Entries waiting, per "topic:partition".</summary>
    public IReadOnlyDictionary<string, int> CountsByPartition()
    {
        lock (_gate)
        {
            return new Dictionary<string, int>(_perPartition, StringComparer.Ordinal);
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _keys.Clear();
            _perPartition.Clear();
        }
    }

    private void RemoveLocked(string key)
    {
        if (!_keys.Remove(key, out var old))
        {
            return;
        }

        foreach (var (partition, count) in old.Counts)
        {
            var left = _perPartition.GetValueOrDefault(partition) - count;
            if (left > 0)
            {
                _perPartition[partition] = left;
            }
            else
            {
                _perPartition.Remove(partition);
            }
        }
    }

    private sealed record Entry(DateTimeOffset NextDue, Dictionary<string, int> Counts);
}
