using System.Collections.Concurrent;
using Confluent.Kafka;
using StreamRec.Contracts;

namespace StreamRec.SystemBench.Pipeline;

/// <summary>
/// Reads streamrec.recommendations on its own thread and matches each list's <c>trigger.event_id</c> to the time the
/// bench produced that event: the event-to-list latency as a downstream app would see it (produce call to list
/// received, so the producer's linger and the reader's fetch are included). The recommender coalesces bursts of one
/// user, so there are fewer lists than events; each list is one latency sample.
/// </summary>
internal sealed class ListReader : IDisposable
{
    private readonly IConsumer<Ignore, byte[]> _consumer;
    private readonly TimeProvider _time;
    private readonly Thread _thread;
    private volatile bool _stop;
    private volatile Phase? _phase;

    public ListReader(string bootstrapServers, TimeProvider time)
    {
        _time = time;
        _consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "streamrec-bench-reader-" + Guid.NewGuid().ToString("N")[..8],
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            // A downstream app that wants fresh lists polls with a short fetch wait; the default 500 ms would dominate p50.
            FetchWaitMaxMs = 5,
        }).Build();
        _consumer.Subscribe(Topics.Recommendations);
        _thread = new Thread(Run) { IsBackground = true, Name = "bench-list-reader" };
        _thread.Start();
    }

    public Phase BeginPhase(ConcurrentDictionary<string, long> produced)
    {
        var phase = new Phase(produced);
        _phase = phase;
        return phase;
    }

    public void EndPhase() => _phase = null;

    private void Run()
    {
        while (!_stop)
        {
            ConsumeResult<Ignore, byte[]>? result;
            try
            {
                result = _consumer.Consume(TimeSpan.FromMilliseconds(100));
            }
            catch (ConsumeException)
            {
                continue;
            }

            if (result?.Message?.Value is not { } value)
            {
                continue;
            }

            var received = _time.GetTimestamp();
            if (_phase is { } phase && EventParser.Parse(value).Event is RecommendationList list
                && phase.Produced.TryGetValue(list.Trigger.EventId, out var producedAt))
            {
                phase.Record(_time.GetElapsedTime(producedAt, received).TotalMilliseconds, received);
            }
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join(TimeSpan.FromSeconds(5));
        _consumer.Close();
        _consumer.Dispose();
    }

    /// <summary>The samples of one phase.</summary>
    internal sealed class Phase(ConcurrentDictionary<string, long> produced)
    {
        private readonly Lock _gate = new();
        private readonly List<double> _latencies = [];
        private long? _lastMatched;

        public ConcurrentDictionary<string, long> Produced { get; } = produced;

        public int Matched
        {
            get
            {
                lock (_gate)
                {
                    return _latencies.Count;
                }
            }
        }

        /// <summary>Timestamp of the last list traced back to the phase: the end of its measured time.</summary>
        public long? LastMatched
        {
            get
            {
                lock (_gate)
                {
                    return _lastMatched;
                }
            }
        }

        public void Record(double latencyMs, long at)
        {
            lock (_gate)
            {
                _latencies.Add(latencyMs);
                _lastMatched = at;
            }
        }

        public double[] LatenciesMs()
        {
            lock (_gate)
            {
                return [.. _latencies];
            }
        }
    }
}
