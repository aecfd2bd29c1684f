using System.Globalization;
using System.Text.Json.Nodes;
using StreamRec.SystemBench.Stats;
using StreamRec.Contracts;
using StreamRec.Domain;
using StreamRec.Pipeline.Engines;
using StreamRec.Pipeline.ItemSide;
using StreamRec.Ports;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.SystemBench.Scaling;

/// <summary>Latency and memory against catalogue size: one row per size.</summary>
/// <param name="SearchMs">The store query the recommender issues (top-K with vectors and payload, retired and seen items filtered).</param>
/// <param name="BandwidthBoundMs">Time to read every stored vector once at the measured copy bandwidth.</param>
/// <param name="SearchToBound">SearchMs p50 / BandwidthBoundMs: 1 means the search runs at memory speed.</param>
/// <param name="ListMs">A whole list through <see cref="RecommendationEngine"/>: retrieve, re-rank, MMR.</param>
public sealed record CatalogScalingRow(int Items, int Dimension, int Candidates, PerUnitMemory? Memory, LatencySummary? SearchMs, double BandwidthBoundMs, double? SearchToBound, LatencySummary? ListMs);

/// <summary>Profile load / apply / save against the number of stored users, per user, in batches like the consumer's.</summary>
/// <param name="Memory">What the store holds per stored user.</param>
public sealed record UserScalingRow(int Users, int Dimension, int RecentItems, PerUnitMemory? Memory, double LoadMicrosPerUser, double ApplyMicrosPerUser, double SaveMicrosPerUser, LatencySummary? BatchMs)
{
    /// <summary>Where the users were stored: "in-memory store" or "SQLite file, users on disk" (null in reports written
    /// before the file was measured: the in-memory store).</summary>
    public string? Store { get; init; }

    /// <summary>GC heap per user profile held decoded, as the profile updater's cache holds one, counting the shared item-id
    /// strings those loads added (null when not measured).</summary>
    public PerUnitMemory? CachedProfile { get; init; }

    /// <summary>Opening the store file again afterwards, as a restart does (a collection in memory is loaded whole, one on
    /// disk reads its ids); null for the in-memory store.</summary>
    public double? ReopenSeconds { get; init; }
}

/// <summary>
/// What an item's co-engagement row costs (the item side's state): rows with <paramref name="Neighbours"/> entries each (a
/// row holds between the limit and twice the limit between prunes; the midpoint is measured) and one watermark per source partition.
/// </summary>
/// <param name="InMemory">Heap per row in the item side's write cache (the rows as objects).</param>
/// <param name="Stored">Heap per row in the embedded store holding them: a SQLite file, the rows in memory or on disk as
/// <c>StreamRec:CoEngagement:RowsOnDisk</c> says (reports before 2026-12-06 evening: the in-memory store).</param>
/// <param name="PayloadBytesPerRow">The row's JSON payload, as written to the store.</param>
/// <param name="SaveMicrosPerRow">Writing a batch of 256 changed rows, per row (encode + upsert).</param>
/// <param name="LoadMicrosPerRow">Reading a batch of 256 rows, per row (get + decode).</param>
public sealed record EngagementRowScaling(int Rows, int Neighbours, PerUnitMemory? InMemory, PerUnitMemory? Stored, double PayloadBytesPerRow, double SaveMicrosPerRow, double LoadMicrosPerRow);

/// <summary>Everything <see cref="ScalingBench"/> measured.</summary>
public sealed record ScalingResult(double CopyBandwidthGBps, IReadOnlyList<CatalogScalingRow> Catalog, IReadOnlyList<UserScalingRow> Users)
{
    /// <summary>The item side's rows (null in reports written before it was measured).</summary>
    public EngagementRowScaling? EngagementRows { get; init; }
}

/// <summary>Knobs of <see cref="ScalingBench"/>; defaults are the full run.</summary>
public sealed record ScalingOptions
{
    /// <summary>Catalogue sizes. Default 10k, 100k, 1M.</summary>
    public IReadOnlyList<int> CatalogSizes { get; init; } = [10_000, 100_000, 1_000_000];

