using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StreamRec.Ports;
using StreamRec.TestSupport;
using StreamRec.VectorStore.Embedded;
using StreamRec.VectorStore.Embedded.Internal;
using StreamRec.VectorStore.Tests.Support;

namespace StreamRec.VectorStore.Tests.Embedded;

public sealed class EmbeddedVectorStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("streamrec-emb-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string DbPath => Path.Combine(_directory, "vectors.db");

    public static TheoryData<Distance, int, int, bool> Sizes() => new()
    {
        { Distance.Cosine, 3_000, 24, false },
        { Distance.Dot, 3_000, 24, false },

        // Above the parallel-scan threshold and across many segments, with swap-removes spanning segments.
        { Distance.Cosine, 70_000, 8, false },

        // Kept on disk: the search is a scan of the file, filters read payloads from it, one field indexed in memory.
        { Distance.Cosine, 3_000, 24, true },
        { Distance.Dot, 3_000, 24, true },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Query_OnRandomData_EqualsBruteForce_UnderFilters(Distance distance, int count, int dim, bool onDisk)
    {
        var random = new Random(count + dim + (int)distance);
        using var store = onDisk ? Open() : new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
        var spec = new CollectionSpec(
            "random", new Dictionary<string, int> { ["v"] = dim }, distance, new Dictionary<string, PayloadFieldType> { ["genre"] = PayloadFieldType.Keyword }, onDisk);
        await store.EnsureCollectionAsync(spec, Ct);
        var reference = new Dictionary<string, (float[] Vector, JsonObject? Payload)>();
        var batch = new List<VectorPoint>();
        string[] genres = ["drama", "comedy", "noir", "doc"];
        for (var i = 0; i < count; i++)
        {
            var vector = RandomVector(random, dim);
            var payload = i % 17 == 0 ? null : new JsonObject
            {
                ["genre"] = genres[random.Next(genres.Length)],
                ["year"] = 1950 + random.Next(75),
                ["fresh"] = random.Next(2) == 0,
                ["tags"] = new JsonArray([.. Enumerable.Range(0, random.Next(4)).Select(_ => (JsonNode)genres[random.Next(genres.Length)])]),
                ["rating"] = Math.Round(random.NextDouble() * 5, 2),
            };
            reference[$"id-{i}"] = (vector, payload);
            batch.Add(new VectorPoint($"id-{i}", new Dictionary<string, float[]> { ["v"] = vector }, payload));
            if (batch.Count == 5_000)
            {
                await store.UpsertAsync("random", batch, Ct);
                batch.Clear();
            }
        }

        await store.UpsertAsync("random", batch, Ct);

        // Deletes compact by moving the last rows into the holes: the answers must not notice.
        var deleted = Enumerable.Range(0, count / 10).Select(_ => $"id-{random.Next(count)}").Distinct().ToList();
        await store.DeleteAsync("random", deleted, Ct);
        foreach (var id in deleted)
        {
            reference.Remove(id);
        }

        Assert.Equal(reference.Count, await store.CountAsync("random", Ct));

        VectorFilter?[] filters =
        [
            null,
            new VectorFilter { Must = [MatchCondition.Of("genre", "drama")] },
            new VectorFilter { Must = [new RangeCondition("year", 1980, 2000), MatchCondition.Of("fresh", true)] },
            new VectorFilter { Must = [MatchCondition.Of("tags", "noir")], MustNot = [MatchCondition.Of("genre", "noir")] },
            new VectorFilter { MustNot = [new RangeCondition("rating", Lte: 4.5)] },
            new VectorFilter { ExcludeIds = [.. reference.Keys.Where((_, i) => i % 3 == 0)] },
            new VectorFilter { Must = [MatchCondition.Of("year", 1999)] },
        ];
        foreach (var filter in filters)
        {
            for (var q = 0; q < 3; q++)
            {
                var query = new VectorQuery(RandomVector(random, dim), "v", q == 0 ? 1 : 50, filter, ScoreThreshold: q == 2 ? 0.1f : null);
                var expected = BruteForce.Search(reference, query, distance);
                var actual = await store.QueryAsync("random", query, Ct);

                Assert.Equal(expected.Count, actual.Count);
                for (var i = 0; i < expected.Count; i++)
                {
                    Assert.True(Math.Abs(expected[i].Score - actual[i].Score) < 1e-4, $"rank {i}: expected {expected[i].Score}, got {actual[i].Score}");
                }

                // Ids agree except where two scores tie within float rounding.
                var mismatched = expected.Select(e => e.Id).Except(actual.Select(a => a.Id)).ToList();
                Assert.True(mismatched.Count == 0 || Math.Abs(expected[^1].Score - actual[^1].Score) < 1e-4, $"ids differ: {string.Join(",", mismatched)}");
                Assert.All(actual, a => Assert.True(filter is null || BruteForce.Passes(a.Id, reference[a.Id].Payload, filter)));
            }
        }
    }

    [Theory]
    [InlineData(2_000)]
    [InlineData(66_000)]
    public async Task QueryBatch_MixedVectorNamesAndFilters_EqualsOneQueryAtATime(int count)
    {
        var random = new Random(count);
        using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
        await store.EnsureCollectionAsync(new CollectionSpec("b", new Dictionary<string, int> { ["s"] = 6, ["l"] = 10 }), Ct);
        for (var start = 0; start < count; start += 10_000)
        {
            await store.UpsertAsync("b", [.. Enumerable.Range(start, Math.Min(10_000, count - start)).Select(i => new VectorPoint(
                $"p{i}",
                new Dictionary<string, float[]> { ["s"] = RandomVector(random, 6), ["l"] = RandomVector(random, 10) },
                new JsonObject { ["bucket"] = i % 5 }))], Ct);
        }

        var queries = Enumerable.Range(0, 9).Select(i => new VectorQuery(
            RandomVector(random, i % 2 == 0 ? 6 : 10),
            i % 2 == 0 ? "s" : "l",
            Limit: 5 + (i * 7),
            Filter: i % 3 == 0 ? new VectorFilter { Must = [MatchCondition.Of("bucket", i % 5)], ExcludeIds = ["p1", "p2"] } : null,
            ScoreThreshold: i == 4 ? 0.5f : null)).ToList();

        var batch = await store.QueryBatchAsync("b", queries, Ct);

        Assert.Equal(queries.Count, batch.Count);
        for (var i = 0; i < queries.Count; i++)
        {
            var single = await store.QueryAsync("b", queries[i], Ct);
            Assert.Equal(single.Select(h => (h.Id, h.Score)), batch[i].Select(h => (h.Id, h.Score)));
            Assert.NotEmpty(single);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task State_SurvivesReopen_IncludingDeletesAndReplacements(bool onDisk)
    {
        var spec = new CollectionSpec("items", new Dictionary<string, int> { ["a"] = 3, ["b"] = 2 }, Distance.Dot, new Dictionary<string, PayloadFieldType> { ["k"] = PayloadFieldType.Keyword }, onDisk);
        using (var store = Open())
        {
            await store.EnsureCollectionAsync(spec, Ct);
            await store.UpsertAsync("items", [.. Enumerable.Range(0, 40).Select(i => TwoVectorPoint($"p{i}", i, new JsonObject { ["k"] = $"v{i}", ["nested"] = new JsonObject { ["x"] = i } }))], Ct);
            await store.DeleteAsync("items", ["p3", "p7"], Ct);
            await store.UpsertAsync("items", [TwoVectorPoint("p5", 500, null)], Ct);
        }

        using (var reopened = Open())
        {
            await reopened.EnsureCollectionAsync(spec, Ct);
            Assert.Equal(38, await reopened.CountAsync("items", Ct));
            Assert.Empty(await reopened.GetAsync("items", ["p3", "p7"], false, false, Ct));
            var p5 = Assert.Single(await reopened.GetAsync("items", ["p5"], true, true, Ct));
            Assert.Equal([500f, 501f, 502f], p5.Vectors["a"]);
            Assert.Null(p5.Payload);
            var p9 = Assert.Single(await reopened.GetAsync("items", ["p9"], true, true, Ct));
            Assert.Equal([-9f, 1f], p9.Vectors["b"]);
            Assert.Equal(9, p9.Payload!["nested"]!["x"]!.GetValue<int>());
            var top = await reopened.QueryAsync("items", new VectorQuery([1, 0, 0], "a", 1, new VectorFilter { Must = [MatchCondition.Of("k", "v39")] }), Ct);
            Assert.Equal("p39", Assert.Single(top).Id);

            var mismatch = spec with { Vectors = new Dictionary<string, int> { ["a"] = 3, ["b"] = 4 } };
            await Assert.ThrowsAsync<VectorStoreException>(() => reopened.EnsureCollectionAsync(mismatch, Ct));
        }
    }

    [Fact]
    public async Task KilledWriter_EveryAcknowledgedUpsertSurvives()
    {
        var helper = CrashWriterPath();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(helper);
        start.ArgumentList.Add(DbPath);
        start.ArgumentList.Add("100000");
        using var child = Process.Start(start)!;
        var acked = new List<string>();
        while (acked.Count < 300 && await child.StandardOutput.ReadLineAsync(Ct) is { } line)
        {
            if (line.StartsWith("ACK ", StringComparison.Ordinal))
            {
                acked.Add(line[4..]);
            }
        }

        // SIGKILL on Unix: no finalizers, no flush, no chance to close SQLite cleanly.
        child.Kill();
        await child.WaitForExitAsync(Ct);
        Assert.True(acked.Count >= 300, $"the writer stopped early: {await child.StandardError.ReadToEndAsync(Ct)}");

        // Acknowledgements still buffered in the pipe also refer to returned upserts.
        while (await child.StandardOutput.ReadLineAsync(Ct) is { } rest)
        {
            if (rest.StartsWith("ACK ", StringComparison.Ordinal))
            {
                acked.Add(rest[4..]);
            }
        }

        using var reopened = Open();
        var found = await reopened.GetAsync("crash", acked, withVectors: true, withPayload: true, Ct);
        Assert.Equal(acked.Count, found.Count);
        var last = found.Single(p => p.Id == acked[^1]);
        var i = int.Parse(acked[^1][2..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(i, last.Payload!["i"]!.GetValue<int>());
        Assert.Equal(i + 3.5f, last.Vectors["v"][7]);
        Assert.True(await reopened.CountAsync("crash", Ct) >= acked.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConcurrentWritersAndReaders_NeverSeeAHalfWrittenPoint(bool onDisk)
    {
        using var store = Open();
        const int dim = 16;
        await store.EnsureCollectionAsync(new CollectionSpec("live", new Dictionary<string, int> { ["v"] = dim }, Distance.Dot, OnDisk: onDisk), Ct);

        // A point's vector is all `version` and its payload says `version`: a torn read would disagree.
        static VectorPoint Versioned(int id, int version) =>
            new($"k{id}", new Dictionary<string, float[]> { ["v"] = Enumerable.Repeat((float)version, dim).ToArray() }, new JsonObject { ["version"] = version });

        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            for (var round = 1; round <= 40; round++)
            {
                await store.UpsertAsync("live", [.. Enumerable.Range(0, 25).Select(i => Versioned((w * 25) + i, round))], Ct);
                if (round % 10 == 5)
                {
                    await store.DeleteAsync("live", [$"k{w * 25}"], Ct);
                }
            }
        }, Ct)).ToList();
        var violations = 0;
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            for (var q = 0; q < 300; q++)
            {
                var hits = await store.QueryAsync("live", new VectorQuery(Enumerable.Repeat(1f, dim).ToArray(), "v", 20, WithVectors: true), Ct);
                foreach (var hit in hits)
                {
                    var version = hit.Payload!["version"]!.GetValue<int>();
                    if (hit.Vectors!["v"].Any(x => x != version) || Math.Abs(hit.Score - (version * dim)) > 1e-3)
                    {
                        Interlocked.Increment(ref violations);
                    }
                }
            }
        }, Ct)).ToList();

        await Task.WhenAll([.. writers, .. readers]);

        Assert.Equal(0, violations);
        var all = await store.GetAsync("live", [.. Enumerable.Range(0, 75).Select(i => $"k{i}")], false, true, Ct);
        Assert.Equal(75, all.Count);
        Assert.All(all, p => Assert.Equal(40, p.Payload!["version"]!.GetValue<int>()));
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Get_PayloadFields_InMemoryOnDiskAndThroughThePortsDefault_GivesTheSameFields(bool onDisk, bool throughDefault)
    {
        using var embedded = Open();
        // A wrapper that implements only the whole-payload read: the projection is the port's default.
        IVectorStore store = throughDefault ? new RecordingVectorStore(embedded, new EffectLog()) : embedded;
        var spec = new CollectionSpec("items", new Dictionary<string, int> { ["v"] = 2 }, Distance.Dot, OnDisk: onDisk);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync("items", [
            new VectorPoint("a", new Dictionary<string, float[]> { ["v"] = [1, 2] }, new JsonObject { ["title"] = "A", ["retired"] = true, ["meta"] = new JsonObject { ["k"] = 1 }, ["text"] = "long" }),
            new VectorPoint("b", new Dictionary<string, float[]> { ["v"] = [3, 4] }, null),
        ], Ct);

        var got = (await store.GetAsync("items", ["a", "b"], withVectors: true, ["meta", "retired", "title", "meta"], Ct)).ToDictionary(p => p.Id);

        Assert.Equal("{\"meta\":{\"k\":1},\"retired\":true,\"title\":\"A\"}", got["a"].Payload!.ToJsonString());
        Assert.Equal([1f, 2f], got["a"].Vectors["v"]);
        Assert.Null(got["b"].Payload);
        Assert.Equal([3f, 4f], got["b"].Vectors["v"]);
        var whole = Assert.Single(await store.GetAsync("items", ["a"], withVectors: false, withPayload: true, Ct));
        Assert.Equal(4, whole.Payload!.Count);
    }

    [Fact]
    public async Task Collection_MovesBetweenMemoryAndDisk_KeepingEveryPoint_AndStaysWhereItWasPut()
    {
        var inMemory = new CollectionSpec("users", new Dictionary<string, int> { ["s"] = 2, ["l"] = 2 }, Distance.Dot, new Dictionary<string, PayloadFieldType> { ["parked_in"] = PayloadFieldType.Keyword });
        var onDisk = inMemory with { OnDisk = true };
        static VectorPoint User(int i) => new(
            $"u{i:D2}",
            new Dictionary<string, float[]> { ["s"] = [i, 1], ["l"] = [1, i] },
            new JsonObject { ["n"] = i, ["parked_in"] = i % 3 == 0 ? new JsonArray("clicks:0") : null });

        async Task AssertEveryPointAsync(EmbeddedVectorStore store)
        {
            Assert.Equal(30, await store.CountAsync("users", Ct));
            var got = await store.GetAsync("users", [.. Enumerable.Range(0, 31).Select(i => $"u{i:D2}")], withVectors: true, withPayload: true, Ct);
            Assert.Equal(30, got.Count);
            Assert.All(got, p => Assert.Equal([int.Parse(p.Id[1..], System.Globalization.CultureInfo.InvariantCulture), 1f], p.Vectors["s"]));

            // An indexed field (answered from memory on disk) and a field that is not (read from the file).
            var parked = await store.ScrollAsync("users", new ScrollRequest(4, new VectorFilter { Must = [MatchCondition.Of("parked_in", "clicks:0")] }), Ct);
            var rest = await store.ScrollAsync("users", new ScrollRequest(100, new VectorFilter { Must = [MatchCondition.Of("parked_in", "clicks:0")] }, parked.Next), Ct);
            Assert.Equal(Enumerable.Range(0, 30).Where(i => i % 3 == 0).Select(i => $"u{i:D2}"), parked.Points.Concat(rest.Points).Select(p => p.Id));
            var large = await store.ScrollAsync("users", new ScrollRequest(100, new VectorFilter { Must = [new RangeCondition("n", Gte: 25)] }), Ct);
            Assert.Equal(["u25", "u26", "u27", "u28", "u29"], large.Points.Select(p => p.Id));
            var best = await store.QueryAsync("users", new VectorQuery([1, 0], "s", 2), Ct);
            Assert.Equal(["u29", "u28"], best.Select(p => p.Id));
        }

        using (var store = Open())
        {
            await store.EnsureCollectionAsync(inMemory, Ct);
            await store.UpsertAsync("users", [.. Enumerable.Range(0, 30).Select(User)], Ct);
            await store.EnsureCollectionAsync(onDisk, Ct);
            await AssertEveryPointAsync(store);
            await store.UpsertAsync("users", [User(3) with { Payload = new JsonObject { ["n"] = 3 } }, User(30)], Ct);
            await store.DeleteAsync("users", ["u30"], Ct);
            await store.UpsertAsync("users", [User(3)], Ct);
        }

        using (var reopened = Open())
        {
            // Opened as stored (on disk), before any caller says where it wants it.
            await AssertEveryPointAsync(reopened);
            await reopened.EnsureCollectionAsync(inMemory, Ct);
            await AssertEveryPointAsync(reopened);
        }

        using (var again = Open())
        {
            await again.EnsureCollectionAsync(inMemory, Ct);
            await AssertEveryPointAsync(again);
        }
    }

    [Fact]
    public void SecondOpenOfTheSameFile_FailsClearly_UntilTheFirstCloses()
    {
        using (Open())
        {
            var ex = Assert.Throws<VectorStoreException>(Open);
            Assert.Contains("in use by another process", ex.Message, StringComparison.Ordinal);
        }

        using var reopened = Open();
    }

    [Fact]
    public void ReadById_DuringAWrite_DoesNotWaitForIt_AndSeesTheStateBeforeIt()
    {
        using var persistence = new SqlitePersistence(DbPath, synchronousFull: false);
        persistence.Upsert("c", [new PreparedPoint("old", [[1f]], null)]);
        List<SqlitePersistence.StoredPoint>? seen = null;
        persistence.BeforeCommit = () =>
        {
            // Another thread reads while this one holds the write open: it must not queue behind the write.
            var read = Task.Run(() => persistence.Read("c", ["old", "new"], withPayload: true));
            Assert.True(read.Wait(TimeSpan.FromSeconds(30)), "the read waited for the write to commit");
            seen = read.Result;
        };
        persistence.Upsert("c", [new PreparedPoint("new", [[2f]], null)]);
        persistence.BeforeCommit = null;

        Assert.Equal(["old"], seen!.Select(p => p.Id));
        Assert.Equal(["old", "new"], persistence.Read("c", ["old", "new"], withPayload: true).Select(p => p.Id));
    }

    [Fact]
    public async Task ReturnedPayload_IsACopy_CallerMutationsDoNotLeakIn()
    {
        using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
        await store.EnsureCollectionAsync(new CollectionSpec("c", new Dictionary<string, int> { ["v"] = 2 }), Ct);
        var payload = new JsonObject { ["k"] = "original" };
        await store.UpsertAsync("c", [new VectorPoint("a", new Dictionary<string, float[]> { ["v"] = [1, 0] }, payload)], Ct);
        payload["k"] = "changed-by-caller";
        var first = Assert.Single(await store.GetAsync("c", ["a"], false, true, Ct));
        first.Payload!["k"] = "changed-again";

        var again = Assert.Single(await store.GetAsync("c", ["a"], false, true, Ct));
        Assert.Equal("original", again.Payload!["k"]!.GetValue<string>());
    }

    /// <summary>Reads and hits hand out the stored arrays themselves (no copy): a later write must store a new array and a
    /// delete move references, never write into an array a caller may hold.</summary>
    [Fact]
    public async Task ReturnedVectors_KeepTheirValues_WhenThePointIsRewrittenOrMovedByADelete()
    {
        using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
        await store.EnsureCollectionAsync(new CollectionSpec("c", new Dictionary<string, int> { ["v"] = 8 }, Distance.Dot), Ct);
        float[] Unit(int i, float scale = 1)
        {
            var v = new float[8];
            v[i] = scale;
            return v;
        }

        var written = Unit(2);
        await store.UpsertAsync("c", [.. Enumerable.Range(0, 3).Select(i => new VectorPoint($"p{i}", new Dictionary<string, float[]> { ["v"] = i == 2 ? written : Unit(i) }, null))], Ct);
        written[2] = 9; // the caller's array: not the store's
        var read = Assert.Single(await store.GetAsync("c", ["p2"], withVectors: true, withPayload: false, Ct)).Vectors["v"];
        var hit = Assert.Single(await store.QueryAsync("c", new VectorQuery(Unit(2), "v", 1, WithVectors: true), Ct)).Vectors!["v"];

        await store.UpsertAsync("c", [new VectorPoint("p2", new Dictionary<string, float[]> { ["v"] = Unit(2, 5) }, null)], Ct);
        await store.DeleteAsync("c", ["p0"], Ct); // the last row (p2) moves into p0's place

        Assert.Equal(Unit(2), read);
        Assert.Equal(Unit(2), hit);
        Assert.Equal(Unit(2, 5), Assert.Single(await store.GetAsync("c", ["p2"], withVectors: true, withPayload: false, Ct)).Vectors["v"]);
        var top = Assert.Single(await store.QueryAsync("c", new VectorQuery(Unit(2), "v", 1), Ct));
        Assert.Equal(("p2", 5f), (top.Id, top.Score));
    }

    [Fact]
    public void AddEmbeddedVectorStore_BindsPath_AndRegistersInstrumentedStore()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["StreamRec:VectorStore:Embedded:Path"] = DbPath,
        }).Build();
        using var provider = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddEmbeddedVectorStore().BuildServiceProvider();

        var store = Assert.IsType<InstrumentedVectorStore>(provider.GetRequiredService<IVectorStore>());
        Assert.IsType<EmbeddedVectorStore>(store.Inner);
        Assert.True(File.Exists(DbPath));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A killed child may still hold the file for a moment; the temp directory is harmless.
        }
    }

    private EmbeddedVectorStore Open() => new(new EmbeddedVectorStoreOptions { Path = DbPath });

    private static VectorPoint TwoVectorPoint(string id, int i, JsonObject? payload) =>
        new(id, new Dictionary<string, float[]> { ["a"] = [i, i + 1, i + 2], ["b"] = [-i, 1] }, payload);

    private static float[] RandomVector(Random random, int dim) =>
        [.. Enumerable.Range(0, dim).Select(_ => (float)((random.NextDouble() * 2) - 1))];

    /// <summary>The helper is built next to this assembly's configuration (ProjectReference without output).</summary>
    private static string CrashWriterPath()
    {
        var testOutput = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var framework = Path.GetFileName(testOutput);
        var configuration = Path.GetFileName(Path.GetDirectoryName(testOutput)!);
        var testsRoot = Path.GetFullPath(Path.Combine(testOutput, "..", "..", "..", ".."));
        var path = Path.Combine(testsRoot, "StreamRec.VectorStore.CrashWriter", "bin", configuration, framework, "StreamRec.VectorStore.CrashWriter.dll");
        Assert.True(File.Exists(path), $"crash writer not built at {path}");
        return path;
    }
}
