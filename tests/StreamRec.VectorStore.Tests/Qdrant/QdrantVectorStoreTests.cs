using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StreamRec.Ports;
using StreamRec.VectorStore.Qdrant;
using StreamRec.VectorStore.Qdrant.Internal;
using StreamRec.VectorStore.Tests.Contract;
using StreamRec.VectorStore.Tests.Support;

namespace StreamRec.VectorStore.Tests.Qdrant;

/// <summary>The adapter against scripted Qdrant answers: errors, retries, status checks, the API key.</summary>
public sealed class QdrantVectorStoreTests(FakeQdrantFixture fixture) : IClassFixture<FakeQdrantFixture>, IDisposable
{
    private const string QdrantError = """{"status":{"error":"Wrong input: Vector dimension error: expected dim: 4, got 3"},"time":0.0001}""";
    private readonly HttpClient _http = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FakeQdrantServer Server => fixture.Server;

    [Fact]
    public async Task BadRequest_QdrantErrorJson_BecomesNonTransientExceptionWithMessage_AndIsNotRetried()
    {
        var (store, collection) = await NewCollectionAsync();
        var path = $"/collections/{collection}/points";
        Server.Fail(path, 400, QdrantError);
        var before = Server.CountRequests(path);

        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => store.UpsertAsync(collection, [Point("a")], Ct));

