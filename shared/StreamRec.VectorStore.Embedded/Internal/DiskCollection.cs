using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using StreamRec.Ports;

namespace StreamRec.VectorStore.Embedded.Internal;

/// <summary>
/// A collection declared <see cref="CollectionSpec.OnDisk"/>: its points stay in the SQLite file, read by id when asked
/// for. Memory holds each point's id and, for points that have any, the values of the collection's indexed payload
/// fields, so counts and filtered scrolls over indexed fields need no read of the file. A search scans the file (exact,
/// slow: such collections are read by id). Writes reach the file before <see cref="Apply"/> records them here, as for
/// in-memory collections.
/// </summary>
internal sealed class DiskCollection : IPointCollection
{
    private readonly CollectionIndex _layout;
    private readonly SqlitePersistence _persistence;
    private readonly string[] _indexedRoots;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, JsonElement?> _members = new(StringComparer.Ordinal);

    private DiskCollection(CollectionSpec spec, SqlitePersistence persistence)
    {
        _layout = new CollectionIndex(spec);
        _persistence = persistence;

        // A filter key may be a dotted path; the payload's top-level property it starts with is what memory keeps.
        _indexedRoots = [.. (spec.IndexedFields?.Keys ?? []).Select(k => k.Split('.')[0]).Distinct(StringComparer.Ordinal)];
    }

