namespace StreamRec.Kafka.Consuming;

/// <summary>
/// Offsets of one partition in flight. Messages can finish out of order (a dead-lettered one, a
/// too-large one, a retried one), but the committed offset says "everything before this is done",
/// so it may only advance over an unbroken run of finished messages. Offsets need not be numerically
/// contiguous (compaction and transaction markers leave gaps): "unbroken" is in the order the
/// messages were received. A partition whose position moves back (an offset reset to earliest after
/// the log was truncated, a re-fetch) delivers offsets again that are already covered: those are not
/// waited for, or the partition would never commit again. Thread-safe.
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
            if (offset > _lastContiguous)
            {
                _received.Enqueue(offset);
            }
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
            while (_received.Count > 0)
            {
                var head = _received.Peek();
                if (head <= _lastContiguous)
                {
                    // Received again after a rewind while the first delivery was still in flight: covered now.
                    _received.Dequeue();
                    continue;
                }

                if (!_finished.Remove(head))
                {
                    break;
                }

                _lastContiguous = _received.Dequeue();
                advanced = true;
            }

            if (_received.Count == 0)
            {
                _finished.Clear();
            }

            return advanced;
        }
    }
}
