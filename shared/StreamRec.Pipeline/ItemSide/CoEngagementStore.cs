using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text.Json.Nodes;
using StreamRec.Domain;
using StreamRec.Pipeline.Engines;
using StreamRec.Ports;

namespace StreamRec.Pipeline.ItemSide;

/// <summary>
/// The item side's rows in the vector store (<see cref="Collections.ItemEngagement"/>): read and written by the item
/// side's handler, read by the recommender as its co-engagement source.
/// </summary>
public sealed class CoEngagementStore : ICoEngagementSource
{
    private static readonly Dictionary<string, float[]> Placeholder = new(StringComparer.Ordinal) { [Collections.PlaceholderVector] = [1f] };

    private readonly IVectorStore _store;
    private readonly CoEngagementOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly LruCache<string, (PackedCoEngagementRow? Row, DateTimeOffset ReadAt)> _readCache;

    // The recommender's rows are packed with their neighbours as numbers of this table, so a list's sums are array
    // writes (BenchmarkDotNet ItemSideBenchmarks.Score: 870 µs a list with string-keyed sums).
    private readonly ItemIdTable _ids = new();

    public CoEngagementStore(IVectorStore store, CoEngagementOptions options, TimeProvider? time = null)
    {
        _store = store;
        _options = options;
        _time = time ?? TimeProvider.System;
        _readCache = RowCache<(PackedCoEngagementRow?, DateTimeOffset)>(options, static entry => entry.Item1?.EstimatedBytes ?? 64);
    }

    /// <summary>A cache of rows (the item side's write cache, the recommender's read cache) bounded as the options say:
    /// <see cref="CoEngagementOptions.WriteCacheRows"/> entries and <see cref="CoEngagementOptions.CacheMegabytes"/>
    /// by <paramref name="weigh"/>.</summary>
    internal static LruCache<string, TValue> RowCache<TValue>(CoEngagementOptions options, Func<TValue, long> weigh) =>
        new(Math.Max(1, options.WriteCacheRows), StringComparer.Ordinal, weigh, options.CacheMegabytes * (1L << 20));

    public CoEngagementOptions Options => _options;

    public Task EnsureCollectionAsync(CancellationToken cancellationToken) =>
        _store.EnsureCollectionAsync(Collections.ItemEngagementSpec(_options.RowsOnDisk), cancellationToken);

    /// <summary>The stored rows of <paramref name="itemIds"/>; items without a row are absent.</summary>
    public async Task<Dictionary<string, CoEngagementRow>> LoadAsync(IReadOnlyCollection<string> itemIds, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<string, CoEngagementRow>(StringComparer.Ordinal);
        if (itemIds.Count == 0)
        {
            return rows;
        }

        foreach (var point in await _store.GetAsync(Collections.ItemEngagement, [.. itemIds], withVectors: false, withPayload: true, cancellationToken))
        {
            rows[point.Id] = Decode(point.Payload);
        }

        return rows;
    }

    /// <summary>Writes the rows (durable on return).</summary>
    public Task SaveAsync(IReadOnlyDictionary<string, CoEngagementRow> rows, CancellationToken cancellationToken) =>
        rows.Count == 0
            ? Task.CompletedTask
            : _store.UpsertAsync(Collections.ItemEngagement, rows.Select(kv => new VectorPoint(kv.Key, Placeholder, Encode(kv.Key, kv.Value))).ToArray(), cancellationToken);

    /// <summary>
    /// The co-engagement source: reads the rows of the user's recent items, scores their neighbours, then reads the
    /// best candidates' counts for the cosine normalisation (two batched reads per list).
    /// </summary>
    public async ValueTask<IReadOnlyList<(string ItemId, double Score)>> ScoreAsync(
        IReadOnlyList<string> recentItems, IReadOnlySet<string> exclude, int limit, IReadOnlySet<string>? notPositive, CancellationToken cancellationToken)
    {
        var first = Math.Max(0, recentItems.Count - _options.QueryItems);
        var sources = await ReadAsync(recentItems.Skip(first).Distinct(StringComparer.Ordinal).ToArray(), cancellationToken);
        if (sources.Count == 0)
        {
            return [];
        }

        // Without the candidates' counts the partial scores rank them as if every n were 1: read the counts of a
        // generous pool of the best partial scores, then normalise exactly. The sums are taken once, for both, into
        // arrays kept between lists (a list's sums hold up to QueryItems × 2 × NeighbourLimit entries).
        var partial = Interlocked.Exchange(ref _sparePartial, null) ?? new CoEngagementSums();
        try
        {
            StreamRec.Domain.CoEngagement.PartialScores(recentItems, sources.GetValueOrDefault, _ids, _options, notPositive, partial);
            var candidates = await ReadAsync(StreamRec.Domain.CoEngagement.CandidatePool(partial, _ids, sources, _options, exclude, limit * 4), cancellationToken);
            foreach (var (id, row) in sources)
            {
                candidates[id] = row;
            }

            // Only items with a row read here can score: the pool and the recent items themselves.
            return StreamRec.Domain.CoEngagement.Normalise(candidates, partial, _options, exclude, limit);
        }
        finally
        {
            partial.Clear();
            _sparePartial = partial;
        }
    }