    public CollectionSpec Spec => _layout.Spec;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _members.Count;
            }
        }
    }

    /// <summary>The collection as stored in <paramref name="persistence"/>: one pass over its ids; a payload becomes a string
    /// here only when its text names an indexed field.</summary>
    public static DiskCollection Open(CollectionSpec spec, SqlitePersistence persistence)
    {
        var collection = new DiskCollection(spec, persistence);
        persistence.ReadPayloads(spec.Name, collection.Needles(), (id, payload) => collection._members[id] = collection.IndexedOf(payload));
        return collection;
    }

    public string? Incompatibility(CollectionSpec spec) => _layout.Incompatibility(spec);

    public PreparedPoint Prepare(VectorPoint point) => _layout.Prepare(point);

    public void Apply(IReadOnlyList<PreparedPoint> points)
    {
        var indexed = points.Select(p => IndexedOf(p.Payload)).ToArray();
        lock (_gate)
        {
            for (var i = 0; i < points.Count; i++)
            {
                _members[points[i].Id] = indexed[i];
            }
        }
    }

    public void Delete(IReadOnlyList<string> ids)
    {
        lock (_gate)
        {
            foreach (var id in ids)
            {
                _members.Remove(id);
            }
        }
    }

    public List<VectorPoint> Get(IReadOnlyList<string> ids, bool withVectors, bool withPayload, IReadOnlyList<string>? fields = null)
    {
        // Decoded after the read, so the connection is held for the reads alone.
        var stored = _persistence.Read(Spec.Name, ids, withPayload);
        return stored.ConvertAll(p => new VectorPoint(p.Id, withVectors ? VectorsOf(p.Vectors) : new Dictionary<string, float[]>(), ToObject(p.Payload, fields)));
    }

    /// <summary>An exact scan of the stored rows, every query in one pass; filters are checked only for a candidate that
    /// would enter its query's top list, as in memory.</summary>
    public List<IReadOnlyList<ScoredPoint>> Search(IReadOnlyList<VectorQuery> queries)
    {
        var prepared = queries.Select(q => (Query: q, Prepared: _layout.PrepareQuery(q))).ToArray();
        var offsets = new int[_layout.VectorNames.Count];
        for (var v = 1; v < offsets.Length; v++)
        {
            offsets[v] = offsets[v - 1] + _layout.Dimensions[v - 1];
        }

        var count = Math.Max(Count, 1);
        var tops = prepared.Select(p => new TopK(Math.Min(p.Query.Limit, count))).ToArray();
        var filters = prepared.Select(p => PayloadFilter.Split(p.Query.Filter)).ToArray();
        var kept = new List<(string Id, byte[] Vectors, string? Payload)>();
        _persistence.Scan(Spec.Name, (id, vectors, payload) =>
        {
            var floats = MemoryMarshal.Cast<byte, float>(vectors);
            int? row = null;
            JsonElement? parsed = null;
            for (var q = 0; q < prepared.Length; q++)
            {
                var (query, (v, vector)) = prepared[q];
                var score = System.Numerics.Tensors.TensorPrimitives.Dot(vector, floats.Slice(offsets[v], _layout.Dimensions[v]));
                var (excluded, conditions) = filters[q];
                if (score < (query.ScoreThreshold ?? float.NegativeInfinity) || !tops[q].WouldAccept(score) || excluded?.Contains(id) == true)
                {
                    continue;
                }

                if (conditions is not null)
                {
                    parsed ??= Parse(payload);
                    if (!PayloadFilter.Matches(parsed, conditions))
                    {
                        continue;
                    }
                }

                row ??= Keep(kept, id, vectors, payload);
                tops[q].Add(score, row.Value);
            }
        });

        return [.. prepared.Select((p, q) => (IReadOnlyList<ScoredPoint>)[.. tops[q].ToSortedArray().Select(hit =>
        {
            var (id, vectors, payload) = kept[hit.Row];
            return new ScoredPoint(id, hit.Score, p.Query.WithVectors ? VectorsOf(vectors) : null, p.Query.WithPayload ? ToObject(payload, p.Query.PayloadFields) : null);
        })])];
    }

    /// <summary>One page of the points passing the filter, in ordinal order of their ids (as in memory). Conditions on
    /// indexed fields are answered from memory; any other condition reads the candidates' payloads from the file.</summary>
    public ScrollPage Scroll(ScrollRequest request)
    {
        var (excluded, conditions) = PayloadFilter.ForScroll(request);
        var fromMemory = conditions is null || conditions.Must.Concat(conditions.MustNot).All(c => _indexedRoots.Contains(c.Key.Split('.')[0], StringComparer.Ordinal));
        List<string> candidates;
        lock (_gate)
        {
            // Conditions memory can answer are applied before the sort, so only the matches are sorted (as in memory).
            candidates = [.. _members
                .Where(m => (request.Cursor is null || string.CompareOrdinal(m.Key, request.Cursor) >= 0) && (excluded is null || !excluded.Contains(m.Key))
                    && (conditions is null || !fromMemory || PayloadFilter.Matches(m.Value, conditions)))
                .Select(m => m.Key)];
        }

        candidates.Sort(string.CompareOrdinal);
        var page = new List<string>(Math.Min(request.Limit + 1, candidates.Count));
        foreach (var id in candidates)
        {
            // The other conditions read each candidate's payload from the file, in order, until the page is full.
            if (conditions is not null && !fromMemory && !PayloadFilter.Matches(StoredPayload(id), conditions))
            {
                continue;
            }

            page.Add(id);
            if (page.Count > request.Limit)
            {
                break;
            }
        }

        var next = page.Count > request.Limit ? page[^1] : null;
        var points = Get(page.Take(request.Limit).ToArray(), request.WithVectors, request.WithPayload);
        return new ScrollPage(points, next);
    }

    public void Dispose() => _layout.Dispose();

    private static int Keep(List<(string, byte[], string?)> kept, string id, ReadOnlySpan<byte> vectors, string? payload)
    {
        kept.Add((id, vectors.ToArray(), payload));
        return kept.Count - 1;
    }

    private static JsonElement? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static JsonObject? ToObject(string? json) => json is null ? null : JsonNode.Parse(json)?.AsObject();

    private static JsonObject? ToObject(string? json, IReadOnlyList<string>? fields) =>
        fields is null ? ToObject(json) : json is null ? null : CollectionIndex.Project(JsonElement.Parse(json), fields);

    private JsonElement? StoredPayload(string id)
    {
        var stored = _persistence.Read(Spec.Name, [id], withPayload: true);
        return stored.Count == 0 ? null : Parse(stored[0].Payload);
    }

    private Dictionary<string, float[]> VectorsOf(ReadOnlySpan<byte> concatenated)
    {
        var prepared = _layout.FromStored(string.Empty, MemoryMarshal.Cast<byte, float>(concatenated), null);
        var vectors = new Dictionary<string, float[]>(prepared.Vectors.Length, StringComparer.Ordinal);
        for (var v = 0; v < prepared.Vectors.Length; v++)
        {
            vectors[_layout.VectorNames[v]] = prepared.Vectors[v];
        }

        return vectors;
    }

    /// <summary>The payload's indexed top-level properties as an object of their own; null when it has none (most points:
    /// a user's <c>parked_in</c> is there only while it waits).</summary>
    private JsonElement? IndexedOf(JsonElement? payload)
    {
        if (_indexedRoots.Length == 0 || payload is not { ValueKind: JsonValueKind.Object } root)
        {
            return null;
        }

        JsonObject? kept = null;
        foreach (var name in _indexedRoots)
        {
            if (root.TryGetProperty(name, out var value))
            {
                kept ??= [];
                kept[name] = JsonNode.Parse(value.GetRawText());
            }
        }

        return kept is null ? null : CollectionIndex.ToElement(kept);
    }

    private JsonElement? IndexedOf(string? payload) => _indexedRoots.Length == 0 || payload is null ? null : IndexedOf(Parse(payload));

    /// <summary>What a payload's text must contain to hold an indexed field: its quoted name. Null (read every payload)
    /// when a name is one JSON could write escaped.</summary>
    private string[]? Needles() =>
        _indexedRoots.All(name => name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            ? [.. _indexedRoots.Select(name => "\"" + name + "\"")]
            : null;
}
