using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using StreamRec.Ports;
using StreamRec.VectorStore.Qdrant.Internal;

namespace StreamRec.VectorStore.Qdrant;

/// <summary>
/// <see cref="IVectorStore"/> over Qdrant's REST API. String ids become name-based UUIDs (see
/// <c>PointIds</c>) and travel in the payload as <see cref="IdPayloadKey"/>, which is how results map
/// back to the caller's ids. Bad vectors are rejected before any request; every request runs through
/// a Polly pipeline (timeouts, retry, circuit breaker); every failure surfaces as one
/// <see cref="VectorStoreException"/> carrying the HTTP status and whether a retry may succeed.
/// </summary>
public sealed partial class QdrantVectorStore : IVectorStore
{
    /// <summary>Payload key holding the caller's id; reserved, stripped from returned payloads.</summary>
    public const string IdPayloadKey = "_sr_id";

    private const int MaxErrorBodyChars = 500;
    private static readonly JsonArray IdOnlyPayload = [IdPayloadKey];
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");

    private readonly HttpClient _http;
    private readonly string? _apiKey;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Layout> _layouts = new(StringComparer.Ordinal);

    public QdrantVectorStore(HttpClient httpClient, IOptions<QdrantOptions> options, TimeProvider timeProvider, ILogger<QdrantVectorStore>? logger = null)
    {
        var settings = options.Value;
        if (string.IsNullOrWhiteSpace(settings.Url))
        {
            throw new InvalidOperationException($"{QdrantOptions.SectionName}:Url is empty; configure it or use the embedded vector store");
        }

        if (settings.ValidationError() is { } error)
        {
            throw new InvalidOperationException(error);
        }

        _logger = logger ?? (ILogger)NullLogger.Instance;
        _http = httpClient;
        if (_http.BaseAddress is null)
        {
            // A bare client (tests, hand wiring); the DI registration configures its client itself.
            // Polly owns every timeout: HttpClient's own 100 s default would cut across it.
            _http.BaseAddress = new Uri(settings.Url.TrimEnd('/') + "/");
            _http.Timeout = Timeout.InfiniteTimeSpan;
        }
        _apiKey = string.IsNullOrEmpty(settings.ApiKey) ? null : settings.ApiKey;
        _pipeline = QdrantResilience.Build(settings, timeProvider, _logger);
    }

    public async Task EnsureCollectionAsync(CollectionSpec spec, CancellationToken cancellationToken)
    {
        if (spec.Vectors.Count == 0 || spec.Vectors.Any(v => v.Value <= 0 || string.IsNullOrEmpty(v.Key)))
        {
            throw new VectorStoreException($"collection '{spec.Name}' needs named vectors with positive dimensions");
        }

        var path = CollectionPath(spec.Name);
        var existing = await TryGetLayoutAsync(spec.Name, cancellationToken);
        if (existing is null)
        {
            var body = new CreateCollectionRequest(spec.Vectors.ToDictionary(v => v.Key, v => new VectorParams(v.Value, DistanceName(spec.Distance))));
            using var created = await SendAsync(HttpMethod.Put, path, Serialize(body, QdrantJsonContext.Default.CreateCollectionRequest), cancellationToken);

            // 409: another process created it between our GET and PUT; verify what it created below.
            if (created.Status != HttpStatusCode.Conflict)
            {
                created.ThrowIfFailed("create collection", spec.Name);
                LogCollectionCreated(spec.Name);
            }

            existing = await TryGetLayoutAsync(spec.Name, cancellationToken)
                ?? throw new VectorStoreException($"Qdrant collection '{spec.Name}' is missing right after creation", 404, isTransient: true);
        }

        if (existing.Incompatibility(spec) is { } reason)
        {
            throw new VectorStoreException(reason);
        }

        foreach (var (field, type) in spec.IndexedFields ?? new Dictionary<string, PayloadFieldType>())
        {
            // Creating an index that exists is a no-op in Qdrant, so this stays idempotent.
            var body = new CreateIndexRequest(field, FieldSchemaName(type));
            using var indexed = await SendAsync(HttpMethod.Put, $"{path}/index?wait=true", Serialize(body, QdrantJsonContext.Default.CreateIndexRequest), cancellationToken);
            indexed.ThrowIfFailed($"create payload index '{field}'", spec.Name);
        }

        _layouts[spec.Name] = existing;
    }

