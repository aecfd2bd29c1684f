using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.Options;
using Qdrant.Client;
using Qdrant.Client.Grpc;
using StreamRec.Ports;
using StreamRec.TestSupport;
using StreamRec.VectorStore.Embedded;
using StreamRec.VectorStore.Qdrant;
using StreamRec.VectorStore.Qdrant.Internal;
using Distance = StreamRec.Ports.Distance;
using PortsScoredPoint = StreamRec.Ports.ScoredPoint;

namespace StreamRec.MicroBenchmarks;

/// <summary>
/// What one upsert batch and one query cost through each vector store: the embedded store in process, and the
/// Qdrant adapter over gRPC (loopback, HTTP/2) against the in-process fake Qdrant. The adapter's own overhead
/// (validation, JSON payload to protobuf Values and back, id mapping, the Polly pipeline) is the difference to the
/// bare Qdrant.Client sending prebuilt messages to the same server. The fake runs in this process, so its work and
/// allocations are in every gRPC row alike and cancel out in that difference.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class VectorStoreBenchmarks
{
    private const int Dimension = 384;
    private const int Points = 200;
    private const int BatchSize = 32;
    private const string Collection = "items";

    private readonly Random _random = new(42);
    private EmbeddedVectorStore _embedded = null!;
    private FakeQdrantGrpcServer _server = null!;
    private QdrantVectorStore _adapter = null!;
    private QdrantGrpcClient _rawGrpc = null!;
    private QdrantClient _raw = null!;
    private Grpc.Net.Client.GrpcChannel _rawChannel = null!;
    private VectorPoint[] _batch = [];
    private PointStruct[] _rawBatch = [];
    private VectorQuery _query = null!;
    private Filter _rawFilter = null!;
    private Layout _layout = null!;
    private List<Qdrant.Client.Grpc.ScoredPoint> _answer = [];

    [GlobalSetup(Targets = [nameof(EmbeddedUpsert), nameof(AdapterUpsert), nameof(RawUpsert), nameof(EmbeddedQuery), nameof(AdapterQuery), nameof(RawQuery)])]
    public async Task SetupAsync()
    {
        var spec = new CollectionSpec(Collection, new Dictionary<string, int> { ["text"] = Dimension }, Distance.Cosine,
            new Dictionary<string, PayloadFieldType> { ["retired"] = PayloadFieldType.Bool, ["tags"] = PayloadFieldType.Keyword });
        var corpus = Enumerable.Range(0, Points).Select(i => Point($"item-{i}")).ToArray();
        _batch = [.. corpus.Take(BatchSize)];

        _embedded = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = ":memory:" });
        await _embedded.EnsureCollectionAsync(spec, CancellationToken.None);
        await _embedded.UpsertAsync(Collection, corpus, CancellationToken.None);

        _server = await FakeQdrantGrpcServer.StartAsync();
        _adapter = new QdrantVectorStore(Options.Create(new QdrantOptions { Url = _server.BaseAddress.ToString() }), TimeProvider.System);
        await _adapter.EnsureCollectionAsync(spec, CancellationToken.None);
        await _adapter.UpsertAsync(Collection, corpus, CancellationToken.None);

        _rawChannel = Grpc.Net.Client.GrpcChannel.ForAddress(_server.BaseAddress);
        _rawGrpc = new QdrantGrpcClient(_rawChannel);
        _raw = new QdrantClient(_rawGrpc);
        _rawBatch = [.. _batch.Select(p => RawPoint(p, Guid.NewGuid()))];
        _query = new VectorQuery(
            Vectors.RandomUnit(_random, Dimension),
            "text",
            10,
            new VectorFilter { ExcludeIds = [.. Enumerable.Range(0, 20).Select(i => $"item-{i * 3}")], Must = [MatchCondition.Of("retired", false)] });

        // The same filter as Qdrant messages, built once: the baseline pays for none of the adapter's mapping.
        _rawFilter = new Filter();
        _rawFilter.Must.Add(new Condition { Field = new Qdrant.Client.Grpc.FieldCondition { Key = "retired", Match = new Match { Boolean = false } } });
        var excluded = new HasIdCondition();
        excluded.HasId.AddRange(_query.Filter!.ExcludeIds.Select(QdrantVectorStore.ToPointId));
        _rawFilter.MustNot.Add(new Condition { HasId = excluded });
    }

    [GlobalSetup(Targets = [nameof(MapUpsertBatch), nameof(MapQueryAndAnswer)])]
    public void SetupMapping()
    {
        _batch = [.. Enumerable.Range(0, BatchSize).Select(i => Point($"item-{i}"))];
        var vectors = new VectorParamsMap();
        vectors.Map.Add("text", new VectorParams { Size = Dimension, Distance = Qdrant.Client.Grpc.Distance.Cosine });
        _layout = Layout.Parse(Collection, new CollectionInfo { Config = new CollectionConfig { Params = new CollectionParams { VectorsConfig = new VectorsConfig { ParamsMap = vectors } } } });
        _query = new VectorQuery(
            Vectors.RandomUnit(_random, Dimension),
            "text",
            10,
            new VectorFilter { ExcludeIds = [.. Enumerable.Range(0, 20).Select(i => $"item-{i * 3}")], Must = [MatchCondition.Of("retired", false)] });

        // Ten hits as Qdrant sends them: UUID id, score, the payload with the caller's id.
        _answer = [.. _batch.Take(10).Select((p, i) =>
        {
            var wire = QdrantVectorStore.ToPointStruct(_layout, p);
            var hit = new Qdrant.Client.Grpc.ScoredPoint { Id = wire.Id, Score = 1f - (i * 0.01f) };
            hit.Payload.Add(wire.Payload);
            return hit;
        })];
    }

    [BenchmarkCategory("adapter mapping only (no I/O)"), Benchmark(Description = "32 points -> Qdrant PointStructs")]
    public int MapUpsertBatch()
    {
        var size = 0;
        foreach (var point in _batch)
        {
            size += QdrantVectorStore.ToPointStruct(_layout, point).Payload.Count;
        }

        return size;
    }

    [BenchmarkCategory("adapter mapping only (no I/O)"), Benchmark(Description = "query -> QueryPoints, 10 hits -> ScoredPoints")]
    public int MapQueryAndAnswer() =>
        QdrantVectorStore.ToQueryPoints(_layout, Collection, _query).Limit > 0
            ? QdrantVectorStore.ToScored(_answer, _query).Count
            : 0;

    [GlobalCleanup(Targets = [nameof(EmbeddedUpsert), nameof(AdapterUpsert), nameof(RawUpsert), nameof(EmbeddedQuery), nameof(AdapterQuery), nameof(RawQuery)])]
    public async Task CleanupAsync()
    {
        _raw.Dispose();
        _rawGrpc.Dispose();
        _rawChannel.Dispose();
        _adapter.Dispose();
        await _server.DisposeAsync();
        _embedded.Dispose();
    }

    [BenchmarkCategory("upsert 32 points"), Benchmark(Description = "embedded store")]
    public Task EmbeddedUpsert() => _embedded.UpsertAsync(Collection, _batch, CancellationToken.None);

    [BenchmarkCategory("upsert 32 points"), Benchmark(Description = "Qdrant adapter -> fake Qdrant (gRPC)")]
    public Task AdapterUpsert() => _adapter.UpsertAsync(Collection, _batch, CancellationToken.None);

    [BenchmarkCategory("upsert 32 points"), Benchmark(Baseline = true, Description = "bare Qdrant.Client, prebuilt points -> fake Qdrant")]
    public Task<UpdateResult> RawUpsert() => _raw.UpsertAsync(Collection, _rawBatch, wait: true);

    [BenchmarkCategory("query top 10 of 200, filtered"), Benchmark(Description = "embedded store")]
    public Task<IReadOnlyList<PortsScoredPoint>> EmbeddedQuery() => _embedded.QueryAsync(Collection, _query, CancellationToken.None);

    [BenchmarkCategory("query top 10 of 200, filtered"), Benchmark(Description = "Qdrant adapter -> fake Qdrant (gRPC)")]
    public Task<IReadOnlyList<PortsScoredPoint>> AdapterQuery() => _adapter.QueryAsync(Collection, _query, CancellationToken.None);

    [BenchmarkCategory("query top 10 of 200, filtered"), Benchmark(Baseline = true, Description = "bare Qdrant.Client, prebuilt query -> fake Qdrant")]
    public Task<IReadOnlyList<Qdrant.Client.Grpc.ScoredPoint>> RawQuery() =>
        _raw.QueryAsync(Collection, _query.Vector, usingVector: "text", filter: _rawFilter, limit: 10, payloadSelector: true);

    private VectorPoint Point(string id) => new(
        id,
        new Dictionary<string, float[]> { ["text"] = Vectors.RandomUnit(_random, Dimension) },
        new JsonObject
        {
            ["item_id"] = id,
            ["title"] = $"Title of {id}",
            ["tags"] = new JsonArray("drama", "1990s"),
            ["published_at"] = 1_700_000_000.5,
            ["retired"] = false,
            ["version"] = 3,
        });

    private static PointStruct RawPoint(VectorPoint point, Guid id)
    {
        var raw = new PointStruct { Id = id, Vectors = new Dictionary<string, float[]> { ["text"] = point.Vectors["text"] } };
        raw.Payload["item_id"] = point.Id;
        raw.Payload["title"] = $"Title of {point.Id}";
        raw.Payload["tags"] = new[] { "drama", "1990s" };
        raw.Payload["published_at"] = 1_700_000_000.5;
        raw.Payload["retired"] = false;
        raw.Payload["version"] = 3;
        return raw;
    }
}
