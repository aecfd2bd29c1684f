namespace StreamRec.Kafka.Consuming;

/// <summary>
/// Offsets of one partition in flight. Messages can finish out of order (a dead-lettered one, a
/// too-large one, a retried one), but the committed offset says "everything before this is done",
/// so it may only advance over an unbroken run of finished messages. Offsets need not be numerically
/// contiguous (compaction and transaction markers leave gaps): "unbroken" is in the order the
/// messages were received. Thread-safe.
/// </summary>
internal sealed class OffsetTracker
{
    private readonly Lock _gate = new();
    private readonly Queue<long> _received = new();
    private readonly HashSet<long> _finished = [];
    private long _lastContiguous = -1;

    /// <summary>The offset to store/commit: last contiguous finished offset + 1; null while nothing finished.</summary>
    public long? NextOffsetToCommit
    {
        get
        {
            lock (_gate)
            {
                return _lastContiguous < 0 ? null : _lastContiguous + 1;
            }
        }
    }

    /// <summary>Messages received and not yet covered by <see cref="NextOffsetToCommit"/>.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _received.Count;
            }
        }
    }

    /// <summary>Records a message as received; call in consumption order.</summary>
    public void Received(long offset)
    {
        lock (_gate)
        {
            _received.Enqueue(offset);
        }
    }

    /// <summary>Marks a message finished. Returns true when <see cref="NextOffsetToCommit"/> moved.</summary>
    public bool Finished(long offset)
    {
        lock (_gate)
        {
            if (offset <= _lastContiguous)
            {
                return false;
            }

            _finished.Add(offset);
            var advanced = false;
            while (_received.Count > 0 && _finished.Remove(_received.Peek()))
            {
                _lastContiguous = _received.Dequeue();
                advanced = true;
            }

            return advanced;
        }
    }
}
