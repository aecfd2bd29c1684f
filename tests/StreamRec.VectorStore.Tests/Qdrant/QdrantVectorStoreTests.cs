using System.Text.Json.Nodes;
using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Qdrant.Client.Grpc;
using Distance = StreamRec.Ports.Distance;
using StreamRec.Ports;
using StreamRec.TestSupport;
using StreamRec.VectorStore.Qdrant;
using StreamRec.VectorStore.Qdrant.Internal;
using StreamRec.VectorStore.Tests.Contract;

namespace StreamRec.VectorStore.Tests.Qdrant;

/// <summary>The adapter over real gRPC against the fake Qdrant: status mapping, retries of scripted faults, slow
/// answers, write statuses, the API key, payload conversion and the collection layout.</summary>
public sealed class QdrantVectorStoreTests(FakeQdrantFixture fixture) : IClassFixture<FakeQdrantFixture>, IDisposable
{
    private readonly List<QdrantVectorStore> _stores = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FakeQdrantGrpcServer Server => fixture.Server;

    [Fact]
    public async Task InvalidArgument_BecomesNonTransientExceptionWithQdrantsMessage_AndIsNotRetried()
    {
        var (store, collection) = await NewCollectionAsync();
        Server.Fail("Points/Upsert", StatusCode.InvalidArgument, "Wrong input: Vector dimension error: expected dim: 4, got 3");
        var before = Server.CountCalls("Points/Upsert", collection);

        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => store.UpsertAsync(collection, [Point("a")], Ct));

