using System.Text.Json.Nodes;
using StreamRec.Ports;
using StreamRec.VectorStore.Tests.Support;

namespace StreamRec.VectorStore.Tests.Contract;

/// <summary>
/// What every <see cref="IVectorStore"/> must do, whatever the backend. Each concrete class supplies a
/// store; each test works in its own collection so the suite can share one backend.
/// </summary>
public abstract class VectorStoreContractTests
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The store under test (skip inside when the backend is unavailable).</summary>
    protected abstract Task<IVectorStore> StoreAsync();

    [Fact]
    public async Task EnsureCollection_CalledTwice_IsIdempotentAndEmpty()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Cosine);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.EnsureCollectionAsync(spec, Ct);
        Assert.Equal(0, await store.CountAsync(spec.Name, Ct));
    }

    [Fact]
    public async Task EnsureCollection_ExistingWithOtherDimension_ThrowsClearError()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Cosine);
        await store.EnsureCollectionAsync(spec, Ct);
        var other = spec with { Vectors = new Dictionary<string, int> { ["text"] = 8 } };
        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => store.EnsureCollectionAsync(other, Ct));
        Assert.Contains("text", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task EnsureCollection_ExistingWithOtherVectorName_Throws()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Dot);
        await store.EnsureCollectionAsync(spec, Ct);
        var other = spec with { Vectors = new Dictionary<string, int> { ["other"] = 4 } };
        await Assert.ThrowsAsync<VectorStoreException>(() => store.EnsureCollectionAsync(other, Ct));
    }

    [Fact]
    public async Task UpsertThenGet_WithVectorsAndPayload_ReturnsWhatWasStored()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Dot);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(spec.Name, [Point("a", [1, 2, 3, 4], new JsonObject { ["title"] = "A", ["n"] = 7, ["tags"] = new JsonArray("x", "y") })], Ct);

        var got = Assert.Single(await store.GetAsync(spec.Name, ["a"], withVectors: true, withPayload: true, Ct));
        Assert.Equal("a", got.Id);
        Assert.Equal([1f, 2f, 3f, 4f], got.Vectors["text"]);
        Assert.NotNull(got.Payload);
        Assert.Equal("A", got.Payload["title"]!.GetValue<string>());
        Assert.Equal(7, got.Payload["n"]!.GetValue<long>());
        Assert.Equal(["x", "y"], got.Payload["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(3, got.Payload.Count);
    }

    [Fact]
    public async Task Get_CosineCollection_ReturnsUnitLengthVectorInSameDirection()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Cosine);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(spec.Name, [Point("a", [3, 0, 4, 0])], Ct);
        var got = Assert.Single(await store.GetAsync(spec.Name, ["a"], true, false, Ct));
        Assert.Equal(0.6f, got.Vectors["text"][0], 5);
        Assert.Equal(0.8f, got.Vectors["text"][2], 5);
    }

    [Fact]
    public async Task Get_WithoutVectorsAndPayload_ReturnsIdsOnly_AndSkipsMissingIds()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Cosine);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(spec.Name, [Point("a", [1, 0, 0, 0], new JsonObject { ["k"] = "v" }), Point("b", [0, 1, 0, 0])], Ct);

        var got = await store.GetAsync(spec.Name, ["a", "missing", "b"], withVectors: false, withPayload: false, Ct);
        Assert.Equal(["a", "b"], got.Select(p => p.Id).Order(StringComparer.Ordinal));
        Assert.All(got, p => Assert.Empty(p.Vectors));
        Assert.All(got, p => Assert.Null(p.Payload));
    }

    [Fact]
    public async Task Upsert_ExistingId_ReplacesThePoint()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Dot);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(spec.Name, [Point("a", [1, 0, 0, 0], new JsonObject { ["v"] = 1 })], Ct);
        await store.UpsertAsync(spec.Name, [Point("a", [0, 2, 0, 0], new JsonObject { ["v"] = 2 })], Ct);

        Assert.Equal(1, await store.CountAsync(spec.Name, Ct));
        var got = Assert.Single(await store.GetAsync(spec.Name, ["a"], true, true, Ct));
        Assert.Equal([0f, 2f, 0f, 0f], got.Vectors["text"]);
        Assert.Equal(2, got.Payload!["v"]!.GetValue<int>());
    }

    [Fact]
    public async Task Delete_RemovesPoints_AndIgnoresUnknownIds()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Cosine);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(spec.Name, [Point("a", [1, 0, 0, 0]), Point("b", [0, 1, 0, 0]), Point("c", [0, 0, 1, 0])], Ct);

        await store.DeleteAsync(spec.Name, ["b", "never-there"], Ct);

        Assert.Equal(2, await store.CountAsync(spec.Name, Ct));
        Assert.Equal(["a", "c"], (await store.GetAsync(spec.Name, ["a", "b", "c"], false, false, Ct)).Select(p => p.Id).Order(StringComparer.Ordinal));
        var hits = await store.QueryAsync(spec.Name, new VectorQuery([0, 1, 0, 0], "text", 10), Ct);
        Assert.DoesNotContain(hits, h => h.Id == "b");
    }

    [Fact]
    public async Task Query_ReturnsNearestFirst_UpToLimit_WithScores()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Cosine);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(spec.Name, [Point("x", [1, 0, 0, 0]), Point("xy", [1, 1, 0, 0]), Point("y", [0, 1, 0, 0]), Point("minus-x", [-1, 0, 0, 0])], Ct);

        var hits = await store.QueryAsync(spec.Name, new VectorQuery([2, 0.1f, 0, 0], "text", 3), Ct);

        Assert.Equal(["x", "xy", "y"], hits.Select(h => h.Id));
        Assert.True(hits[0].Score > hits[1].Score && hits[1].Score > hits[2].Score);
        Assert.Equal(0.99875f, hits[0].Score, 3);
        Assert.All(hits, h => Assert.Null(h.Vectors));
    }

    [Fact]
    public async Task Query_DotDistance_ScoresAreRawDotProducts()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Dot);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(spec.Name, [Point("small", [1, 0, 0, 0]), Point("big", [3, 0, 0, 0])], Ct);

        var hits = await store.QueryAsync(spec.Name, new VectorQuery([2, 0, 0, 0], "text", 5), Ct);

        Assert.Equal(["big", "small"], hits.Select(h => h.Id));
        Assert.Equal(6f, hits[0].Score, 4);
        Assert.Equal(2f, hits[1].Score, 4);
    }

    [Fact]
    public async Task Query_ScoreThreshold_DropsWeakerResults()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Cosine);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(spec.Name, [Point("x", [1, 0, 0, 0]), Point("xy", [1, 1, 0, 0]), Point("y", [0, 1, 0, 0])], Ct);

        var hits = await store.QueryAsync(spec.Name, new VectorQuery([1, 0, 0, 0], "text", 10, ScoreThreshold: 0.5f), Ct);

        Assert.Equal(["x", "xy"], hits.Select(h => h.Id));
    }

    [Fact]
    public async Task Query_WithVectorsAndPayload_ReturnsThem()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Dot);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(spec.Name, [Point("a", [1, 2, 3, 4], new JsonObject { ["k"] = "v" })], Ct);

        var hit = Assert.Single(await store.QueryAsync(spec.Name, new VectorQuery([1, 0, 0, 0], "text", 1, WithVectors: true, WithPayload: true), Ct));
        Assert.Equal([1f, 2f, 3f, 4f], hit.Vectors!["text"]);
        Assert.Equal("v", hit.Payload!["k"]!.GetValue<string>());
        Assert.Single(hit.Payload);

        var bare = Assert.Single(await store.QueryAsync(spec.Name, new VectorQuery([1, 0, 0, 0], "text", 1, WithPayload: false), Ct));
        Assert.Null(bare.Payload);
        Assert.Equal("a", bare.Id);
    }

    [Fact]
    public async Task Query_PayloadFields_ReturnsOnlyThoseFields()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Dot);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(spec.Name, [
            Point("a", [1, 0, 0, 0], new JsonObject { ["title"] = "A", ["n"] = 7, ["tags"] = new JsonArray("x", "y"), ["text"] = "long" }),
            Point("b", [0.5f, 0, 0, 0], new JsonObject { ["n"] = 8 }),
        ], Ct);

        var hits = await store.QueryBatchAsync(spec.Name, [new VectorQuery([1, 0, 0, 0], "text", 2, WithVectors: true, PayloadFields: ["title", "tags", "missing"])], Ct);

        var a = hits[0][0];
        Assert.Equal("a", a.Id);
        Assert.Equal(["tags", "title"], a.Payload!.Select(kv => kv.Key).Order(StringComparer.Ordinal));
        Assert.Equal("A", a.Payload!["title"]!.GetValue<string>());
        Assert.Equal(["x", "y"], a.Payload["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal([1f, 0f, 0f, 0f], a.Vectors!["text"]);
        Assert.Equal("b", hits[0][1].Id);
        Assert.Empty(hits[0][1].Payload!);
    }

    [Fact]
    public async Task Get_PayloadFields_ReturnsOnlyThoseFields()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Dot);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(spec.Name, [
            Point("a", [1, 2, 3, 4], new JsonObject { ["title"] = "A", ["n"] = 7, ["tags"] = new JsonArray("x", "y"), ["text"] = "long" }),
            Point("b", [0, 0, 0, 1], new JsonObject { ["n"] = 8 }),
        ], Ct);

        var got = (await store.GetAsync(spec.Name, ["a", "b", "missing"], withVectors: true, ["title", "tags", "missing"], Ct)).ToDictionary(p => p.Id);

        Assert.Equal(["a", "b"], got.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["tags", "title"], got["a"].Payload!.Select(kv => kv.Key).Order(StringComparer.Ordinal));
        Assert.Equal("A", got["a"].Payload!["title"]!.GetValue<string>());
        Assert.Equal(["x", "y"], got["a"].Payload!["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal([1f, 2f, 3f, 4f], got["a"].Vectors["text"]);
        Assert.Empty(got["b"].Payload!);

        // The stored payload is whole.
        var whole = Assert.Single(await store.GetAsync(spec.Name, ["a"], withVectors: false, withPayload: true, Ct));
        Assert.Equal(["n", "tags", "text", "title"], whole.Payload!.Select(kv => kv.Key).Order(StringComparer.Ordinal));
    }

    public static TheoryData<string, string[]> Filters() => new()
    {
        { "match-string", ["p1", "p3"] },
        { "match-long", ["p2"] },
        { "match-bool", ["p1", "p2"] },
        { "array-contains", ["p2", "p3"] },
        { "range", ["p2", "p3"] },
        { "range-open", ["p1", "p2"] },
        { "must-not", ["p2", "p4"] },
        { "exclude-ids", ["p2", "p4"] },
        { "combined", ["p3"] },
        { "missing-field-must-not", ["p1", "p2", "p3", "p4"] },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Query_WithFilter_ReturnsOnlyMatchingPoints(string filterName, string[] expected)
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Cosine) with { IndexedFields = new Dictionary<string, PayloadFieldType> { ["genre"] = PayloadFieldType.Keyword, ["year"] = PayloadFieldType.Integer } };
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(spec.Name,
        [
            Point("p1", [1, 0, 0, 0], new JsonObject { ["genre"] = "drama", ["year"] = 1999, ["new"] = true, ["tags"] = new JsonArray("a"), ["rating"] = 2.5 }),
            Point("p2", [1, 1, 0, 0], new JsonObject { ["genre"] = "comedy", ["year"] = 2005, ["new"] = true, ["tags"] = new JsonArray("a", "b"), ["rating"] = 3.5 }),
            Point("p3", [1, 1, 1, 0], new JsonObject { ["genre"] = "drama", ["year"] = 2010, ["new"] = false, ["tags"] = new JsonArray("b"), ["rating"] = 4.5 }),
            Point("p4", [1, 1, 1, 1], new JsonObject { ["year"] = 2020 }),
        ], Ct);

        var filter = filterName switch
        {
            "match-string" => new VectorFilter { Must = [MatchCondition.Of("genre", "drama")] },
            "match-long" => new VectorFilter { Must = [MatchCondition.Of("year", 2005)] },
            "match-bool" => new VectorFilter { Must = [MatchCondition.Of("new", true)] },
            "array-contains" => new VectorFilter { Must = [MatchCondition.Of("tags", "b")] },
            "range" => new VectorFilter { Must = [new RangeCondition("rating", Gte: 3.0, Lte: 5.0)] },
            "range-open" => new VectorFilter { Must = [new RangeCondition("year", Lte: 2005)] },
            "must-not" => new VectorFilter { MustNot = [MatchCondition.Of("genre", "drama")] },
            "exclude-ids" => new VectorFilter { ExcludeIds = ["p1", "p3"] },
            "combined" => new VectorFilter { Must = [MatchCondition.Of("tags", "b"), new RangeCondition("year", Gte: 2000)], MustNot = [MatchCondition.Of("genre", "comedy")], ExcludeIds = ["p4"] },
            "missing-field-must-not" => new VectorFilter { MustNot = [MatchCondition.Of("absent", "x")] },
            _ => throw new ArgumentOutOfRangeException(nameof(filterName)),
        };

        var hits = await store.QueryAsync(spec.Name, new VectorQuery([1, 1, 1, 1], "text", 10, filter), Ct);

        Assert.Equal(expected, hits.Select(h => h.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task QueryBatch_AnswersEachQueryInOrder()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Cosine);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(spec.Name, [Point("x", [1, 0, 0, 0]), Point("y", [0, 1, 0, 0]), Point("z", [0, 0, 1, 0])], Ct);

        var results = await store.QueryBatchAsync(spec.Name,
        [
            new VectorQuery([0, 0, 1, 0], "text", 1),
            new VectorQuery([1, 0, 0, 0], "text", 2, new VectorFilter { ExcludeIds = ["x"] }),
            new VectorQuery([0, 1, 0, 0], "text", 1),
        ], Ct);

        Assert.Equal(3, results.Count);
        Assert.Equal("z", Assert.Single(results[0]).Id);
        Assert.Equal(2, results[1].Count);
        Assert.DoesNotContain(results[1], h => h.Id == "x");
        Assert.Equal("y", Assert.Single(results[2]).Id);
    }

    [Fact]
    public async Task Count_IsExact_AfterUpsertsAndDeletes()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Cosine);
        await store.EnsureCollectionAsync(spec, Ct);
        var points = Enumerable.Range(0, 25).Select(i => Point($"n{i}", [i + 1, 1, 0, 0])).ToList();
        await store.UpsertAsync(spec.Name, points, Ct);
        await store.DeleteAsync(spec.Name, ["n3", "n4"], Ct);

        Assert.Equal(23, await store.CountAsync(spec.Name, Ct));
    }

    [Fact]
    public async Task Ids_ArbitraryStrings_RoundTripUnchanged()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Dot);
        await store.EnsureCollectionAsync(spec, Ct);
        string[] ids = ["item:42", "with space", "ünïcödé/路径?&#", "0", "00000000-0000-0000-0000-000000000001", new string('x', 256), "\"quoted\"\n"];
        await store.UpsertAsync(spec.Name, [.. ids.Select((id, i) => Point(id, [i + 1, 0, 0, 0]))], Ct);

        var got = await store.GetAsync(spec.Name, ids, false, false, Ct);
        Assert.Equal(ids.Order(StringComparer.Ordinal), got.Select(p => p.Id).Order(StringComparer.Ordinal));
        var hits = await store.QueryAsync(spec.Name, new VectorQuery([1, 0, 0, 0], "text", ids.Length), Ct);
        Assert.Equal(Enumerable.Reverse(ids), hits.Select(h => h.Id));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public async Task Upsert_NonFiniteValue_IsRejected_AndNothingIsStored(float bad)
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Cosine);
        await store.EnsureCollectionAsync(spec, Ct);

        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => store.UpsertAsync(spec.Name, [Point("ok", [1, 0, 0, 0]), Point("bad", [1, bad, 0, 0])], Ct));

        Assert.False(ex.IsTransient);
        Assert.Equal(0, await store.CountAsync(spec.Name, Ct));
    }

    [Fact]
    public async Task Upsert_WrongDimension_IsRejected()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Cosine);
        await store.EnsureCollectionAsync(spec, Ct);

        var ex = await Assert.ThrowsAsync<VectorStoreException>(() => store.UpsertAsync(spec.Name, [Point("a", [1, 0, 0])], Ct));

        Assert.False(ex.IsTransient);
        Assert.Contains("dimension", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Query_NaNOrWrongVectorName_IsRejected()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Cosine);
        await store.EnsureCollectionAsync(spec, Ct);

        await Assert.ThrowsAsync<VectorStoreException>(() => store.QueryAsync(spec.Name, new VectorQuery([float.NaN, 0, 0, 0], "text", 1), Ct));
        await Assert.ThrowsAsync<VectorStoreException>(() => store.QueryAsync(spec.Name, new VectorQuery([1, 0, 0, 0], "nope", 1), Ct));
    }

    [Fact]
    public async Task Operations_OnMissingCollection_Throw()
    {
        var store = await StoreAsync();
        var name = "missing-" + Guid.NewGuid().ToString("N");
        await Assert.ThrowsAsync<VectorStoreException>(() => store.QueryAsync(name, new VectorQuery([1, 0, 0, 0], "text", 1), Ct));
        await Assert.ThrowsAsync<VectorStoreException>(() => store.CountAsync(name, Ct));
    }

    [Fact]
    public async Task MultipleNamedVectors_AreSearchedByName()
    {
        var store = await StoreAsync();
        var spec = new CollectionSpec("multi-" + Guid.NewGuid().ToString("N"), new Dictionary<string, int> { ["short"] = 2, ["long"] = 3 }, OnDisk: OnDisk);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(spec.Name,
        [
            new VectorPoint("u1", new Dictionary<string, float[]> { ["short"] = [1, 0], ["long"] = [0, 0, 1] }, null),
            new VectorPoint("u2", new Dictionary<string, float[]> { ["short"] = [0, 1], ["long"] = [1, 0, 0] }, null),
        ], Ct);

        Assert.Equal("u1", (await store.QueryAsync(spec.Name, new VectorQuery([1, 0], "short", 1), Ct))[0].Id);
        Assert.Equal("u2", (await store.QueryAsync(spec.Name, new VectorQuery([1, 0, 0], "long", 1), Ct))[0].Id);
        var got = Assert.Single(await store.GetAsync(spec.Name, ["u2"], true, false, Ct));
        Assert.Equal(2, got.Vectors.Count);
        Assert.Equal(3, got.Vectors["long"].Length);
    }

    [Fact]
    public async Task Scroll_ArrayFieldFilter_PagesThroughEveryMatchExactlyOnce_IncludingAllZeroVectors()
    {
        // The shape of the parked-user scan: a dot-product users collection, a keyword array field, matches whose
        // vectors are all zero (a user whose only events are parked) and points without the field.
        var store = await StoreAsync();
        var spec = new CollectionSpec(
            "scroll-" + Guid.NewGuid().ToString("N"),
            new Dictionary<string, int> { ["short"] = 4, ["long"] = 4 },
            Distance.Dot,
            new Dictionary<string, PayloadFieldType> { ["parked_in"] = PayloadFieldType.Keyword },
            OnDisk);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.EnsureCollectionAsync(spec, Ct);
        var matching = Enumerable.Range(0, 7).Select(i => $"user-{i}").ToArray();
        var points = matching.Select((id, i) => UserPoint(id, i % 2 == 0 ? [0, 0, 0, 0] : [i, 1, 0, 0], new JsonArray("clicks:1", "reviews:0"))).ToList();
        points.Add(UserPoint("other-partition", [1, 0, 0, 0], new JsonArray("clicks:2")));
        points.Add(UserPoint("nothing-parked", [0, 0, 0, 0], null));
        await store.UpsertAsync(spec.Name, points, Ct);

        var seen = new List<string>();
        var pages = 0;
        string? cursor = null;
        do
        {
            var page = await store.ScrollAsync(spec.Name, new ScrollRequest(3, new VectorFilter { Must = [MatchCondition.Of("parked_in", "clicks:1")] }, cursor, WithVectors: true), Ct);
            Assert.InRange(page.Points.Count, 0, 3);
            foreach (var point in page.Points)
            {
                seen.Add(point.Id);
                Assert.Equal(4, point.Vectors["long"].Length);
                Assert.Equal(point.Id, point.Payload!["user_id"]!.GetValue<string>());
            }

            cursor = page.Next;
            pages++;
            Assert.True(pages <= 10, "the scroll does not end");
        }
        while (cursor is not null);

        Assert.Equal(matching.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.True(pages >= 3, $"7 matches in pages of 3 came in {pages} page(s)");
        var zero = await store.GetAsync(spec.Name, ["user-0"], withVectors: true, withPayload: false, Ct);
        Assert.Equal([0f, 0f, 0f, 0f], Assert.Single(zero).Vectors["long"]);
    }

    [Fact]
    public async Task Scroll_MustNotAndExcludedIds_AreApplied_AndBarePagesCarryIdsOnly()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Cosine);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(spec.Name,
        [
            Point("a", [1, 0, 0, 0], new JsonObject { ["genre"] = "drama" }),
            Point("b", [0, 1, 0, 0], new JsonObject { ["genre"] = "comedy" }),
            Point("c", [0, 0, 1, 0], new JsonObject { ["genre"] = "comedy" }),
            Point("d", [0, 0, 0, 1]),
        ], Ct);

        var page = await store.ScrollAsync(spec.Name, new ScrollRequest(10, new VectorFilter { MustNot = [MatchCondition.Of("genre", "drama")], ExcludeIds = ["c"] }, WithPayload: false), Ct);

        Assert.Equal(["b", "d"], page.Points.Select(p => p.Id).Order(StringComparer.Ordinal));
        Assert.Null(page.Next);
        Assert.All(page.Points, p => Assert.Empty(p.Vectors));
        Assert.All(page.Points, p => Assert.Null(p.Payload));
    }

    [Fact]
    public async Task Scroll_NoMatch_IsOneEmptyLastPage()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Dot);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(spec.Name, [Point("a", [1, 0, 0, 0], new JsonObject { ["k"] = "v" })], Ct);

        var page = await store.ScrollAsync(spec.Name, new ScrollRequest(5, new VectorFilter { Must = [MatchCondition.Of("k", "other")] }), Ct);

        Assert.Empty(page.Points);
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task Scroll_NonPositiveLimitOrMissingCollection_Throws()
    {
        var store = await StoreAsync();
        var spec = Spec(Distance.Dot);
        await store.EnsureCollectionAsync(spec, Ct);

        await Assert.ThrowsAsync<VectorStoreException>(() => store.ScrollAsync(spec.Name, new ScrollRequest(0), Ct));
        await Assert.ThrowsAsync<VectorStoreException>(() => store.ScrollAsync("missing-" + Guid.NewGuid().ToString("N"), new ScrollRequest(5), Ct));
    }

    private static VectorPoint UserPoint(string id, float[] vector, JsonArray? parkedIn)
    {
        var payload = new JsonObject { ["user_id"] = id };
        if (parkedIn is not null)
        {
            payload["parked_in"] = parkedIn;
        }

        return new VectorPoint(id, new Dictionary<string, float[]> { ["short"] = vector, ["long"] = (float[])vector.Clone() }, payload);
    }

    /// <summary>Whether the suite's collections are declared <see cref="CollectionSpec.OnDisk"/>.</summary>
    protected virtual bool OnDisk => false;

    protected CollectionSpec Spec(Distance distance) =>
        new("c-" + Guid.NewGuid().ToString("N"), new Dictionary<string, int> { ["text"] = 4 }, distance, OnDisk: OnDisk);

    protected static VectorPoint Point(string id, float[] vector, JsonObject? payload = null) =>
        new(id, new Dictionary<string, float[]> { ["text"] = vector }, payload);
}
