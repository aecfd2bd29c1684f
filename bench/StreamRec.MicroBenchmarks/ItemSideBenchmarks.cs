using BenchmarkDotNet.Attributes;
using StreamRec.Domain;
using StreamRec.Messaging;
using StreamRec.Pipeline.ItemSide;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.MicroBenchmarks;

/// <summary>
/// The item side's hot path for one batch of user events: 512 first engagements, each with a 50-item history (about
/// 26,000 row contributions, as many pairs each way), over 5,000 items drawn with Zipf-like popularity. Write = the
/// profile-updater's <see cref="EngagementMessage.For"/>; Read = the item side parsing those messages (ids pooled);
/// Apply = the parsed contributions added to rows that start empty. The "flat" pair is what the item side's handler
/// does since 2026-12-06: the messages read into one <see cref="EngagementBatch"/>, applied from it. Save = what a batch
/// then writes: 256 full rows (1,000 neighbours each, a row's most before it is pruned), encoded, and upserted into an
/// embedded store with its SQLite file in the temp folder (synchronous NORMAL: the serialisation and SQLite's work, no
/// fsync); Decode = those rows read back from their payloads (the recommender's and the item side's cache misses);
/// Score = the recommender's co-engagement source for one list: 20 recent items with full rows (about 12,000 distinct
/// neighbours between them), every row already in its read cache, so only the scoring is measured.
/// </summary>
[MemoryDiagnoser]
public class ItemSideBenchmarks
{
    private readonly CoEngagementOptions _options = new();
    private readonly DateTimeOffset _now = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);
    private AppliedEngagement[] _engagements = [];
    private OutgoingMessage[] _messages = [];
    private EngagementMessage[] _parsed = [];
    private EngagementBatch _batch = new();
    private Dictionary<string, CoEngagementRow> _fullRows = [];
    private System.Text.Json.Nodes.JsonObject[] _encodedRows = [];
    private CoEngagementStore _store = null!;
    private EmbeddedVectorStore _embedded = null!;
    private DirectoryInfo _folder = null!;
    private string[] _recent = [];
    private HashSet<string> _seen = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        string Item() => "item-" + (int)(5_000 * Math.Pow(random.NextDouble(), 2.5));
        _engagements = Enumerable.Range(0, 512).Select(i =>
        {
            var history = Enumerable.Range(0, 200).Select(_ => Item()).Distinct(StringComparer.Ordinal).Take(50).ToArray();
            var item = "new-" + i;
            return new AppliedEngagement(item, history, "streamrec.events", i % 4, 1_000 + i, Retried: false);
        }).ToArray();
        _messages = [.. Write()];
        _parsed = Read();
        _batch = ReadBatch();
        _fullRows = Enumerable.Range(0, 256).ToDictionary(r => "item-" + r, _ =>
        {
            var row = new CoEngagementRow { Count = random.Next(1, 300) };
            while (row.Neighbours.Count < 2 * _options.NeighbourLimit)
            {
                // Popular items (as in the histories above) and a long tail.
                row.Neighbours[random.Next(2) == 0 ? Item() : "other-" + random.Next(50_000)] = random.NextDouble() * 40;
            }

            for (var p = 0; p < 6; p++)
            {
                row.Watermarks[$"streamrec.user-events:{p}"] = random.Next(1_000_000);
            }

            return row;
        });
        _encodedRows = [.. _fullRows.Select(kv => CoEngagementStore.Encode(kv.Key, kv.Value))];
        _folder = Directory.CreateTempSubdirectory("streamrec-bench-");
        _embedded = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = Path.Combine(_folder.FullName, "rows.db"), SynchronousFull = false });
        _store = new CoEngagementStore(_embedded, _options);
        _store.EnsureCollectionAsync(CancellationToken.None).GetAwaiter().GetResult();
        _store.SaveAsync(_fullRows, CancellationToken.None).GetAwaiter().GetResult();
        _recent = [.. _fullRows.Keys.Take(20)];
        _seen = new HashSet<string>(_recent, StringComparer.Ordinal);
        Score().AsTask().GetAwaiter().GetResult(); // fills the read cache
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _embedded.Dispose();
        _folder.Delete(recursive: true);
    }

    [Benchmark(Description = "item side: encode 256 full rows")]
    public int EncodeRows() => _fullRows.Sum(kv => CoEngagementStore.Encode(kv.Key, kv.Value).Count);

    [Benchmark(Description = "item side: decode 256 full rows (as read back from the store)")]
    public int DecodeRows() => _encodedRows.Sum(payload => CoEngagementStore.Decode(payload).Neighbours.Count);

    [Benchmark(Description = "item side: save 256 full rows (embedded store)")]
    public Task SaveRows() => _store.SaveAsync(_fullRows, CancellationToken.None);

    [Benchmark(Description = "co-engagement source: score one list (20 full rows, cached)")]
    public ValueTask<IReadOnlyList<(string ItemId, double Score)>> Score() => _store.ScoreAsync(_recent, _seen, 200, null, CancellationToken.None);

    [Benchmark(Description = "item side: write a batch's engagement messages (512 events)")]
    public IReadOnlyList<OutgoingMessage> Write() => EngagementMessage.For(_engagements, _options, _now);

    [Benchmark(Description = "item side: read them (ids pooled)")]
    public EngagementMessage[] Read()
    {
        var ids = new Utf8StringPool();
        return [.. _messages.Select(m => EngagementMessage.Parse(m.Value, ids).Message!)];
    }

    [Benchmark(Description = "item side: read them flat (ids pooled)")]
    public int ReadFlat() => ReadBatch().EntryCount;

    private EngagementBatch ReadBatch()
    {
        var ids = new Utf8StringPool();
        var batch = new EngagementBatch();
        foreach (var m in _messages)
        {
            EngagementBinary.ReadInto(m.Value, ids, batch);
        }

        return batch;
    }

    [Benchmark(Description = "item side: apply them flat to empty rows")]
    public int ApplyFlat()
    {
        var rows = new CoEngagementRow[_batch.RowIds.Count];
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r] = new CoEngagementRow();
        }

        foreach (ref readonly var entry in _batch.Entries)
        {
            rows[entry.Row].Apply(entry.Source, entry.Offset, entry.Retried, entry.Count, _batch.PairsOf(entry), _options.NeighbourLimit);
        }

        return rows.Length;
    }

    [Benchmark(Description = "item side: apply them to empty rows")]
    public int Apply()
    {
        var rows = new Dictionary<string, CoEngagementRow>(StringComparer.Ordinal);
        foreach (var row in _parsed.SelectMany(m => m.Rows))
        {
            if (!rows.TryGetValue(row.ItemId, out var state))
            {
                rows[row.ItemId] = state = new CoEngagementRow();
            }

            foreach (var contribution in row.Contributions)
            {
                state.Apply(contribution, _options.NeighbourLimit);
            }
        }

        return rows.Count;
    }
}