        Assert.Equal(400, ex.StatusCode);
        Assert.False(ex.IsTransient);
        Assert.Contains("Vector dimension error: expected dim: 4, got 3", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before + 1, Server.CountRequests(path));
    }

    [Fact]
    public async Task MissingCollection_Is404VectorStoreException()
    {
        var store = Store();

        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("nope-" + Guid.NewGuid().ToString("N"), Ct));

        Assert.Equal(404, ex.StatusCode);
        Assert.False(ex.IsTransient);
        Assert.Contains("doesn't exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServiceUnavailable_ThenOk_IsRetriedAndSucceeds()
    {
        var (store, collection) = await NewCollectionAsync();
        var path = $"/collections/{collection}/points/count";
        Server.Fail(path, 503, """{"status":{"error":"Service Unavailable"},"time":0}""");

        Assert.Equal(0, await store.CountAsync(collection, Ct));
        Assert.Equal(2, Server.CountRequests(path));
    }

    [Fact]
    public async Task PlainTextUnauthorized_BecomesClearException_WithoutRetry()
    {
        var (store, collection) = await NewCollectionAsync();
        var path = $"/collections/{collection}/points/count";
        Server.Fail(path, 401, "Must provide an API key or an Authorization bearer token", "text/plain");

        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync(collection, Ct));

        Assert.Equal(401, ex.StatusCode);
        Assert.False(ex.IsTransient);
        Assert.Contains("Must provide an API key", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, Server.CountRequests(path));
    }

    [Fact]
    public async Task Upsert_StatusOtherThanCompleted_IsFailure()
    {
        var (store, collection) = await NewCollectionAsync();
        Server.Fail($"/collections/{collection}/points", 200, """{"result":{"operation_id":5,"status":"acknowledged"},"status":"ok","time":0}""");

        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => store.UpsertAsync(collection, [Point("a")], Ct));

        Assert.Contains("acknowledged", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiKey_IsSentAsHeader()
    {
        var key = "secret-" + Guid.NewGuid().ToString("N");
        var store = Store(new QdrantOptions { Url = Server.BaseAddress.ToString(), ApiKey = key, AllowApiKeyOverHttp = true });

        await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync("missing-" + key, Ct));

        var request = Assert.Single(Server.Requests, r => r.Path.Contains(key, StringComparison.Ordinal));
        Assert.Equal(key, request.ApiKey);
    }

    [Fact]
    public async Task NoApiKey_NoHeaderSent()
    {
        var name = "nokey-" + Guid.NewGuid().ToString("N");
        await Assert.ThrowsAsync<VectorStoreException>(() => Store().CountAsync(name, Ct));
        Assert.Equal("", Assert.Single(Server.Requests, r => r.Path.Contains(name, StringComparison.Ordinal)).ApiKey);
    }

    [Fact]
    public void ApiKeyOverPlainHttp_IsRefusedAtConstruction()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Store(new QdrantOptions { Url = "http://qdrant.example:6333", ApiKey = "k" }));
        Assert.Contains("AllowApiKeyOverHttp", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("k\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ApiKeyOverPlainHttp_IsRefusedByOptionsValidation()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["StreamRec:VectorStore:Qdrant:Url"] = "http://qdrant.example:6333",
            ["StreamRec:VectorStore:Qdrant:ApiKey"] = "do-not-leak",
        }).Build();
        using var provider = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddQdrantVectorStore().BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<QdrantOptions>>().Value);

        Assert.Contains("refusing to send the API key over plain http", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("do-not-leak", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ApiKeyOverHttps_IsAccepted_AndDiResolvesInstrumentedStore()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["StreamRec:VectorStore:Qdrant:Url"] = "https://qdrant.example:6333",
            ["StreamRec:VectorStore:Qdrant:ApiKey"] = "k",
        }).Build();
        using var provider = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddQdrantVectorStore().BuildServiceProvider();

        var store = Assert.IsType<InstrumentedVectorStore>(provider.GetRequiredService<IVectorStore>());
        Assert.IsType<QdrantVectorStore>(store.Inner);
    }

    [Fact]
    public async Task NaNVector_IsRejectedBeforeAnyRequest()
    {
        var (store, collection) = await NewCollectionAsync();
        var path = $"/collections/{collection}/points";
        var before = Server.CountRequests(path);

        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => store.UpsertAsync(collection, [new VectorPoint("a", new Dictionary<string, float[]> { ["text"] = [1, float.NaN, 0, 0] }, null)], Ct));

        Assert.False(ex.IsTransient);
        Assert.Equal(before, Server.CountRequests(path));
    }

    [Fact]
    public async Task ReservedIdPayloadKey_IsRejected()
    {
        var (store, collection) = await NewCollectionAsync();
        await Assert.ThrowsAsync<VectorStoreException>(() => store.UpsertAsync(collection, [Point("a", new JsonObject { ["_sr_id"] = "spoof" })], Ct));
    }

    [Fact]
    public async Task EnsureCollection_CreatesPayloadIndexes()
    {
        var store = Store();
        var name = "idx-" + Guid.NewGuid().ToString("N");
        await store.EnsureCollectionAsync(new CollectionSpec(name, new Dictionary<string, int> { ["text"] = 4 }, Distance.Cosine, new Dictionary<string, PayloadFieldType> { ["genre"] = PayloadFieldType.Keyword }), Ct);
        Assert.Equal(1, Server.CountRequests($"/collections/{name}/index"));
    }

    [Fact]
    public void PointIds_AreRfc4122Version5()
    {
        // The RFC 4122 / Python uuid5(NAMESPACE_DNS, "python.org") reference value.
        var dns = new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
        Assert.Equal(new Guid("886313e1-3b8a-5372-9b90-0c9aee199e5d"), PointIds.NameBasedUuid(dns, "python.org"));
        Assert.Equal(PointIds.ToPointId("item-1"), PointIds.ToPointId("item-1"));
        Assert.NotEqual(PointIds.ToPointId("item-1"), PointIds.ToPointId("item-2"));
        Assert.Equal('5', PointIds.ToPointId("item-1")[14]);
    }

    public void Dispose() => _http.Dispose();

    private QdrantVectorStore Store(QdrantOptions? options = null) =>
        new(_http, Options.Create(options ?? new QdrantOptions { Url = Server.BaseAddress.ToString(), RetryBaseDelay = TimeSpan.FromMilliseconds(5) }), TimeProvider.System);

    private async Task<(QdrantVectorStore Store, string Collection)> NewCollectionAsync()
    {
        var store = Store();
        var name = "q-" + Guid.NewGuid().ToString("N");
        await store.EnsureCollectionAsync(new CollectionSpec(name, new Dictionary<string, int> { ["text"] = 4 }), Ct);
        return (store, name);
    }

    private static VectorPoint Point(string id, JsonObject? payload = null) =>
        new(id, new Dictionary<string, float[]> { ["text"] = [1, 0, 0, 0] }, payload);
}
