using Confluent.Kafka;
using StreamRec.Contracts;

namespace StreamRec.Cli.Commands;

/// <summary>Tails streamrec.recommendations the way a downstream app would, keeping what watch and run show.</summary>
internal sealed class RecommendationsReader : IDisposable
{
    private readonly IConsumer<string, byte[]> _consumer;
    private readonly Lock _gate = new();
    private readonly List<double> _latenciesMs = [];
    private readonly Dictionary<string, RecommendationList> _latest = new(StringComparer.Ordinal);
    private long _lists;

    public RecommendationsReader(string bootstrap, bool fromBeginning, IReadOnlyDictionary<string, string>? client = null)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "streamrec-watch-" + Guid.NewGuid().ToString("N")[..8],
            AutoOffsetReset = fromBeginning ? AutoOffsetReset.Earliest : AutoOffsetReset.Latest,
            EnableAutoCommit = false,
            // Lists should show up as they are published, not after a broker-held empty fetch (500 ms by default).
            FetchWaitMaxMs = 10,
        };
        foreach (var (k, v) in client ?? new Dictionary<string, string>())
        {
            config.Set(k, v);
        }

        _consumer = new ConsumerBuilder<string, byte[]>(config).Build();
        _consumer.Subscribe(Topics.Recommendations);
    }

    public long Lists => Interlocked.Read(ref _lists);

    /// <summary>Reads one message (or none within the timeout); returns the list when it is one.</summary>
    public RecommendationList? Poll(TimeSpan timeout)
    {
        var result = _consumer.Consume(timeout);
        if (result?.Message?.Value is null || EventParser.Parse(result.Message.Value).Event is not RecommendationList list)
        {
            return null;
        }

        Interlocked.Increment(ref _lists);
        lock (_gate)
        {
            _latest[list.UserId] = list;
            if (list.Trigger.ReceivedAt is { } arrived && list.Trigger.EventId != "http-request")
            {
                _latenciesMs.Add((list.GeneratedAt - arrived).TotalMilliseconds);
            }
        }

        return list;
    }

    /// <summary>Event arrival in Kafka → list generated, percentile in ms (NaN before any list).</summary>
    public double LatencyPercentile(double p)
    {
        lock (_gate)
        {
            if (_latenciesMs.Count == 0)
            {
                return double.NaN;
            }

            var sorted = _latenciesMs.ToArray();
            Array.Sort(sorted);
            var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1;
            return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
        }
    }

    public IReadOnlyList<RecommendationList> LatestLists()
    {
        lock (_gate)
        {
            return _latest.Values.ToArray();
        }
    }

    public static void Print(RecommendationList list, TextWriter output)
    {
        var latency = list.Trigger.ReceivedAt is { } arrived ? $" ({(list.GeneratedAt - arrived).TotalMilliseconds:N0} ms after the event arrived)" : "";
        output.WriteLine($"{list.GeneratedAt:HH:mm:ss.fff}  {list.UserId}  {list.Strategy}  after {list.Trigger.EventId}{latency}");
        foreach (var item in list.Items)
        {
            var title = item.Title ?? item.ItemId;
            output.WriteLine($"  {item.Rank,2}. {Truncate(title, 48),-48}  {item.Score,7:F3}  {string.Join(", ", item.Reasons)}");
        }

        if (list.Items.Count == 0)
        {
            output.WriteLine("      (empty list)");
        }
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : string.Concat(s.AsSpan(0, max - 1), "…");

    public void Dispose()
    {
        try
        {
            _consumer.Close();
        }
        catch (KafkaException)
        {
            // Closing a consumer whose broker is already gone: nothing left to commit anyway.
        }

        _consumer.Dispose();
    }
}
