using System.Threading.Channels;
using Confluent.Kafka;
using StreamRec.Messaging;

namespace StreamRec.Kafka.Consuming;

/// <summary>
/// The poll thread's side of the hand-over to the worker: turns consume results into <see cref="Envelope"/>s and writes
/// them into a bounded channel, in consumption order. When the worker is stalled (a long handler, a transient back-off)
/// messages wait in an overflow queue, which <see cref="Overflowing"/> reports so flow control pauses fetching until the
/// worker catches up. Everything except <see cref="Reader"/> and <see cref="Take"/> (the worker's) is poll-thread only.
/// </summary>
internal sealed class MessageFeeder
{
    /// <summary>How long one Consume call waits, and how long a full channel is waited for before pausing.</summary>
    public static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);

    private readonly Channel<Envelope> _channel;
    private readonly Queue<Envelope> _overflow = new();
    private readonly AssignedPartitions _partitions;
    private readonly Func<bool> _stopping;
    private readonly ConsumerContext _context;

    /// <summary>Counts the worker's takes (<see cref="Take"/>; written under <see cref="_takeGate"/>, which the poll thread
    /// waits on when the channel is full).</summary>
    private readonly object _takeGate = new();
    private long _takes;

    private readonly TimeSpan _spaceWait;

    /// <param name="stopping">True once polling is to stop (no more waiting for channel space).</param>
    /// <param name="spaceWait">How long a message waits for room in a full channel before it is parked and fetching
    /// pauses. Default <see cref="PollTimeout"/>.</param>
    public MessageFeeder(AssignedPartitions partitions, Func<bool> stopping, ConsumerContext context, TimeSpan? spaceWait = null)
    {
        _spaceWait = spaceWait ?? PollTimeout;
        _partitions = partitions;
        _stopping = stopping;
        _context = context;
        _channel = Channel.CreateBounded<Envelope>(new BoundedChannelOptions(context.Options.ChannelCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The worker's end of the channel.</summary>
    public ChannelReader<Envelope> Reader => _channel.Reader;

    /// <summary>Messages are waiting outside the channel: fetching should pause.</summary>
    public bool Overflowing => _overflow.Count > 0;

    /// <summary>Hands one consumed message on, unless its partition is no longer ours.</summary>
    public void Accept(ConsumeResult<byte[]?, byte[]> result)
    {
        if (!_partitions.TryGet(result.TopicPartition, out var state))
        {
            return;
        }

        var consumed = ToConsumedMessage(result);
        state.Tracker.Received(result.Offset.Value);
        var envelope = new Envelope(consumed, state, consumed.Value.Length > _context.Options.MaxMessageBytes, _context.Time.GetUtcNow());
        if (_overflow.Count == 0 && (_channel.Writer.TryWrite(envelope) || WaitForSpace(envelope)))
        {
            return;
        }

        // The worker is stalled (a long handler, a transient back-off): keep the message here and
        // pause fetching until it catches up.
        _overflow.Enqueue(envelope);
    }

    /// <summary>Moves overflowed messages into the channel while it has room; drops those of revoked partitions.</summary>
    public void DrainOverflow()
    {
        while (_overflow.Count > 0)
        {
            var next = _overflow.Peek();
            if (next.State.Revoked)
            {
                _overflow.Dequeue();
                continue;
            }

            if (!_channel.Writer.TryWrite(next))
            {
                return;
            }

            _overflow.Dequeue();
        }
    }

    /// <summary>No more messages: the worker finishes what it has (or sees <paramref name="error"/>).</summary>
    public void Complete(Exception? error = null) => _channel.Writer.TryComplete(error);

    private static ConsumedMessage ToConsumedMessage(ConsumeResult<byte[]?, byte[]> result)
    {
        var message = result.Message;
        var headers = message.Headers is { Count: > 0 }
            ? message.Headers.Select(h => KeyValuePair.Create(h.Key, h.GetValueBytes() ?? [])).ToArray()
            : [];
        return new ConsumedMessage(
            result.Topic,
            result.Partition.Value,
            result.Offset.Value,
            message.Key is null ? null : System.Text.Encoding.UTF8.GetString(message.Key),
            message.Value ?? [],
            new DateTimeOffset(message.Timestamp.UtcDateTime, TimeSpan.Zero),
            headers)
        {
            RawKey = message.Key,
        };
    }

    /// <summary>Worker side: moves up to <paramref name="max"/> messages from the channel into <paramref name="batch"/>
    /// and, when it took any, wakes a poll thread waiting for space (once per batch, not per message).</summary>
    public void Take(List<Envelope> batch, int max)
    {
        var before = batch.Count;
        while (batch.Count < max && _channel.Reader.TryRead(out var envelope))
        {
            batch.Add(envelope);
        }

        if (batch.Count > before)
        {
            lock (_takeGate)
            {
                _takes++;
                Monitor.PulseAll(_takeGate);
            }
        }
    }

    /// <summary>A worker that is merely slower than the fetcher frees a slot within milliseconds. Waiting
    /// briefly for it keeps librdkafka's prefetched data; pausing would throw that away and pay a fresh
    /// fetch on resume (measured: 45x lower throughput with a no-op handler). Not calling Consume for
    /// this long is harmless: heartbeats run on librdkafka's own threads.
    /// The wait blocks until the worker takes its next batch (<see cref="Take"/>), without spinning: waiting on the
    /// channel's own signal spun before it blocked and woke the poll thread for every slot the worker freed while it
    /// filled a batch (sampled: about 5 % of all on-CPU time, in <c>run</c> and the steady clicks bench alike).</summary>
    private bool WaitForSpace(Envelope envelope)
    {
        var started = _context.Time.GetTimestamp();
        while (!_stopping())
        {
            var seen = Volatile.Read(ref _takes);
            if (_channel.Writer.TryWrite(envelope))
            {
                return true;
            }

            var left = _spaceWait - _context.Time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                // Still full after a poll interval: the caller parks the message and pauses.
                return false;
            }

            lock (_takeGate)
            {
                if (_takes == seen)
                {
                    Monitor.Wait(_takeGate, left);
                }
            }
        }

        return false;
    }
}