    public async Task UpsertAsync(string collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken)
    {
        if (points.Count == 0)
        {
            return;
        }

        var layout = await LayoutAsync(collection, cancellationToken);
        var wire = new List<PointStruct>(points.Count);
        foreach (var point in points)
        {
            layout.Validate(point);
            var payload = point.Payload is null ? [] : (JsonObject)point.Payload.DeepClone();
            if (payload.ContainsKey(IdPayloadKey))
            {
                throw new VectorStoreException($"payload key '{IdPayloadKey}' is reserved (point '{point.Id}')");
            }

            payload[IdPayloadKey] = point.Id;
            wire.Add(new PointStruct(PointIds.ToPointId(point.Id), point.Vectors.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal), payload));
        }

        var body = Serialize(new UpsertRequest(wire), QdrantJsonContext.Default.UpsertRequest);
        using var response = await SendAsync(HttpMethod.Put, $"{CollectionPath(collection)}/points?wait=true", body, cancellationToken);
        CheckCompleted(response.Read(QdrantJsonContext.Default.QdrantResponseUpdateResult, "upsert", collection), "upsert", collection);
    }

    public async Task<IReadOnlyList<VectorPoint>> GetAsync(string collection, IReadOnlyList<string> ids, bool withVectors, bool withPayload, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        var body = new GetPointsRequest(ToPointIds(ids), withPayload ? JsonValue.Create(true) : IdOnlyPayload.DeepClone(), withVectors);
        using var response = await SendAsync(HttpMethod.Post, $"{CollectionPath(collection)}/points", Serialize(body, QdrantJsonContext.Default.GetPointsRequest), cancellationToken);
        var records = response.Read(QdrantJsonContext.Default.QdrantResponseListRecordDto, "get", collection);
        return [.. records.Select(r => new VectorPoint(CallerId(r), r.Vector ?? [], withPayload ? StripId(r.Payload) : null))];
    }

    public async Task DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }

        var body = Serialize(new DeleteRequest(ToPointIds(ids)), QdrantJsonContext.Default.DeleteRequest);
        using var response = await SendAsync(HttpMethod.Post, $"{CollectionPath(collection)}/points/delete?wait=true", body, cancellationToken);
        CheckCompleted(response.Read(QdrantJsonContext.Default.QdrantResponseUpdateResult, "delete", collection), "delete", collection);
    }

    public async Task<IReadOnlyList<ScoredPoint>> QueryAsync(string collection, VectorQuery query, CancellationToken cancellationToken)
    {
        var layout = await LayoutAsync(collection, cancellationToken);
        var body = Serialize(ToWire(layout, query), QdrantJsonContext.Default.QueryRequest);
        using var response = await SendAsync(HttpMethod.Post, $"{CollectionPath(collection)}/points/query", body, cancellationToken);
        return ToScored(response.Read(QdrantJsonContext.Default.QdrantResponseQueryResult, "query", collection), query);
    }

    public async Task<IReadOnlyList<IReadOnlyList<ScoredPoint>>> QueryBatchAsync(string collection, IReadOnlyList<VectorQuery> queries, CancellationToken cancellationToken)
    {
        if (queries.Count == 0)
        {
            return [];
        }

        var layout = await LayoutAsync(collection, cancellationToken);
        var body = Serialize(new QueryBatchRequest([.. queries.Select(q => ToWire(layout, q))]), QdrantJsonContext.Default.QueryBatchRequest);
        using var response = await SendAsync(HttpMethod.Post, $"{CollectionPath(collection)}/points/query/batch", body, cancellationToken);
        var results = response.Read(QdrantJsonContext.Default.QdrantResponseListQueryResult, "query batch", collection);
        if (results.Count != queries.Count)
        {
            throw new VectorStoreException($"Qdrant answered {results.Count} results to a batch of {queries.Count} queries on '{collection}'", (int)response.Status);
        }

        return [.. results.Select((r, i) => ToScored(r, queries[i]))];
    }

    public async Task<long> CountAsync(string collection, CancellationToken cancellationToken)
    {
        var body = Serialize(new CountRequest(Exact: true), QdrantJsonContext.Default.CountRequest);
        using var response = await SendAsync(HttpMethod.Post, $"{CollectionPath(collection)}/points/count", body, cancellationToken);
        return response.Read(QdrantJsonContext.Default.QdrantResponseCountResult, "count", collection).Count;
    }

    private static QueryRequest ToWire(Layout layout, VectorQuery query)
    {
        layout.Validate(query);
        return new QueryRequest(
            query.Vector,
            query.VectorName,
            ToWire(query.Filter),
            query.Limit,
            query.ScoreThreshold,
            query.WithPayload ? JsonValue.Create(true) : IdOnlyPayload.DeepClone(),
            query.WithVectors);
    }

    /// <summary>Our filter in Qdrant's syntax: must / must_not of field conditions; excluded ids become a
    /// must_not has_id over their UUIDs.</summary>
    private static JsonObject? ToWire(VectorFilter? filter)
    {
        if (filter is null || (filter.Must.Count == 0 && filter.MustNot.Count == 0 && filter.ExcludeIds.Count == 0))
        {
            return null;
        }

        var wire = new JsonObject();
        if (filter.Must.Count > 0)
        {
            wire["must"] = new JsonArray([.. filter.Must.Select(ToWire)]);
        }

        var mustNot = new JsonArray([.. filter.MustNot.Select(ToWire)]);
        if (filter.ExcludeIds.Count > 0)
        {
            mustNot.Add(new JsonObject { ["has_id"] = new JsonArray([.. filter.ExcludeIds.Select(id => (JsonNode)PointIds.ToPointId(id))]) });
        }

        if (mustNot.Count > 0)
        {
            wire["must_not"] = mustNot;
        }

        return wire;
    }

    private static JsonNode ToWire(FieldCondition condition) => condition switch
    {
        MatchCondition match => new JsonObject { ["key"] = match.Key, ["match"] = new JsonObject { ["value"] = match.Value.DeepClone() } },
        RangeCondition range => new JsonObject { ["key"] = range.Key, ["range"] = RangeBody(range) },
        _ => throw new VectorStoreException($"unsupported filter condition {condition.GetType().Name}"),
    };

    private static JsonObject RangeBody(RangeCondition range)
    {
        var body = new JsonObject();
        if (range.Gte is { } gte)
        {
            body["gte"] = gte;
        }

        if (range.Lte is { } lte)
        {
            body["lte"] = lte;
        }

        return body;
    }

    private static List<ScoredPoint> ToScored(QueryResult result, VectorQuery query) =>
        [.. result.Points.Select(p => new ScoredPoint(CallerId(p), p.Score, query.WithVectors ? p.Vector ?? [] : null, query.WithPayload ? StripId(p.Payload) : null))];

    private static string CallerId(RecordDto record) =>
        record.Payload?[IdPayloadKey] is JsonValue value && value.TryGetValue(out string? id) ? id : record.Id.ToString();

    private static JsonObject? StripId(JsonObject? payload)
    {
        payload?.Remove(IdPayloadKey);
        return payload;
    }

    private static List<string> ToPointIds(IReadOnlyList<string> ids)
    {
        var result = new List<string>(ids.Count);
        foreach (var id in ids)
        {
            Layout.ValidateId(id);
            result.Add(PointIds.ToPointId(id));
        }

        return result;
    }

    private static void CheckCompleted(UpdateResult result, string operation, string collection)
    {
        // With wait=true Qdrant answers once the write is applied; anything but "completed" means we
        // cannot claim durability. Transient: the write is idempotent, so the caller may simply retry.
        if (!string.Equals(result.Status, "completed", StringComparison.Ordinal))
        {
            throw new VectorStoreException($"Qdrant {operation} on '{collection}' returned status '{result.Status}', not 'completed'", 200, isTransient: true);
        }
    }

    private static string CollectionPath(string collection) => $"collections/{Uri.EscapeDataString(collection)}";

    private static string DistanceName(Distance distance) => distance switch
    {
        Distance.Cosine => "Cosine",
        Distance.Dot => "Dot",
        _ => throw new VectorStoreException($"unsupported distance {distance}"),
    };

    private static string FieldSchemaName(PayloadFieldType type) => type switch
    {
        PayloadFieldType.Keyword => "keyword",
        PayloadFieldType.Integer => "integer",
        PayloadFieldType.Float => "float",
        PayloadFieldType.Bool => "bool",
        PayloadFieldType.Datetime => "datetime",
        _ => throw new VectorStoreException($"unsupported payload field type {type}"),
    };

    private static byte[] Serialize<T>(T body, JsonTypeInfo<T> typeInfo) => JsonSerializer.SerializeToUtf8Bytes(body, typeInfo);

    private async Task<Layout> LayoutAsync(string collection, CancellationToken cancellationToken)
    {
        if (_layouts.TryGetValue(collection, out var layout))
        {
            return layout;
        }

        layout = await TryGetLayoutAsync(collection, cancellationToken)
            ?? throw new VectorStoreException($"Qdrant collection '{collection}' does not exist; call EnsureCollectionAsync first", 404);
        _layouts[collection] = layout;
        return layout;
    }

    private async Task<Layout?> TryGetLayoutAsync(string collection, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, CollectionPath(collection), null, cancellationToken);
        if (response.Status == HttpStatusCode.NotFound)
        {
            return null;
        }

        var info = response.Read(QdrantJsonContext.Default.QdrantResponseJsonObject, "get collection", collection);
        return Layout.Parse(collection, info);
    }

    /// <summary>One call through the resilience pipeline; the body is buffered so each attempt sends a fresh request.</summary>
    private async Task<RawResponse> SendAsync(HttpMethod method, string path, byte[]? body, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _pipeline.ExecuteAsync(
                async ct =>
                {
                    using var request = new HttpRequestMessage(method, path);
                    if (body is not null)
                    {
                        request.Content = new ByteArrayContent(body) { Headers = { ContentType = JsonMediaType } };
                    }

                    if (_apiKey is not null)
                    {
                        request.Headers.TryAddWithoutValidation("api-key", _apiKey);
                    }

                    return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
                },
                cancellationToken);
        }
        catch (BrokenCircuitException ex)
        {
            throw new VectorStoreException($"Qdrant circuit is open: {method} {path} not sent; retry after {ex.RetryAfter?.TotalSeconds ?? 0:F0} s", 0, isTransient: true, ex);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new VectorStoreException($"Qdrant {method} {path} timed out", 0, isTransient: true, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new VectorStoreException($"Qdrant {method} {path} failed: {ex.Message}", 0, isTransient: true, ex);
        }

        using (response)
        {
            var content = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            return new RawResponse(response.StatusCode, content, response.Content.Headers.ContentType?.MediaType);
        }
    }

    [LoggerMessage(EventId = 3210, Level = LogLevel.Information, Message = "Created Qdrant collection {Collection}")]
    private partial void LogCollectionCreated(string collection);

    /// <summary>A response read whole, so the connection goes back to the pool before we parse.</summary>
    private sealed record RawResponse(HttpStatusCode Status, byte[] Content, string? MediaType) : IDisposable
    {
        public void ThrowIfFailed(string operation, string collection)
        {
            if ((int)Status is < 200 or > 299)
            {
                var transient = QdrantResilience.IsTransientStatus(Status);
                throw new VectorStoreException($"Qdrant {operation} on '{collection}' failed with {(int)Status} {Status}: {ErrorText()}", (int)Status, transient);
            }
        }

        public T Read<T>(JsonTypeInfo<QdrantResponse<T>> typeInfo, string operation, string collection)
        {
            ThrowIfFailed(operation, collection);
            QdrantResponse<T>? parsed;
            try
            {
                parsed = JsonSerializer.Deserialize(Content, typeInfo);
            }
            catch (JsonException ex)
            {
                throw new VectorStoreException($"Qdrant {operation} on '{collection}' returned unreadable JSON: {ex.Message}", (int)Status, false, ex);
            }

            return parsed is { Result: { } result }
                ? result
                : throw new VectorStoreException($"Qdrant {operation} on '{collection}' returned no result: {ErrorText()}", (int)Status);
        }

        public void Dispose()
        {
            // Nothing to release: the content is already buffered. IDisposable keeps call sites uniform.
        }

        /// <summary>Qdrant's <c>{"status":{"error":"..."}}</c> when the body has it, else the body as text
        /// (a proxy's HTML, a plain-text 401), truncated.</summary>
        private string ErrorText()
        {
            if (Content.Length == 0)
            {
                return "(empty body)";
            }

            try
            {
                using var document = JsonDocument.Parse(Content);
                if (document.RootElement.ValueKind == JsonValueKind.Object
                    && document.RootElement.TryGetProperty("status", out var status)
                    && status.ValueKind == JsonValueKind.Object
                    && status.TryGetProperty("error", out var error))
                {
                    return error.ToString();
                }
            }
            catch (JsonException)
            {
                // Not JSON: fall through to the raw text.
            }

            var text = Encoding.UTF8.GetString(Content).Trim();
            return text.Length <= MaxErrorBodyChars ? text : text[..MaxErrorBodyChars] + "…";
        }
    }
}