    /// <summary>User counts. Default 10k, 100k, 1M.</summary>
    public IReadOnlyList<int> UserCounts { get; init; } = [10_000, 100_000, 1_000_000];

    /// <summary>Vector dimension. Default 384 (MiniLM).</summary>
    public int Dimension { get; init; } = 384;

    /// <summary>Lists timed per catalogue size (fewer for the largest). Default 200.</summary>
    public int Lists { get; init; } = 200;

    /// <summary>Recent item ids per synthetic user (the seen filter). Default 20.</summary>
    public int RecentItems { get; init; } = 20;

    /// <summary>Event ids each synthetic user remembers for duplicate detection (<c>StreamRec:Profile:DuplicateWindow</c>,
    /// 100 in the services once a user has that many events). Default 0.</summary>
    public int EventIds { get; init; }

    /// <summary>Engagement-outbox entries each synthetic user carries from its last write (a click leaves one, with its
    /// history of up to 50 items). Default 0.</summary>
    public int OutboxEntries { get; init; }

    /// <summary>Store the users in a SQLite file in a temporary directory, as the services do (fsync per commit, users on
    /// disk as <c>StreamRec:Profile:UsersOnDisk</c> says), instead of the in-memory store. Default false.</summary>
    public bool UsersInFile { get; init; }

    /// <summary>A user as the services hold one after a long history: 200 recent items, 100 remembered event ids, one
    /// outbox entry (issue 16's "full user"), stored as the services store it (<see cref="UsersInFile"/>).</summary>
    public ScalingOptions AsFullUsers() => this with { RecentItems = new ProfileOptions().SeenHistory, EventIds = new ProfileOptions().DuplicateWindow, OutboxEntries = 1, UsersInFile = true };

    /// <summary>With <see cref="UsersInFile"/>: declare the users collection on disk (<c>StreamRec:Profile:UsersOnDisk</c>).
    /// Default true, as the services.</summary>
    public bool UsersOnDisk { get; init; } = true;

    /// <summary>Decoded profiles held to measure what one costs in the profile cache. Default 10,000.</summary>
    public int CachedProfiles { get; init; } = 10_000;

    /// <summary>Users per load/apply/save batch, as the consumer hands them over. Default 64.</summary>
    public int UserBatch { get; init; } = 64;

    /// <summary>Co-engagement rows measured. Default 10,000 (a MovieLens-sized catalogue); 0 skips them.</summary>
    public int EngagementRows { get; init; } = 10_000;

    public static ScalingOptions Quick { get; } = new() { CatalogSizes = [10_000, 100_000], UserCounts = [10_000, 100_000], Lists = 50 };
}

