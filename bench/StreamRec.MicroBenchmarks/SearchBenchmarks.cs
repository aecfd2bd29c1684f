using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using StreamRec.Ports;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.MicroBenchmarks;

/// <summary>
/// The embedded store's search over a catalogue the size of the steady bench's (10,000 items, 384 dims), the way the
/// recommender asks: top 200, not retired, the user's 50 recent items excluded. Items cluster around 50 topics (as text
/// embeddings do) and carry the item indexer's payload (id, title, three tags, published at, retired, version, updated
/// at). <see cref="Projected"/> false measures the scan and its filter; true also returns each hit's vector and the two
/// payload fields the recommender reads (title, published at), as it asks.
/// </summary>
[MemoryDiagnoser]
public class SearchBenchmarks
{
    private const int Dimension = 384;
    private const int Items = 10_000;
    private const string Collection = "items";

    private EmbeddedVectorStore _store = null!;
    private VectorQuery[] _batch = [];

    [Params(false, true)]
    public bool Projected { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var random = new Random(42);
        var topics = Enumerable.Range(0, 50).Select(_ => Vectors.RandomUnit(random, Dimension)).ToArray();
        float[] Near(float[] centre)
        {
            var noise = Vectors.RandomUnit(random, Dimension);
            return [.. centre.Select((c, i) => c + (0.8f * noise[i]))];
        }

        _store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
        var spec = new CollectionSpec(Collection, new Dictionary<string, int> { ["text"] = Dimension }, Distance.Cosine,
            new Dictionary<string, PayloadFieldType> { ["retired"] = PayloadFieldType.Bool, ["published_at"] = PayloadFieldType.Float, ["tags"] = PayloadFieldType.Keyword });
        await _store.EnsureCollectionAsync(spec, CancellationToken.None);
        var points = Enumerable.Range(0, Items).Select(i => new VectorPoint(
            $"item-{i}",
            new Dictionary<string, float[]> { ["text"] = Near(topics[random.Next(topics.Length)]) },
            new JsonObject
            {
                ["item_id"] = $"item-{i}",
                ["title"] = $"Title of item {i}",
                ["tags"] = new JsonArray($"tag-{random.Next(300)}", $"tag-{random.Next(300)}", $"tag-{random.Next(300)}"),
                ["published_at"] = 1_700_000_000.5 + i,
                ["retired"] = random.Next(50) == 0,
                ["version"] = 1,
                ["updated_at"] = 1_700_000_000_000L + i,
            })).ToList();
        await _store.UpsertAsync(Collection, points, CancellationToken.None);

        _batch = [.. Enumerable.Range(0, 32).Select(_ => new VectorQuery(
            Near(topics[random.Next(topics.Length)]),
            "text",
            200,
            new VectorFilter { ExcludeIds = [.. Enumerable.Range(0, 50).Select(_ => $"item-{random.Next(Items)}")], MustNot = [MatchCondition.Of("retired", true)] },
            WithVectors: Projected,
            WithPayload: Projected,
            PayloadFields: Projected ? ["title", "published_at"] : null))]; // what RecommendationEngine asks for
    }

    [GlobalCleanup]
    public void Cleanup() => _store.Dispose();

    [Benchmark(Description = "32 queries, top 200 of 10,000, not retired, 50 excluded")]
    public Task<IReadOnlyList<IReadOnlyList<ScoredPoint>>> Batch() => _store.QueryBatchAsync(Collection, _batch, CancellationToken.None);

    [Benchmark(Description = "1 query, top 200 of 10,000, not retired, 50 excluded")]
    public Task<IReadOnlyList<ScoredPoint>> Single() => _store.QueryAsync(Collection, _batch[0], CancellationToken.None);
}