        Assert.Equal(400, ex.StatusCode);
        Assert.False(ex.IsTransient);
        Assert.Contains("Vector dimension error: expected dim: 4, got 3", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before + 1, Server.CountCalls("Points/Upsert", collection));
    }

    [Fact]
    public async Task MissingCollection_Is404VectorStoreException()
    {
        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => Store().CountAsync("nope-" + Guid.NewGuid().ToString("N"), Ct));

        Assert.Equal(404, ex.StatusCode);
        Assert.False(ex.IsTransient);
        Assert.Contains("doesn't exist", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.DeadlineExceeded)]
    [InlineData(StatusCode.ResourceExhausted)]
    [InlineData(StatusCode.Aborted)]
    public async Task RetryableStatus_FromTheServer_IsRetriedAndSucceeds(StatusCode code)
    {
        var (store, collection) = await NewCollectionAsync();
        Server.Fail("Points/Count", code);

        Assert.Equal(0, await store.CountAsync(collection, Ct));
        Assert.Equal(2, Server.CountCalls("Points/Count", collection));
    }

    [Fact]
    public async Task PermissionDenied_IsNotRetried_AndTheMessageNamesTheOptionNotTheKey()
    {
        var key = "secret-" + Guid.NewGuid().ToString("N");
        var store = Store(new QdrantOptions { Url = Server.BaseAddress.ToString(), ApiKey = key, AllowApiKeyOverHttp = true });
        var collection = await NewCollectionAsync(store);
        Server.Fail("Points/Count", StatusCode.PermissionDenied, "Access denied");

        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync(collection, Ct));

        Assert.Equal(403, ex.StatusCode);
        Assert.Equal(1, Server.CountCalls("Points/Count", collection));
        Assert.Contains("ApiKey", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(key, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongApiKey_IsRefusedWithUnauthenticated_WithoutRetry()
    {
        await using var server = await FakeQdrantGrpcServer.StartAsync();
        server.RequiredApiKey = "the-right-key";
        var store = Store(new QdrantOptions { Url = server.BaseAddress.ToString(), ApiKey = "a-wrong-key", AllowApiKeyOverHttp = true });

        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("c", Ct));

        Assert.Equal(401, ex.StatusCode);
        Assert.Single(server.Calls);
        Assert.DoesNotContain("a-wrong-key", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SlowAnswer_AttemptTimesOut_AndTheRetrySucceeds()
    {
        var store = Store(new QdrantOptions { Url = Server.BaseAddress.ToString(), AttemptTimeout = TimeSpan.FromMilliseconds(200), RetryBaseDelay = TimeSpan.FromMilliseconds(5) });
        var collection = await NewCollectionAsync(store);
        Server.Slow("Points/Count", TimeSpan.FromSeconds(30));

        Assert.Equal(0, await store.CountAsync(collection, Ct));
        Assert.Equal(2, Server.CountCalls("Points/Count", collection));
    }

    [Fact]
    public async Task Upsert_StatusOtherThanCompleted_IsTransientFailure()
    {
        await using var server = await FakeQdrantGrpcServer.StartAsync();
        var store = Store(new QdrantOptions { Url = server.BaseAddress.ToString() });
        var collection = await NewCollectionAsync(store);
        server.UpdateStatus = UpdateStatus.Acknowledged;

        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => store.UpsertAsync(collection, [Point("a")], Ct));

        Assert.Contains("Acknowledged", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.IsTransient);
    }

    [Fact]
    public async Task ApiKey_IsSentAsMetadata()
    {
        var key = "secret-" + Guid.NewGuid().ToString("N");
        var store = Store(new QdrantOptions { Url = Server.BaseAddress.ToString(), ApiKey = key, AllowApiKeyOverHttp = true });
        var name = "missing-" + Guid.NewGuid().ToString("N");

        await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync(name, Ct));

        Assert.Equal(key, Assert.Single(Server.Calls, c => c.Collection == name).ApiKey);
    }

    [Fact]
    public async Task NoApiKey_NoMetadataSent()
    {
        var name = "nokey-" + Guid.NewGuid().ToString("N");
        await Assert.ThrowsAsync<VectorStoreException>(() => Store().CountAsync(name, Ct));
        Assert.Equal("", Assert.Single(Server.Calls, c => c.Collection == name).ApiKey);
    }

    [Fact]
    public void ApiKeyOverPlainHttp_IsRefusedAtConstruction()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Store(new QdrantOptions { Url = "http://qdrant.example:6334", ApiKey = "k" }));
        Assert.Contains("AllowApiKeyOverHttp", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("k\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ApiKeyOverPlainHttp_IsRefusedByOptionsValidation()
    {
        using var provider = Provider(new()
        {
            ["StreamRec:VectorStore:Qdrant:Url"] = "http://qdrant.example:6334",
            ["StreamRec:VectorStore:Qdrant:ApiKey"] = "do-not-leak",
        });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<QdrantOptions>>().Value);

        Assert.Contains("refusing to send the API key over plain http", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("do-not-leak", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CaCertificate_WithPlainHttpOrMissingFile_IsRefusedByOptionsValidation()
    {
        using var overHttp = Provider(new() { ["StreamRec:VectorStore:Qdrant:Url"] = "http://qdrant:6334", ["StreamRec:VectorStore:Qdrant:CaCertificatePath"] = "/etc/hosts" });
        Assert.Contains("not https", Assert.Throws<OptionsValidationException>(() => overHttp.GetRequiredService<IOptions<QdrantOptions>>().Value).Message, StringComparison.Ordinal);

        using var missing = Provider(new() { ["StreamRec:VectorStore:Qdrant:Url"] = "https://qdrant:6334", ["StreamRec:VectorStore:Qdrant:CaCertificatePath"] = "/no/such/ca.pem" });
        Assert.Contains("does not exist", Assert.Throws<OptionsValidationException>(() => missing.GetRequiredService<IOptions<QdrantOptions>>().Value).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ApiKeyOverHttps_IsAccepted_AndDiResolvesInstrumentedStore()
    {
        using var provider = Provider(new()
        {
            ["StreamRec:VectorStore:Qdrant:Url"] = "https://qdrant.example:6334",
            ["StreamRec:VectorStore:Qdrant:ApiKey"] = "k",
        });

        var store = Assert.IsType<InstrumentedVectorStore>(provider.GetRequiredService<IVectorStore>());
        Assert.IsType<QdrantVectorStore>(store.Inner);
    }

    [Fact]
    public async Task NaNVector_IsRejectedBeforeAnyCall()
    {
        var (store, collection) = await NewCollectionAsync();
        var before = Server.CountCalls("Points/Upsert", collection);

        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => store.UpsertAsync(collection, [new VectorPoint("a", new Dictionary<string, float[]> { ["text"] = [1, float.NaN, 0, 0] }, null)], Ct));

        Assert.False(ex.IsTransient);
        Assert.Equal(before, Server.CountCalls("Points/Upsert", collection));
    }

    [Fact]
    public async Task ReservedIdPayloadKey_IsRejected()
    {
        var (store, collection) = await NewCollectionAsync();
        await Assert.ThrowsAsync<VectorStoreException>(() => store.UpsertAsync(collection, [Point("a", new JsonObject { ["_sr_id"] = "spoof" })], Ct));
    }

    [Fact]
    public async Task EnsureCollection_Twice_CreatesOnce_AndCreatesPayloadIndexesIdempotently()
    {
        var store = Store();
        var name = "idx-" + Guid.NewGuid().ToString("N");
        var spec = new CollectionSpec(name, new Dictionary<string, int> { ["text"] = 4 }, Distance.Cosine, new Dictionary<string, PayloadFieldType> { ["genre"] = PayloadFieldType.Keyword, ["year"] = PayloadFieldType.Integer });

        await store.EnsureCollectionAsync(spec, Ct);
        await Store().EnsureCollectionAsync(spec, Ct);

        Assert.Equal(1, Server.CountCalls("Collections/Create", name));
        Assert.Equal(4, Server.CountCalls("Points/CreateFieldIndex", name));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EnsureCollection_OnDiskSpec_CreatesVectorsAndPayloadOnDisk(bool onDisk)
    {
        var name = "disk-" + Guid.NewGuid().ToString("N");
        var spec = new CollectionSpec(name, new Dictionary<string, int> { ["short"] = 4, ["long"] = 4 }, Distance.Dot, OnDisk: onDisk);

        await Store().EnsureCollectionAsync(spec, Ct);

        var (payload, vectors) = Server.MemoryOf(name);
        Memory? expected = onDisk ? Memory.Cold : null;
        Assert.Equal(expected, payload);
        Assert.Equal(new Dictionary<string, Memory?> { ["long"] = expected, ["short"] = expected }, vectors);
    }

    [Fact]
    public async Task EnsureCollection_CreateRefused_AndCollectionStillMissing_Throws()
    {
        var name = "refused-" + Guid.NewGuid().ToString("N");
        Server.Fail("Collections/Create", StatusCode.InvalidArgument, "Wrong input: bad collection name");

        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => Store().EnsureCollectionAsync(new CollectionSpec(name, new Dictionary<string, int> { ["text"] = 4 }), Ct));

        Assert.Contains("bad collection name", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Payload_NestedObjectsArraysNullsAndNumberKinds_RoundTrip()
    {
        var (store, collection) = await NewCollectionAsync();
        var payload = JsonNode.Parse("""
            {"s":"x","i":7,"big":9007199254740993,"neg":-3,"d":2.5,"tiny":1e-7,"b":false,"n":null,
             "o":{"a":[1,"two",{"three":3.5}],"empty":{}},"e":[],"u":"ünï \"q\""}
            """)!.AsObject();

        await store.UpsertAsync(collection, [Point("a", payload)], Ct);

        var got = Assert.Single(await store.GetAsync(collection, ["a"], withVectors: false, withPayload: true, Ct)).Payload!;
        Assert.True(JsonNode.DeepEquals(payload, got), got.ToJsonString());
        Assert.Equal(9007199254740993L, got["big"]!.GetValue<long>());
        Assert.Equal(7, got["i"]!.GetValue<int>());
    }

    [Fact]
    public void Payload_IntegralNumbersBecomeIntegers_OthersDoubles()
    {
        Assert.Equal(Value.KindOneofCase.IntegerValue, PayloadConverter.ToValue(JsonValue.Create(7)).KindCase);
        Assert.Equal(Value.KindOneofCase.IntegerValue, PayloadConverter.ToValue(JsonNode.Parse("-42")).KindCase);
        Assert.Equal(Value.KindOneofCase.DoubleValue, PayloadConverter.ToValue(JsonValue.Create(2.5)).KindCase);
        Assert.Equal(Value.KindOneofCase.DoubleValue, PayloadConverter.ToValue(JsonNode.Parse("7.0")).KindCase);
        Assert.Equal(Value.KindOneofCase.DoubleValue, PayloadConverter.ToValue(JsonNode.Parse("1e3")).KindCase);
        Assert.Equal(Value.KindOneofCase.NullValue, PayloadConverter.ToValue(null).KindCase);
    }

    [Fact]
    public async Task CoEngagementLayout_SecondNamedVectorAndWeightedNeighbourList_RoundTripAndFilter()
    {
        // The layout the item side of engagement needs: the text vector, a learned vector beside it, and the
        // item's co-engagement row (neighbour ids with weights) in its payload.
        var store = Store();
        var spec = new CollectionSpec("items-" + Guid.NewGuid().ToString("N"), new Dictionary<string, int> { ["text"] = 4, ["learned"] = 3 }, Distance.Cosine,
            new Dictionary<string, PayloadFieldType> { ["co_ids"] = PayloadFieldType.Keyword });
        await store.EnsureCollectionAsync(spec, Ct);
        var row = JsonNode.Parse("""{"co":[{"id":"i2","w":0.75},{"id":"i3","w":0.25}],"co_ids":["i2","i3"],"co_version":12}""")!.AsObject();
        await store.UpsertAsync(spec.Name,
        [
            new VectorPoint("i1", new Dictionary<string, float[]> { ["text"] = [1, 0, 0, 0], ["learned"] = [0, 0, 1] }, row),
            new VectorPoint("i2", new Dictionary<string, float[]> { ["text"] = [0, 1, 0, 0], ["learned"] = [1, 0, 0] }, null),
        ], Ct);

        var byLearned = await store.QueryAsync(spec.Name, new VectorQuery([0, 0, 1], "learned", 1), Ct);
        Assert.Equal("i1", Assert.Single(byLearned).Id);
        Assert.True(JsonNode.DeepEquals(row, byLearned[0].Payload));

        var neighboursOfI2 = await store.QueryAsync(spec.Name, new VectorQuery([1, 0, 0, 0], "text", 10, new VectorFilter { Must = [MatchCondition.Of("co_ids", "i2")] }), Ct);
        Assert.Equal("i1", Assert.Single(neighboursOfI2).Id);
    }

    [Fact]
    public async Task QueryBatch_IsOneCall()
    {
        var (store, collection) = await NewCollectionAsync();
        await store.UpsertAsync(collection, [Point("a")], Ct);

        var results = await store.QueryBatchAsync(collection, [new VectorQuery([1, 0, 0, 0], "text", 1), new VectorQuery([0, 1, 0, 0], "text", 1)], Ct);

        Assert.Equal(2, results.Count);
        Assert.Equal(1, Server.CountCalls("Points/QueryBatch", collection));
        Assert.Equal(0, Server.CountCalls("Points/Query", collection));
    }

    [Fact]
    public void PointIds_AreRfc4122Version5_AndUnchangedFromTheRestAdapter()
    {
        // The RFC 4122 / Python uuid5(NAMESPACE_DNS, "python.org") reference value.
        var dns = new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
        Assert.Equal(new Guid("886313e1-3b8a-5372-9b90-0c9aee199e5d"), PointIds.NameBasedUuid(dns, "python.org"));
        Assert.Equal(PointIds.ToPointId("item-1"), PointIds.ToPointId("item-1"));
        Assert.NotEqual(PointIds.ToPointId("item-1"), PointIds.ToPointId("item-2"));
        Assert.Equal('5', PointIds.ToPointId("item-1")[14]);
        Assert.Equal(PointIds.ToPointId("item-1"), QdrantVectorStore.ToPointId("item-1").Uuid);
    }

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings) =>
        new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .AddQdrantVectorStore()
            .BuildServiceProvider();

    private QdrantVectorStore Store(QdrantOptions? options = null)
    {
        var store = new QdrantVectorStore(Options.Create(options ?? new QdrantOptions { Url = Server.BaseAddress.ToString(), RetryBaseDelay = TimeSpan.FromMilliseconds(5) }), TimeProvider.System);
        _stores.Add(store);
        return store;
    }

    private async Task<(QdrantVectorStore Store, string Collection)> NewCollectionAsync()
    {
        var store = Store();
        return (store, await NewCollectionAsync(store));
    }

    private static async Task<string> NewCollectionAsync(QdrantVectorStore store)
    {
        var name = "q-" + Guid.NewGuid().ToString("N");
        await store.EnsureCollectionAsync(new CollectionSpec(name, new Dictionary<string, int> { ["text"] = 4 }), Ct);
        return name;
    }

    private static VectorPoint Point(string id, JsonObject? payload = null) =>
        new(id, new Dictionary<string, float[]> { ["text"] = [1, 0, 0, 0] }, payload);
}