    private CoEngagementSums? _sparePartial;

    /// <summary>Rows for reading (the recommender), packed: from the read cache while younger than ReadCacheSeconds, else
    /// from the store. Rows are never changed through this path.</summary>
    private async Task<Dictionary<string, PackedCoEngagementRow>> ReadAsync(IReadOnlyCollection<string> itemIds, CancellationToken cancellationToken)
    {
        var maxAge = TimeSpan.FromSeconds(_options.ReadCacheSeconds);
        var now = _time.GetUtcNow();
        var rows = new Dictionary<string, PackedCoEngagementRow>(StringComparer.Ordinal);
        var missing = new List<string>();
        lock (_gate)
        {
            foreach (var id in itemIds)
            {
                if (maxAge > TimeSpan.Zero && _readCache.TryGet(id, out var cached) && now - cached.ReadAt < maxAge)
                {
                    if (cached.Row is not null)
                    {
                        rows[id] = cached.Row;
                    }
                }
                else
                {
                    missing.Add(id);
                }
            }
        }

        if (missing.Count > 0)
        {
            var loaded = await LoadAsync(missing, cancellationToken);
            var packed = loaded.ToDictionary(kv => kv.Key, kv => PackedCoEngagementRow.Pack(kv.Key, kv.Value, _ids), StringComparer.Ordinal);
            lock (_gate)
            {
                foreach (var id in missing)
                {
                    var row = packed.GetValueOrDefault(id);
                    if (maxAge > TimeSpan.Zero)
                    {
                        _readCache.Set(id, (row, now));
                    }

                    if (row is not null)
                    {
                        rows[id] = row;
                    }
                }
            }
        }

        return rows;
    }

    public static JsonObject Encode(string itemId, CoEngagementRow row)
    {
        var watermarks = new JsonObject();
        foreach (var (source, offset) in row.Watermarks.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            watermarks[source] = offset;
        }

        return new JsonObject
        {
            [CoEngagementFields.ItemId] = itemId,
            [CoEngagementFields.Count] = row.Count,
            [CoEngagementFields.NeighboursPacked] = PackNeighbours(row.Neighbours),
            [CoEngagementFields.Watermarks] = watermarks,
            [CoEngagementFields.RetryIds] = new JsonArray([.. row.RetryIds.Select(id => (JsonNode?)JsonValue.Create(id))]),
        };
    }

    private const byte PackedVersion = 1;

    /// <summary>
    /// The neighbours as one string, URL-safe base64 without padding (RFC 4648 §5: nothing in it needs escaping in JSON;
    /// standard base64 is still read): a version byte (1), then per neighbour its UTF-8 id's length (unsigned LEB128),
    /// the id's bytes and the weight (IEEE 754 double, little-endian). The neighbours are in a canonical order: by a
    /// 64-bit FNV-1a hash of the id's UTF-16 code units, equal hashes in ordinal id order (rows written before the
    /// night of 2026-12-06 are in ordinal id order; a reader takes any order). The same row always packs to the same
    /// string, so replays leave bit-identical payloads.
    /// </summary>
    public static string PackNeighbours(IReadOnlyDictionary<string, double> neighbours) => PackNeighbours(neighbours, StableHash);

    /// <summary><see cref="PackNeighbours(IReadOnlyDictionary{string, double})"/> with another hash (tests: a constant
    /// one makes every id a tie).</summary>
    internal static string PackNeighbours(IReadOnlyDictionary<string, double> neighbours, Func<string, ulong> hash)
    {
        // A row holds up to twice the neighbour limit and every batch writes each row it changed, so the canonical order
        // is a sort of integers: comparing the ids as strings was most of the time of writing a row (BenchmarkDotNet,
        // ItemSideBenchmarks). Pooled arrays; the bytes go into a per-thread buffer kept between rows.
        var count = neighbours.Count;
        var ids = ArrayPool<string>.Shared.Rent(count);
        var weights = ArrayPool<double>.Shared.Rent(count);
        var keys = ArrayPool<ulong>.Shared.Rent(count);
        var order = ArrayPool<int>.Shared.Rent(count);
        try
        {
            var n = 0;
            foreach (var (id, weight) in neighbours)
            {
                ids[n] = id;
                weights[n] = weight;
                keys[n] = hash(id);
                order[n] = n;
                n++;
            }

            Array.Sort(keys, order, 0, count);
            for (var start = 0; start < count;)
            {
                var end = start + 1;
                while (end < count && keys[end] == keys[start])
                {
                    end++;
                }

                if (end - start > 1)
                {
                    // Equal hashes (rare): those ids in ordinal order.
                    order.AsSpan(start, end - start).Sort((a, b) => string.CompareOrdinal(ids[a], ids[b]));
                }

                start = end;
            }

            var writer = t_packBuffer ??= new ArrayBufferWriter<byte>(1 << 16);
            writer.ResetWrittenCount();
            writer.Write([PackedVersion]);
            for (var i = 0; i < count; i++)
            {
                BinaryFields.WriteString(writer, ids[order[i]]);
                BinaryFields.WriteDouble(writer, weights[order[i]]);
            }

            var packed = Base64Url.EncodeToString(writer.WrittenSpan);
            if (writer.Capacity > KeptBufferBytes)
            {
                t_packBuffer = null; // an outsized row: do not keep its buffer
            }

            return packed;
        }
        finally
        {
            ArrayPool<string>.Shared.Return(ids, clearArray: true);
            ArrayPool<double>.Shared.Return(weights);
            ArrayPool<ulong>.Shared.Return(keys);
            ArrayPool<int>.Shared.Return(order);
        }
    }

