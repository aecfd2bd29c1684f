using System.Text.Json.Nodes;

namespace StreamRec.Ports;

/// <summary>
/// The vector store the services need: the embedded store (default) and Qdrant implement it.
/// Every point has a string id (adapters map it to what their backend accepts), one or more named
/// vectors and a JSON payload. Writes return only once they are durable. Vectors a read or a query returns are
/// read-only: a store may hand out its own arrays (the embedded store does, instead of copying each one), which a
/// later write replaces and never changes; a caller that needs to change one copies it first.
/// </summary>
public interface IVectorStore
{
    /// <summary>Creates the collection when missing; when it exists, checks that its vectors have the
    /// expected names and dimensions and throws <see cref="VectorStoreException"/> otherwise.</summary>
    Task EnsureCollectionAsync(CollectionSpec spec, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces whole points (vectors and payload). Durable on return.</summary>
    Task UpsertAsync(string collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken);

    /// <summary>Returns the points that exist among <paramref name="ids"/> (missing ids are simply absent).</summary>
    Task<IReadOnlyList<VectorPoint>> GetAsync(string collection, IReadOnlyList<string> ids, bool withVectors, bool withPayload, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="GetAsync(string, IReadOnlyList{string}, bool, bool, CancellationToken)"/> with each payload cut to the
    /// top-level fields in <paramref name="payloadFields"/>, as <see cref="VectorQuery.PayloadFields"/> does for a query (a
    /// point without one simply lacks it). A caller that reads two fields of many large payloads saves building the rest
    /// (the recommender fetches a few hundred candidates per list). This default reads whole payloads and copies the
    /// fields out; the stores build only those fields (Qdrant: an include selector).
    /// </summary>
    async Task<IReadOnlyList<VectorPoint>> GetAsync(
        string collection, IReadOnlyList<string> ids, bool withVectors, IReadOnlyList<string> payloadFields, CancellationToken cancellationToken)
    {
        var points = await GetAsync(collection, ids, withVectors, withPayload: true, cancellationToken);
        return [.. points.Select(p => p with { Payload = PayloadFields.Select(p.Payload, payloadFields) })];
    }

    /// <summary>Deletes the points; ids that do not exist are ignored. Durable on return.</summary>
    Task DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken);

    /// <summary>Nearest neighbours of <see cref="VectorQuery.Vector"/>, best first.</summary>
    Task<IReadOnlyList<ScoredPoint>> QueryAsync(string collection, VectorQuery query, CancellationToken cancellationToken);

    /// <summary>Several queries in one round trip; result[i] answers queries[i].</summary>
    Task<IReadOnlyList<IReadOnlyList<ScoredPoint>>> QueryBatchAsync(string collection, IReadOnlyList<VectorQuery> queries, CancellationToken cancellationToken);

    /// <summary>Number of points in the collection (exact).</summary>
    Task<long> CountAsync(string collection, CancellationToken cancellationToken);

    /// <summary>
    /// The points passing <see cref="ScrollRequest.Filter"/>, one page at a time, without a query vector: what a
    /// filter-only lookup needs (a nearest-neighbour query with a dummy vector would depend on how the backend scores
    /// it; a zero vector is not even valid under cosine). Pages come in a backend-defined order that is stable while
    /// the collection does not change; pass the previous page's <see cref="ScrollPage.Next"/> as
    /// <see cref="ScrollRequest.Cursor"/> to read on. Points written during a scroll may or may not appear.
    /// </summary>
    Task<ScrollPage> ScrollAsync(string collection, ScrollRequest request, CancellationToken cancellationToken);
}

/// <summary>Payload projection shared by the stores and the port's default.</summary>
public static class PayloadFields
{
    /// <summary>A new object with copies of <paramref name="fields"/> of <paramref name="payload"/> (each once, in the
    /// order asked; absent ones left out); null for a null payload.</summary>
    public static JsonObject? Select(JsonObject? payload, IReadOnlyList<string> fields)
    {
        if (payload is null)
        {
            return null;
        }

        var selected = new JsonObject();
        foreach (var field in fields)
        {
            if (payload.TryGetPropertyValue(field, out var value) && !selected.ContainsKey(field))
            {
                selected[field] = value?.DeepClone();
            }
        }

        return selected;
    }
}

public enum Distance
{
    Cosine,
    Dot,
}

/// <param name="Name">Collection name.</param>
/// <param name="Vectors">Named vectors and their dimension, e.g. { "text": 384 } or { "short": 384, "long": 384 }.</param>
/// <param name="Distance">Similarity used for every vector of the collection.</param>
/// <param name="IndexedFields">Payload fields used in filters, with their type, so backends can index them.</param>
/// <param name="OnDisk">The collection's points are read by id far more than searched: keep their vectors and payloads on
/// disk, only ids and indexed fields in memory (Qdrant: on-disk vectors and payload; the embedded store: rows read from
/// its SQLite file, searches a scan of it). A storage hint, not a change of behaviour: every operation answers alike.
/// Default false.</param>
public sealed record CollectionSpec(
    string Name,
    IReadOnlyDictionary<string, int> Vectors,
    Distance Distance = Distance.Cosine,
    IReadOnlyDictionary<string, PayloadFieldType>? IndexedFields = null,
    bool OnDisk = false);

public enum PayloadFieldType
{
    Keyword,
    Integer,
    Float,
    Bool,
    Datetime,
}

/// <param name="Id">The caller's id (any non-empty string up to 256 characters).</param>
/// <param name="Vectors">Vector name → values. On reads without vectors this is empty.</param>
/// <param name="Payload">JSON payload; null on reads without payload.</param>
public sealed record VectorPoint(string Id, IReadOnlyDictionary<string, float[]> Vectors, JsonObject? Payload);

/// <param name="Id">The caller's id.</param>
/// <param name="Score">Cosine similarity (or dot product), higher is closer.</param>
/// <param name="Vectors">Present when the query asked for vectors.</param>
/// <param name="Payload">Present when the query asked for payload.</param>
public sealed record ScoredPoint(string Id, float Score, IReadOnlyDictionary<string, float[]>? Vectors, JsonObject? Payload);

/// <param name="Vector">The query vector (same dimension as the named vector).</param>
/// <param name="VectorName">Which named vector of the points to search.</param>
/// <param name="Limit">How many results at most.</param>
/// <param name="Filter">Optional conditions; null means every point.</param>
/// <param name="ScoreThreshold">Drop results scoring below this.</param>
/// <param name="WithVectors">Return the points' vectors (all named vectors).</param>
/// <param name="WithPayload">Return the points' payloads.</param>
/// <param name="PayloadFields">With <paramref name="WithPayload"/>, return only these top-level payload fields (a point
/// without one simply lacks it); null, the default, returns the whole payload. A caller that reads two fields of a
/// large payload saves building the rest of it (Qdrant: an include selector; the embedded store: only those fields
/// become JSON nodes).</param>
public sealed record VectorQuery(
    float[] Vector,
    string VectorName,
    int Limit,
    VectorFilter? Filter = null,
    float? ScoreThreshold = null,
    bool WithVectors = false,
    bool WithPayload = true,
    IReadOnlyList<string>? PayloadFields = null);

/// <param name="Limit">Points per page at most (positive).</param>
/// <param name="Filter">Optional conditions; null means every point.</param>
/// <param name="Cursor">Where the page starts: null for the first page, else the <see cref="ScrollPage.Next"/> of the
/// previous one. Opaque: each backend has its own form (Qdrant a point UUID, the embedded store a caller id).</param>
/// <param name="WithVectors">Return the points' vectors (all named vectors).</param>
/// <param name="WithPayload">Return the points' payloads.</param>
public sealed record ScrollRequest(
    int Limit,
    VectorFilter? Filter = null,
    string? Cursor = null,
    bool WithVectors = false,
    bool WithPayload = true);

/// <param name="Points">This page's points.</param>
/// <param name="Next">The cursor of the next page; null when this page is the last.</param>
public sealed record ScrollPage(IReadOnlyList<VectorPoint> Points, string? Next);

/// <summary>A conjunction: a point passes when it matches every <see cref="Must"/> condition,
/// none of the <see cref="MustNot"/> conditions, and its id is not in <see cref="ExcludeIds"/>.</summary>
public sealed record VectorFilter
{
    public IReadOnlyCollection<string> ExcludeIds { get; init; } = [];
    public IReadOnlyList<FieldCondition> Must { get; init; } = [];
    public IReadOnlyList<FieldCondition> MustNot { get; init; } = [];
}

/// <summary>One condition on a payload field. A point whose payload lacks the field matches no condition.</summary>
public abstract record FieldCondition(string Key);

/// <summary>Field equals the value (string, long or bool), or, for an array field, contains it.</summary>
public sealed record MatchCondition(string Key, JsonValue Value) : FieldCondition(Key)
{
    public static MatchCondition Of(string key, bool value) => new(key, JsonValue.Create(value));
    public static MatchCondition Of(string key, string value) => new(key, JsonValue.Create(value));
    public static MatchCondition Of(string key, long value) => new(key, JsonValue.Create(value));
}

/// <summary>Numeric field within [Gte, Lte] (either bound may be open).</summary>
public sealed record RangeCondition(string Key, double? Gte = null, double? Lte = null) : FieldCondition(Key);

/// <summary>The one exception type vector stores throw. <see cref="StatusCode"/> is the HTTP status
/// for remote stores (0 when there was no response), <see cref="IsTransient"/> says a retry may succeed.</summary>
public sealed class VectorStoreException : Exception
{
    public VectorStoreException(string message, int statusCode = 0, bool isTransient = false, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        IsTransient = isTransient;
    }

    public VectorStoreException() : this("vector store error") { }

    public VectorStoreException(string message) : this(message, 0, false, null) { }

    public VectorStoreException(string message, Exception innerException) : this(message, 0, false, innerException) { }

    public int StatusCode { get; }

    public bool IsTransient { get; }
}