/// <summary>
/// Kafka-free scaling: the recommendation engine over an in-memory embedded store of 10k → 1M synthetic 384-dim
/// items, and the profile engine over 10k → 1M synthetic users. Each size gets a fresh store, measured after a full GC.
/// </summary>
public static class ScalingBench
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    public static async Task<ScalingResult> RunAsync(ScalingOptions options, TimeProvider time, IProgress<string> progress, CancellationToken cancellationToken)
    {
        progress.Report("scaling: measuring copy bandwidth");
        var bandwidth = CopyBandwidth.BytesPerSecond();
        progress.Report($"  {bandwidth / 1e9:F2} GB/s");
        var catalog = new List<CatalogScalingRow>();
        foreach (var size in options.CatalogSizes)
        {
            progress.Report($"scaling: catalogue of {size:N0} items");
            catalog.Add(await CatalogAsync(size, options, bandwidth, time, cancellationToken));
            var row = catalog[^1];
            progress.Report($"  search p50 {row.SearchMs?.P50:F2} ms (bound {row.BandwidthBoundMs:F2} ms), list p50 {row.ListMs?.P50:F2} ms p99 {row.ListMs?.P99:F2} ms, {row.Memory?.HeapBytesPerUnit:F0} B/item");
        }

        var users = new List<UserScalingRow>();
        foreach (var count in options.UserCounts)
        {
            progress.Report($"scaling: {count:N0} users");
            users.Add(await UsersAsync(count, options, time, cancellationToken));
            var row = users[^1];
            progress.Report($"  load {row.LoadMicrosPerUser:F1} µs, apply {row.ApplyMicrosPerUser:F1} µs, save {row.SaveMicrosPerUser:F1} µs per user, {row.Memory?.HeapBytesPerUnit:F0} B/user");
        }

        EngagementRowScaling? rows = null;
        if (options.EngagementRows > 0)
        {
            progress.Report($"scaling: {options.EngagementRows:N0} co-engagement rows");
            rows = await EngagementRowsAsync(options.EngagementRows, cancellationToken);
            progress.Report($"  {rows.InMemory?.HeapBytesPerUnit:F0} B/row in memory, {rows.Stored?.HeapBytesPerUnit:F0} B/row stored, {rows.PayloadBytesPerRow:F0} B payload, save {rows.SaveMicrosPerRow:F1} µs, load {rows.LoadMicrosPerRow:F1} µs per row");
        }

        return new ScalingResult(Math.Round(bandwidth / 1e9, 2), catalog, users) { EngagementRows = rows };
    }

    private static async Task<EngagementRowScaling> EngagementRowsAsync(int count, CancellationToken cancellationToken)
    {
        var options = new CoEngagementOptions();
        var neighbours = options.NeighbourLimit * 3 / 2;
        var random = new Random(count);
        var ids = Enumerable.Range(0, count).Select(ItemId).ToArray();

        var before = MemorySnapshot.Take();
        var rows = new Dictionary<string, CoEngagementRow>(count, StringComparer.Ordinal);
        foreach (var id in ids)
        {
            var row = new CoEngagementRow { Count = random.Next(1, 5_000) };
            while (row.Neighbours.Count < neighbours)
            {
                // Weights are sums of 2^-(d-1)/h terms: arbitrary doubles, as in a real row.
                row.Neighbours[ids[random.Next(count)]] = random.NextDouble() * 40;
            }

            for (var p = 0; p < 6; p++)
            {
                row.Watermarks[UserProfile.OffsetKey(Topics.UserEvents, p)] = random.Next(1_000_000);
            }

            rows[id] = row;
        }

        var inMemory = MemorySnapshot.PerUnit(before, MemorySnapshot.Take(), count);
        var payload = rows.Take(100).Average(kv => (double)System.Text.Encoding.UTF8.GetByteCount(CoEngagementStore.Encode(kv.Key, kv.Value).ToJsonString()));

        // Stored as the services store them: a SQLite file (fsync per commit), the rows where CoEngagement:RowsOnDisk says.
        return await InTemporaryDirectoryAsync("streamrec-rows-bench-", directory =>
            StoredRowsAsync(count, neighbours, ids, rows, inMemory, payload, options, random, directory, cancellationToken));
    }

    /// <summary>Runs <paramref name="run"/> with a new temporary directory, deleted afterwards.</summary>
    private static async Task<T> InTemporaryDirectoryAsync<T>(string prefix, Func<string, Task<T>> run)
    {
        var directory = Directory.CreateTempSubdirectory(prefix);
        try
        {
            return await run(directory.FullName);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async Task<EngagementRowScaling> StoredRowsAsync(
        int count, int neighbours, string[] ids, Dictionary<string, CoEngagementRow> rows, PerUnitMemory? inMemory, double payload,
        CoEngagementOptions options, Random random, string directory, CancellationToken cancellationToken)
    {
        var beforeStore = MemorySnapshot.Take();
        using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = Path.Combine(directory, "vectors.db") });
        var rowStore = new CoEngagementStore(store, options);
        await rowStore.EnsureCollectionAsync(cancellationToken);
        const int batch = 256;
        var save = 0.0;
        for (var start = 0; start < count; start += batch)
        {
            var chunk = ids.Skip(start).Take(batch).ToDictionary(id => id, id => rows[id], StringComparer.Ordinal);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await rowStore.SaveAsync(chunk, cancellationToken);
            save += System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }

        var stored = MemorySnapshot.PerUnit(beforeStore, MemorySnapshot.Take(), count);
        var load = 0.0;
        var loads = Math.Min(40, count / batch);
        for (var b = 0; b < loads; b++)
        {
            var wanted = Enumerable.Range(0, batch).Select(_ => ids[random.Next(count)]).Distinct(StringComparer.Ordinal).ToArray();
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            _ = await rowStore.LoadAsync(wanted, cancellationToken);
            load += System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMicroseconds / wanted.Length;
        }

        GC.KeepAlive(rows);
        return new EngagementRowScaling(count, neighbours, inMemory, stored, Math.Round(payload), Math.Round(save / count, 1), loads == 0 ? 0 : Math.Round(load / loads, 1));
    }

    private static async Task<CatalogScalingRow> CatalogAsync(int size, ScalingOptions options, double bandwidth, TimeProvider time, CancellationToken cancellationToken)
    {
        var random = new Random(size);
        var before = MemorySnapshot.Take();
        using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = EmbeddedVectorStoreOptions.InMemory });
        await store.EnsureCollectionAsync(Collections.ItemsSpec(options.Dimension), cancellationToken);
        const int chunk = 10_000;
        for (var start = 0; start < size; start += chunk)
        {
            var points = new VectorPoint[Math.Min(chunk, size - start)];
            for (var i = 0; i < points.Length; i++)
            {
                points[i] = Item(start + i, random, options.Dimension);
            }

            await store.UpsertAsync(Collections.Items, points, cancellationToken);
        }

        var memory = MemorySnapshot.PerUnit(before, MemorySnapshot.Take(), size);
        var ranking = new RankingOptions();
        var profileOptions = new ProfileOptions();
        var trending = new TrendingCounter(ranking.TrendingHalfLife);
        for (var i = 0; i < 1000; i++)
        {
            trending.Add(ItemId(random.Next(size)), Now.AddMinutes(-random.Next(600)));
        }

        var engine = new RecommendationEngine(store, trending, ranking, profileOptions, time);
        // The largest catalogues take tens of ms per list; fewer samples keep the run within its budget.
        var lists = size >= 1_000_000 ? Math.Max(20, options.Lists / 4) : options.Lists;
        var profiles = Enumerable.Range(0, lists).Select(i => Profile($"u{i}", random, options, size)).ToArray();
        var notRetired = new VectorFilter { MustNot = [MatchCondition.Of(ItemFields.Retired, true)] };

        // Warm both paths once (JIT, first-touch of the segments).
        await engine.RecommendAsync([profiles[0]], Now, cancellationToken);
        var search = new List<double>(lists);
        var list = new List<double>(lists);
        foreach (var p in profiles)
        {
            var query = new VectorQuery(p.QueryVector(profileOptions.ShortTermWeight)!, Collections.ItemVector, ranking.Candidates,
                notRetired with { ExcludeIds = p.RecentItems.ToHashSet(StringComparer.Ordinal) }, WithVectors: true, WithPayload: true);
            var started = time.GetTimestamp();
            await store.QueryAsync(Collections.Items, query, cancellationToken);
            search.Add(time.GetElapsedTime(started).TotalMilliseconds);

            started = time.GetTimestamp();
            await engine.RecommendAsync([p], Now, cancellationToken);
            list.Add(time.GetElapsedTime(started).TotalMilliseconds);
        }

        var searchSummary = Percentiles.Summarize(search);
        var bound = CopyBandwidth.BoundMs((double)size * options.Dimension * sizeof(float), bandwidth);
        return new CatalogScalingRow(size, options.Dimension, ranking.Candidates, memory, searchSummary, Math.Round(bound, 3),
            searchSummary is { } s ? Math.Round(s.P50 / bound, 2) : null, Percentiles.Summarize(list));
    }

    private static async Task<UserScalingRow> UsersAsync(int count, ScalingOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var random = new Random(count);
        var profileOptions = new ProfileOptions { UsersOnDisk = options.UsersOnDisk };
        if (!options.UsersInFile)
        {
            return await UsersAsync(count, options, profileOptions, random, null, time, cancellationToken);
        }

        return await InTemporaryDirectoryAsync("streamrec-users-bench-", async directory =>
        {
            var row = await UsersAsync(count, options, profileOptions, random, directory, time, cancellationToken);
            var started = time.GetTimestamp();
            using (new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = Path.Combine(directory, "vectors.db") }))
            {
                return row with { ReopenSeconds = Math.Round(time.GetElapsedTime(started).TotalSeconds, 2) };
            }
        });
    }

    private static async Task<UserScalingRow> UsersAsync(
        int count, ScalingOptions options, ProfileOptions profileOptions, Random random, string? directory, TimeProvider time, CancellationToken cancellationToken)
    {
        var before = MemorySnapshot.Take();
        using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { Path = directory is null ? EmbeddedVectorStoreOptions.InMemory : Path.Combine(directory, "vectors.db") });
        var engine = new ProfileEngine(store, new DimensionOnlyEncoder(options.Dimension), profileOptions, time);
        await engine.EnsureCollectionAsync(cancellationToken);
        await StoreUsersAsync(engine, count, random, options, cancellationToken);
        var memory = MemorySnapshot.PerUnit(before, MemorySnapshot.Take(), count);
        var item = RandomUnit(random, options.Dimension);
        var batches = Math.Max(10, Math.Min(100, count / options.UserBatch));
        double load = 0, apply = 0, save = 0;
        var batchMs = new List<double>(batches);
        var now = time.GetUtcNow();
        for (var b = 0; b < batches + 1; b++)
        {
            var ids = Enumerable.Range(0, options.UserBatch).Select(_ => UserId(random.Next(count))).Distinct(StringComparer.Ordinal).ToArray();
            var started = time.GetTimestamp();
            var profiles = await engine.LoadAsync(ids, cancellationToken);
            var loaded = time.GetTimestamp();
            var offset = 1_000_000L + b;
            foreach (var profile in profiles.Values)
            {
                var click = new Click { EventId = $"bench-{b}-{profile.UserId}", OccurredAt = now.AddDays(-1), UserId = profile.UserId, ItemId = "bench-item" };
                engine.Apply(profile, new PositionedEvent(click, Topics.UserEvents, 0, offset, now), item, null);
            }

            var applied = time.GetTimestamp();
            await engine.SaveAsync(profiles.Values.ToArray(), cancellationToken);
            var saved = time.GetTimestamp();
            if (b == 0)
            {
                continue; // warm-up batch
            }

            load += time.GetElapsedTime(started, loaded).TotalMicroseconds / ids.Length;
            apply += time.GetElapsedTime(loaded, applied).TotalMicroseconds / ids.Length;
            save += time.GetElapsedTime(applied, saved).TotalMicroseconds / ids.Length;
            batchMs.Add(time.GetElapsedTime(started, saved).TotalMilliseconds);
        }

        // The profile cache holds decoded profiles: what one costs there, for users the store keeps on disk. An upper bound:
        // item ids first shared by these loads add their ItemIdPool entries (about 64 B each, at most 100,000) to the delta.
        PerUnitMemory? cached = null;
        if (options.CachedProfiles > 0)
        {
            var ids = Enumerable.Range(0, Math.Min(count, options.CachedProfiles)).Select(UserId).ToArray();
            var heldBefore = MemorySnapshot.Take();
            var held = await engine.LoadAsync(ids, cancellationToken);
            cached = MemorySnapshot.PerUnit(heldBefore, MemorySnapshot.Take(), held.Count);
            GC.KeepAlive(held);
        }

        return new UserScalingRow(count, options.Dimension, options.RecentItems, memory,
            Math.Round(load / batches, 2), Math.Round(apply / batches, 2), Math.Round(save / batches, 2), Percentiles.Summarize(batchMs))
        {
            Store = directory is null ? "in-memory store" : profileOptions.UsersOnDisk ? "SQLite file, users on disk" : "SQLite file, users in memory",
            CachedProfile = cached,
        };
    }

    /// <summary>Stores <paramref name="count"/> synthetic users. A method of its own: the last chunk of profiles would
    /// otherwise stay reachable from the caller's async state until it returns, and count as the store's memory.</summary>
    private static async Task StoreUsersAsync(ProfileEngine engine, int count, Random random, ScalingOptions options, CancellationToken cancellationToken)
    {
        const int chunk = 5_000;
        for (var start = 0; start < count; start += chunk)
        {
            var profiles = Enumerable.Range(start, Math.Min(chunk, count - start)).Select(i => Profile(UserId(i), random, options, 100_000)).ToArray();
            await engine.SaveAsync(profiles, cancellationToken);
        }
    }

    private static VectorPoint Item(int index, Random random, int dimension) => new(
        ItemId(index),
        new Dictionary<string, float[]> { [Collections.ItemVector] = RandomUnit(random, dimension) },
        new JsonObject
        {
            [ItemFields.ItemId] = ItemId(index),
            [ItemFields.Title] = "Synthetic item " + index.ToString(CultureInfo.InvariantCulture),
            [ItemFields.PublishedAt] = Now.AddDays(-random.Next(0, 3650)).ToUnixTimeSeconds(),
            [ItemFields.Retired] = false,
            [ItemFields.Version] = 1,
        });

    private static UserProfile Profile(string id, Random random, ScalingOptions options, int items)
    {
        var profile = new UserProfile(id, options.Dimension);
        profile.SetVectors(RandomUnit(random, options.Dimension), RandomUnit(random, options.Dimension));
        profile.ReferenceTime = Now.AddDays(-2);
        profile.Clicks = options.RecentItems;
        profile.Version = options.RecentItems;
        for (var i = 0; i < options.RecentItems; i++)
        {
            profile.RecentItems.Add(ItemId(random.Next(items)));
        }

        profile.MarkApplied(Topics.UserEvents, 0, random.Next(1_000_000));
        for (var i = 0; i < options.EventIds; i++)
        {
            profile.RememberEvent($"evt-{id}-{i.ToString(CultureInfo.InvariantCulture)}", options.EventIds);
        }

        var history = profile.RecentItems.TakeLast(new CoEngagementOptions().HistorySize + 1).ToArray();
        for (var i = 0; i < options.OutboxEntries && history.Length > 0; i++)
        {
            var engagement = new AppliedEngagement(history[^1], history[..^1], Topics.UserEvents, 0, 1_000 + i, Retried: false);
            profile.Outbox.Add(new OutboxEntry(engagement, engagement.PartitionKey, engagement.Offset));
        }

        return profile;
    }

    private static string ItemId(int i) => "item-" + i.ToString(CultureInfo.InvariantCulture);

    private static string UserId(int i) => "user-" + i.ToString(CultureInfo.InvariantCulture);

    private static float[] RandomUnit(Random random, int dimension)
    {
        var v = new float[dimension];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = random.NextSingle() * 2 - 1;
        }

        VectorMath.NormalizeInPlace(v);
        return v;
    }

    /// <summary>The profile engine needs the dimension only for loading and saving; no text is encoded here.</summary>
    private sealed class DimensionOnlyEncoder(int dimension) : ITextEncoder
    {
        public int Dimension => dimension;

        public EncoderInfo Info => new("none", "none", dimension, 0, false);

        public Task<float[][]> EncodeAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken) =>
            throw new NotSupportedException("the user scaling bench encodes no text");
    }
}