    /// <summary>FNV-1a (64-bit) of the id's UTF-16 code units: the same in every process and version, unlike
    /// <see cref="string.GetHashCode()"/>.</summary>
    private static ulong StableHash(string id)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in id)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_packBuffer;

    /// <summary>The largest buffer a thread keeps between rows (a full row of short ids packs to about 16 KB).</summary>
    private const int KeptBufferBytes = 1 << 20;

    /// <summary>Reads what <see cref="PackNeighbours(IReadOnlyDictionary{string, double})"/> wrote into
    /// <paramref name="into"/>; a damaged value is a <see cref="FormatException"/> naming the row.</summary>
    public static void UnpackNeighbours(string packed, Dictionary<string, double> into, string? itemId = null)
    {
        byte[] bytes;
        try
        {
            // Rows written before the URL-safe alphabet used the standard one (whose '+' every JSON writer escapes).
            bytes = packed.AsSpan().IndexOfAny('+', '/', '=') >= 0 ? Convert.FromBase64String(packed) : Base64Url.DecodeFromChars(packed);
        }
        catch (FormatException)
        {
            throw Damaged(itemId, "not base64");
        }

        if (bytes.Length == 0 || bytes[0] != PackedVersion)
        {
            throw Damaged(itemId, $"unknown version {(bytes.Length == 0 ? "(empty)" : bytes[0].ToString(CultureInfo.InvariantCulture))}");
        }

        var reader = new BinaryFieldReader(bytes.AsSpan(1));
        try
        {
            // Sized once, to the count a first pass finds: grown entry by entry, a full row's dictionary was reallocated
            // about ten times (BenchmarkDotNet, ItemSideBenchmarks.DecodeRows: 256 full rows 17.5 -> 15.0 ms,
            // 40.5 -> 23.1 MB allocated).
            into.EnsureCapacity(into.Count + CountNeighbours(reader));
            while (!reader.AtEnd)
            {
                var id = reader.String();
                into[id] = reader.Double();
            }
        }
        catch (FormatException ex)
        {
            throw Damaged(itemId, ex.Message);
        }
    }

    private static int CountNeighbours(BinaryFieldReader reader)
    {
        var count = 0;
        while (!reader.AtEnd)
        {
            reader.Skip(reader.Count());
            reader.Skip(sizeof(double));
            count++;
        }

        return count;
    }

    private static FormatException Damaged(string? itemId, string what) =>
        new($"the co-engagement row of '{itemId ?? "?"}' has a damaged {CoEngagementFields.NeighboursPacked}: {what}");

    /// <summary>A JSON number as a double, whichever .NET type a store's payload mapping chose for it (whole numbers may
    /// come back as integers).</summary>
    private static double Number(JsonNode? node) => node switch
    {
        null => 0,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.TryGetValue<float>(out var f) => f,
        _ => throw new FormatException($"not a number: {node.ToJsonString()}"),
    };

    public static CoEngagementRow Decode(JsonObject? payload)
    {
        var row = new CoEngagementRow();
        if (payload is null)
        {
            return row;
        }

        row.Count = Number(payload[CoEngagementFields.Count]);
        if (payload[CoEngagementFields.NeighboursPacked] is JsonValue packed && packed.TryGetValue<string>(out var text))
        {
            var itemId = payload[CoEngagementFields.ItemId] is JsonValue id && id.TryGetValue<string>(out var s) ? s : null;
            UnpackNeighbours(text, row.Neighbours, itemId);
        }
        else if (payload[CoEngagementFields.Neighbours] is JsonObject neighbours)
        {
            foreach (var (id, weight) in neighbours)
            {
                row.Neighbours[id] = Number(weight);
            }
        }

        if (payload[CoEngagementFields.Watermarks] is JsonObject watermarks)
        {
            foreach (var (source, offset) in watermarks)
            {
                row.Watermarks[source] = (long)Number(offset);
            }
        }

        if (payload[CoEngagementFields.RetryIds] is JsonArray retryIds)
        {
            row.RetryIds.AddRange(retryIds.Select(n => n!.GetValue<string>()));
        }

        return row;
    }
}
