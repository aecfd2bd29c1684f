using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using StreamRec.Ports;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.Cli.Commands;

/// <summary><c>streamrec store</c>: vector-store tools. <c>store bench</c> measures exact top-k search of
/// the embedded store and sets it beside the memory-bandwidth bound, since an exact scan cannot beat
/// the time it takes to read every vector once.</summary>
internal static class StoreCommand
{
    public static Command Create()
    {
        var command = new Command("store", "Vector store tools: bench.");
        command.Subcommands.Add(Bench());
        return command;
    }

    private static Command Bench()
    {
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated collection sizes.", DefaultValueFactory = _ => "10000,100000,1000000" };
        var dim = new Option<int>("--dim") { Description = "Vector dimension.", DefaultValueFactory = _ => 384 };
        var k = new Option<int>("--k") { Description = "Results per query (top-k).", DefaultValueFactory = _ => 200 };
        var queries = new Option<int>("--queries") { Description = "Queries per size; 0 picks a count that scans about 8 GB per size.", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Random seed for vectors and queries.", DefaultValueFactory = _ => 42 };
        var batch = new Option<int>("--batch") { Description = "Also measure batches of this many queries (QueryBatchAsync, one shared pass); 0 skips.", DefaultValueFactory = _ => 16 };
        var json = new Option<string?>("--json") { Description = "Also write the rows as JSON to this file." };
        var command = new Command("bench", "Exact top-k search throughput and latency of the in-memory embedded store vs the memory-bandwidth bound.")
        {
            sizes, dim, k, queries, batch, seed, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var sizeList = parse.GetValue(sizes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, NumberStyles.AllowThousands, CultureInfo.InvariantCulture)).ToList();
            var rows = await RunAsync(sizeList, parse.GetValue(dim), parse.GetValue(k), parse.GetValue(queries), parse.GetValue(batch), parse.GetValue(seed), ct);
            if (parse.GetValue(json) is { } path)
            {
                var array = new JsonArray([.. rows.Select(r => (JsonNode)r.ToJson())]);
                await File.WriteAllTextAsync(path, array.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), ct);
                Console.WriteLine($"rows written to {path}");
            }

            return 0;
        });
        return command;
    }

    private static async Task<List<BenchRow>> RunAsync(List<int> sizes, int dim, int k, int queryCount, int batchSize, int seed, CancellationToken ct)
    {
        var bandwidth = MeasureCopyBandwidth();
        Console.WriteLine($"cores: {Environment.ProcessorCount}, dim: {dim}, k: {k}, copy bandwidth (all cores, 512 MiB): {bandwidth / 1e9:F2} GB/s");
        Console.WriteLine("bound = bytes scanned per query / copy bandwidth; ratio = p50 latency / bound (1.0 = memory-bound)");
        Console.WriteLine();
        Console.WriteLine($"batch q/s = queries/s when sent {batchSize} at a time through QueryBatchAsync (one pass over memory per batch)");
        Console.WriteLine();
        Console.WriteLine($"{"vectors",10} {"queries",8} {"load s",8} {"q/s",9} {"p50 ms",9} {"p99 ms",9} {"MB/query",9} {"bound ms",9} {"ratio",6} {"batch q/s",10}");
        var rows = new List<BenchRow>();
        foreach (var size in sizes)
        {
            var row = await RunSizeAsync(size, dim, k, queryCount, batchSize, seed, bandwidth, ct);
            rows.Add(row);
            Console.WriteLine($"{row.Vectors,10:N0} {row.Queries,8} {row.LoadSeconds,8:F1} {row.QueriesPerSecond,9:F1} {row.P50Ms,9:F2} {row.P99Ms,9:F2} {row.BytesPerQuery / 1e6,9:F1} {row.BoundMs,9:F2} {row.Ratio,6:F2} {row.BatchQueriesPerSecond,10:F1}");
            GC.Collect();
        }

        return rows;
    }

    private static async Task<BenchRow> RunSizeAsync(int size, int dim, int k, int queryCount, int batchSize, int seed, double bandwidth, CancellationToken ct)
    {
        var random = new Random(seed);
        using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
        const string collection = "bench";
        await store.EnsureCollectionAsync(new CollectionSpec(collection, new Dictionary<string, int> { ["v"] = dim }), ct);

        var loadStarted = Stopwatch.GetTimestamp();
        const int upsertBatch = 10_000;
        for (var start = 0; start < size; start += upsertBatch)
        {
            var batch = new List<VectorPoint>(Math.Min(upsertBatch, size - start));
            for (var i = start; i < Math.Min(size, start + upsertBatch); i++)
            {
                batch.Add(new VectorPoint($"item-{i}", new Dictionary<string, float[]> { ["v"] = RandomVector(random, dim) }, null));
            }

            await store.UpsertAsync(collection, batch, ct);
        }

        var loadSeconds = Stopwatch.GetElapsedTime(loadStarted).TotalSeconds;
        var bytesPerQuery = (long)size * dim * sizeof(float);
        var n = queryCount > 0 ? queryCount : (int)Math.Clamp(8e9 / bytesPerQuery, 30, 1000);
        var queries = Enumerable.Range(0, n + 3).Select(_ => new VectorQuery(RandomVector(random, dim), "v", k, WithPayload: false)).ToList();

        // Warm-up: JIT tiering and first-touch page faults are not what we measure.
        for (var i = 0; i < 3; i++)
        {
            await store.QueryAsync(collection, queries[i], ct);
        }

        var latencies = new double[n];
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            var t = Stopwatch.GetTimestamp();
            var hits = await store.QueryAsync(collection, queries[i + 3], ct);
            latencies[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            if (hits.Count != Math.Min(k, size))
            {
                throw new InvalidOperationException($"expected {Math.Min(k, size)} hits, got {hits.Count}");
            }
        }

        var total = Stopwatch.GetElapsedTime(started).TotalSeconds;

        // The same queries again, batchSize at a time: what a caller batching users gets.
        double batchRate = 0;
        if (batchSize > 0)
        {
            var batches = queries.Skip(3).Chunk(batchSize).Where(b => b.Length == batchSize).ToList();
            if (batches.Count == 0)
            {
                batches = [[.. Enumerable.Range(0, batchSize).Select(i => queries[3 + (i % n)])]];
            }

            var batchStarted = Stopwatch.GetTimestamp();
            foreach (var b in batches)
            {
                await store.QueryBatchAsync(collection, b, ct);
            }

            batchRate = batches.Count * batchSize / Stopwatch.GetElapsedTime(batchStarted).TotalSeconds;
        }

        Array.Sort(latencies);
        var p50 = Percentile(latencies, 0.50);
        var boundMs = bytesPerQuery / bandwidth * 1000;
        return new BenchRow(size, dim, k, n, loadSeconds, n / total, p50, Percentile(latencies, 0.99), bytesPerQuery, boundMs, p50 / boundMs, bandwidth, batchSize, batchRate);
    }

    /// <summary>Best of five all-core copies of a 512 MiB array: what the memory system delivers to a
    /// streaming reader, in bytes copied per second.</summary>
    private static double MeasureCopyBandwidth()
    {
        const int length = 128 * 1024 * 1024;
        var source = new float[length];
        var target = new float[length];
        Array.Fill(source, 1f);
        Array.Fill(target, 0f);
        var workers = Environment.ProcessorCount;
        var chunk = length / workers;
        var best = double.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var t = Stopwatch.GetTimestamp();
            Parallel.For(0, workers, w => source.AsSpan(w * chunk, chunk).CopyTo(target.AsSpan(w * chunk, chunk)));
            best = Math.Min(best, Stopwatch.GetElapsedTime(t).TotalSeconds);
        }

        return (double)workers * chunk * sizeof(float) / best;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static float[] RandomVector(Random random, int dim)
    {
        var v = new float[dim];
        for (var i = 0; i < dim; i++)
        {
            v[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return v;
    }

    private sealed record BenchRow(
        int Vectors, int Dim, int K, int Queries, double LoadSeconds, double QueriesPerSecond, double P50Ms, double P99Ms,
        long BytesPerQuery, double BoundMs, double Ratio, double CopyBandwidthBytesPerSecond, int BatchSize, double BatchQueriesPerSecond)
    {
        public JsonObject ToJson() => new()
        {
            ["vectors"] = Vectors,
            ["dim"] = Dim,
            ["k"] = K,
            ["queries"] = Queries,
            ["load_seconds"] = Math.Round(LoadSeconds, 3),
            ["queries_per_second"] = Math.Round(QueriesPerSecond, 2),
            ["p50_ms"] = Math.Round(P50Ms, 3),
            ["p99_ms"] = Math.Round(P99Ms, 3),
            ["bytes_per_query"] = BytesPerQuery,
            ["bound_ms"] = Math.Round(BoundMs, 3),
            ["ratio"] = Math.Round(Ratio, 3),
            ["copy_bandwidth_gb_per_s"] = Math.Round(CopyBandwidthBytesPerSecond / 1e9, 3),
            ["batch_size"] = BatchSize,
            ["batch_queries_per_second"] = Math.Round(BatchQueriesPerSecond, 2),
        };
    }
}
