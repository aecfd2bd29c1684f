using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Qdrant.Client;
using StreamRec.Ports;
using StreamRec.VectorStore.Qdrant.Internal;
using Q = Qdrant.Client.Grpc;

namespace StreamRec.VectorStore.Qdrant;

/// <summary>
/// <see cref="IVectorStore"/> over Qdrant's gRPC API, through the official <see cref="QdrantClient"/>. String ids
/// become name-based UUIDs (see <c>PointIds</c>) and travel in the payload as <see cref="IdPayloadKey"/>, which is
/// how results map back to the caller's ids. Bad vectors are rejected before any call; every call runs through a
/// Polly pipeline (timeouts, retry, circuit breaker); every failure surfaces as one
/// <see cref="VectorStoreException"/> carrying the HTTP equivalent of the gRPC status and whether a later retry
/// may succeed.
/// </summary>
public sealed partial class QdrantVectorStore : IVectorStore, IDisposable
{
    /// <summary>Payload key holding the caller's id; reserved, stripped from returned payloads.</summary>
    public const string IdPayloadKey = "_sr_id";

    private static readonly Q.WithPayloadSelector AllPayload = new() { Enable = true };
    private static readonly Q.WithPayloadSelector IdOnlyPayload = new() { Include = new Q.PayloadIncludeSelector { Fields = { IdPayloadKey } } };
    private static readonly Q.WithVectorsSelector AllVectors = new() { Enable = true };
    private static readonly Q.WithVectorsSelector NoVectors = new() { Enable = false };

    private readonly GrpcChannel? _channel;
    private readonly Q.QdrantGrpcClient? _ownedGrpcClient;
    private readonly QdrantClient _client;
    private readonly ResiliencePipeline _pipeline;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Layout> _layouts = new(StringComparer.Ordinal);

    /// <summary>A store that owns one gRPC channel to <see cref="QdrantOptions.Url"/> until disposed.</summary>
    public QdrantVectorStore(IOptions<QdrantOptions> options, TimeProvider timeProvider, ILogger<QdrantVectorStore>? logger = null)
        : this(Validated(options.Value), timeProvider, logger)
    {
    }

    /// <summary>A store over a given gRPC client (tests script the calls); the caller owns the client.</summary>
    internal QdrantVectorStore(Q.QdrantGrpcClient grpcClient, QdrantOptions options, TimeProvider timeProvider, ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
        _client = new QdrantClient(grpcClient);
        _pipeline = QdrantResilience.Build(Validated(options), timeProvider, _logger);
    }

    private QdrantVectorStore(QdrantOptions settings, TimeProvider timeProvider, ILogger? logger)
    {
        _logger = logger ?? NullLogger.Instance;
        _channel = QdrantChannelFactory.CreateChannel(settings);

        // No grpcTimeout and no logger factory for the client: Polly owns every timeout (on the injected clock),
        // and failures are logged here once, by status, rather than by the client at every attempt.
        // QdrantClient does not dispose a gRPC client it is given, so the store keeps and disposes its own.
        _ownedGrpcClient = new Q.QdrantGrpcClient(QdrantChannelFactory.CreateInvoker(_channel, settings.ApiKey));
        _client = new QdrantClient(_ownedGrpcClient);
        _pipeline = QdrantResilience.Build(settings, timeProvider, _logger);
        var uri = new Uri(settings.Url);
        if (uri.Port == 6333)
        {
            LogRestPort(uri.GetLeftPart(UriPartial.Authority));
        }
    }

    public async Task EnsureCollectionAsync(CollectionSpec spec, CancellationToken cancellationToken)
    {
        if (spec.Vectors.Count == 0 || spec.Vectors.Any(v => v.Value <= 0 || string.IsNullOrEmpty(v.Key)))
        {
            throw new VectorStoreException($"collection '{spec.Name}' needs named vectors with positive dimensions");
        }

        var existing = await TryGetLayoutAsync(spec.Name, cancellationToken);
        if (existing is null)
        {
            // Named vectors even for one vector, so another (e.g. a learned one beside "text") can join later.
            var vectors = new Q.VectorParamsMap();
            foreach (var (name, size) in spec.Vectors)
            {
                vectors.Map.Add(name, OnDiskIf(spec.OnDisk, new Q.VectorParams { Size = (ulong)size, Distance = ToQdrant(spec.Distance) }));
            }

            try
            {
                await CallAsync("create collection", spec.Name, (client, ct) => client.CreateCollectionAsync(Create(spec, vectors), ct), cancellationToken);
                LogCollectionCreated(spec.Name);
            }
            catch (VectorStoreException ex) when (!ex.IsTransient)
            {
                // Another process may have created it between our look and our create; what it created is checked
                // below. If it still does not exist, the create failed for its own reason.
                if (await TryGetLayoutAsync(spec.Name, cancellationToken) is null)
                {
                    throw;
                }
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
            // Creating an index that exists with the same type is a no-op in Qdrant, so this stays idempotent.
            var result = await CallAsync(
                $"create payload index '{field}'",
                spec.Name,
                (client, ct) => client.CreatePayloadIndexAsync(spec.Name, field, ToQdrant(type), wait: true, cancellationToken: ct),
                cancellationToken);
            CheckCompleted(result, $"create payload index '{field}'", spec.Name);
        }

        _layouts[spec.Name] = existing;
    }

    /// <summary>The create request; an on-disk spec keeps vectors and payload cold (on disk, cached with use).</summary>
    private static Q.CreateCollection Create(CollectionSpec spec, Q.VectorParamsMap vectors)
    {
        var request = new Q.CreateCollection { CollectionName = spec.Name, VectorsConfig = new Q.VectorsConfig { ParamsMap = vectors } };
        if (spec.OnDisk)
        {
            request.Payload = new Q.PayloadStorageParams { Memory = Q.Memory.Cold };
#pragma warning disable CS0612 // The flag `memory` replaces; servers before it read only this one, newer ones let `memory` win.
            request.OnDiskPayload = true;
#pragma warning restore CS0612
        }

        return request;
    }

    private static Q.VectorParams OnDiskIf(bool onDisk, Q.VectorParams vector)
    {
        if (onDisk)
        {
            vector.Memory = Q.Memory.Cold;
#pragma warning disable CS0612 // As for the payload: older servers read only this flag.
            vector.OnDisk = true;
#pragma warning restore CS0612
        }

        return vector;
    }

    public async Task UpsertAsync(string collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken)
    {
        if (points.Count == 0)
        {
            return;
        }

        var layout = await LayoutAsync(collection, cancellationToken);
        var wire = new List<Q.PointStruct>(points.Count);
        foreach (var point in points)
        {
            wire.Add(ToPointStruct(layout, point));
        }

        var result = await CallAsync("upsert", collection, (client, ct) => client.UpsertAsync(collection, wire, wait: true, cancellationToken: ct), cancellationToken);
        CheckCompleted(result, "upsert", collection);
    }

    public Task<IReadOnlyList<VectorPoint>> GetAsync(string collection, IReadOnlyList<string> ids, bool withVectors, bool withPayload, CancellationToken cancellationToken) =>
        GetAsync(collection, ids, withVectors, withPayload ? AllPayload : IdOnlyPayload, withPayload, cancellationToken);

    public Task<IReadOnlyList<VectorPoint>> GetAsync(
        string collection, IReadOnlyList<string> ids, bool withVectors, IReadOnlyList<string> payloadFields, CancellationToken cancellationToken) =>
        GetAsync(collection, ids, withVectors, Including(payloadFields), withPayload: true, cancellationToken);

    private async Task<IReadOnlyList<VectorPoint>> GetAsync(
        string collection, IReadOnlyList<string> ids, bool withVectors, Q.WithPayloadSelector payload, bool withPayload, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        var pointIds = ids.Select(ToPointId).ToList();
        var records = await CallAsync(
            "get",
            collection,
            (client, ct) => client.RetrieveAsync(collection, pointIds, payload, withVectors ? AllVectors : NoVectors, cancellationToken: ct),
            cancellationToken);
        return [.. records.Select(r => new VectorPoint(CallerId(r.Id, r.Payload), ReadVectors(r.Vectors), withPayload ? PayloadConverter.Read(r.Payload, IdPayloadKey) : null))];
    }

    /// <summary>The caller's fields and the id key (the caller's id is read back from it).</summary>
    private static Q.WithPayloadSelector Including(IReadOnlyList<string> fields) =>
        new() { Include = new Q.PayloadIncludeSelector { Fields = { IdPayloadKey, fields } } };

    public async Task DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }

        var pointIds = ids.Select(ToPointId).ToList();
        var result = await CallAsync("delete", collection, (client, ct) => client.DeleteAsync(collection, pointIds, wait: true, cancellationToken: ct), cancellationToken);
        CheckCompleted(result, "delete", collection);
    }

    public async Task<IReadOnlyList<ScoredPoint>> QueryAsync(string collection, VectorQuery query, CancellationToken cancellationToken)
    {
        var layout = await LayoutAsync(collection, cancellationToken);
        var request = ToQueryPoints(layout, collection, query);
        var hits = await CallAsync(
            "query",
            collection,
            (client, ct) => client.QueryAsync(
                collection,
                request.Query,
                usingVector: request.Using,
                filter: request.Filter,
                scoreThreshold: request.HasScoreThreshold ? request.ScoreThreshold : null,
                limit: request.Limit,
                payloadSelector: request.WithPayload,
                vectorsSelector: request.WithVectors,
                cancellationToken: ct),
            cancellationToken);
        return ToScored(hits, query);
    }

    public async Task<IReadOnlyList<IReadOnlyList<ScoredPoint>>> QueryBatchAsync(string collection, IReadOnlyList<VectorQuery> queries, CancellationToken cancellationToken)
    {
        if (queries.Count == 0)
        {
            return [];
        }

        var layout = await LayoutAsync(collection, cancellationToken);
        var requests = queries.Select(q => ToQueryPoints(layout, collection, q)).ToList();
        var results = await CallAsync("query batch", collection, (client, ct) => client.QueryBatchAsync(collection, requests, cancellationToken: ct), cancellationToken);
        if (results.Count != queries.Count)
        {
            throw new VectorStoreException($"Qdrant answered {results.Count} results to a batch of {queries.Count} queries on '{collection}'", 500);
        }

        var answers = new IReadOnlyList<ScoredPoint>[queries.Count];
        for (var i = 0; i < answers.Length; i++)
        {
            answers[i] = ToScored(results[i].Result, queries[i]);
        }

        return answers;
    }

    public async Task<long> CountAsync(string collection, CancellationToken cancellationToken)
    {
        var count = await CallAsync("count", collection, (client, ct) => client.CountAsync(collection, exact: true, cancellationToken: ct), cancellationToken);
        return (long)count;
    }

    /// <summary>Qdrant's Scroll: no query vector, pages in point-id order, the cursor is the UUID Qdrant names as the next page's offset.</summary>
    public async Task<ScrollPage> ScrollAsync(string collection, ScrollRequest request, CancellationToken cancellationToken)
    {
        if (request.Limit <= 0)
        {
            throw new VectorStoreException($"scroll limit must be positive, got {request.Limit}");
        }

        Q.PointId? offset = null;
        if (request.Cursor is { } cursor)
        {
            offset = Guid.TryParse(cursor, out _)
                ? new Q.PointId { Uuid = cursor }
                : throw new VectorStoreException($"scroll cursor '{cursor}' was not returned by this store (a Qdrant cursor is a point UUID)");
        }

        var filter = QdrantFilters.ToQdrant(request.Filter);
        var response = await CallAsync(
            "scroll",
            collection,
            (client, ct) => client.ScrollAsync(
                collection,
                filter,
                (uint)request.Limit,
                offset,
                request.WithPayload ? AllPayload : IdOnlyPayload,
                request.WithVectors ? AllVectors : NoVectors,
                cancellationToken: ct),
            cancellationToken);
        var points = response.Result
            .Select(r => new VectorPoint(CallerId(r.Id, r.Payload), request.WithVectors ? ReadVectors(r.Vectors) : new Dictionary<string, float[]>(), request.WithPayload ? PayloadConverter.Read(r.Payload, IdPayloadKey) : null))
            .ToList();
        var next = response.NextPageOffset is { PointIdOptionsCase: Q.PointId.PointIdOptionsOneofCase.Uuid } n ? n.Uuid : null;
        return new ScrollPage(points, next);
    }

    public void Dispose()
    {
        _client.Dispose();
        _ownedGrpcClient?.Dispose();
        _channel?.Dispose();
    }

    private static QdrantOptions Validated(QdrantOptions settings)
    {
        if (string.IsNullOrWhiteSpace(settings.Url))
        {
            throw new InvalidOperationException($"{QdrantOptions.SectionName}:Url is empty; configure it or use the embedded vector store");
        }

        return settings.ValidationError() is { } error ? throw new InvalidOperationException(error) : settings;
    }

    /// <summary>A point as Qdrant's message: validated, UUID id, named dense vectors, payload plus <see cref="IdPayloadKey"/>.</summary>
    internal static Q.PointStruct ToPointStruct(Layout layout, VectorPoint point)
    {
        layout.Validate(point);
        if (point.Payload is not null && point.Payload.ContainsKey(IdPayloadKey))
        {
            throw new VectorStoreException($"payload key '{IdPayloadKey}' is reserved (point '{point.Id}')");
        }

        var named = new Q.NamedVectors();
        foreach (var (name, values) in point.Vectors)
        {
            var dense = new Q.DenseVector();
            dense.Data.AddRange(values);
            named.Vectors.Add(name, new Q.Vector { Dense = dense });
        }

        var wirePoint = new Q.PointStruct { Id = ToPointId(point.Id), Vectors = new Q.Vectors { Vectors_ = named } };
        if (point.Payload is not null)
        {
            PayloadConverter.Write(point.Payload, wirePoint.Payload);
        }

        wirePoint.Payload[IdPayloadKey] = new Q.Value { StringValue = point.Id };
        return wirePoint;
    }

    internal static Q.QueryPoints ToQueryPoints(Layout layout, string collection, VectorQuery query)
    {
        layout.Validate(query);
        var dense = new Q.DenseVector();
        dense.Data.AddRange(query.Vector);
        var request = new Q.QueryPoints
        {
            CollectionName = collection,
            Query = new Q.Query { Nearest = new Q.VectorInput { Dense = dense } },
            Using = query.VectorName,
            Limit = (ulong)query.Limit,
            WithPayload = !query.WithPayload ? IdOnlyPayload
                : query.PayloadFields is { } fields ? Including(fields)
                : AllPayload,
            WithVectors = query.WithVectors ? AllVectors : NoVectors,
        };
        if (QdrantFilters.ToQdrant(query.Filter) is { } filter)
        {
            request.Filter = filter;
        }

        if (query.ScoreThreshold is { } threshold)
        {
            request.ScoreThreshold = threshold;
        }

        return request;
    }

    internal static List<ScoredPoint> ToScored(IReadOnlyList<Q.ScoredPoint> hits, VectorQuery query)
    {
        var scored = new List<ScoredPoint>(hits.Count);
        foreach (var hit in hits)
        {
            scored.Add(new ScoredPoint(
                CallerId(hit.Id, hit.Payload),
                hit.Score,
                query.WithVectors ? ReadVectors(hit.Vectors) : null,
                query.WithPayload ? PayloadConverter.Read(hit.Payload, IdPayloadKey) : null));
        }

        return scored;
    }

    private static Dictionary<string, float[]> ReadVectors(Q.VectorsOutput? vectors)
    {
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (vectors?.VectorsOptionsCase == Q.VectorsOutput.VectorsOptionsOneofCase.Vectors)
        {
            foreach (var (name, vector) in vectors.Vectors.Vectors)
            {
                // GetDenseVector reads the dense variant, or the deprecated flat field older servers still send.
                if (vector.GetDenseVector() is { } dense)
                {
                    result[name] = [.. dense.Data];
                }
            }
        }

        return result;
    }

    private static string CallerId(Q.PointId id, Google.Protobuf.Collections.MapField<string, Q.Value> payload) =>
        payload.TryGetValue(IdPayloadKey, out var value) && value.KindCase == Q.Value.KindOneofCase.StringValue
            ? value.StringValue
            : id.PointIdOptionsCase == Q.PointId.PointIdOptionsOneofCase.Uuid ? id.Uuid : id.Num.ToString(System.Globalization.CultureInfo.InvariantCulture);

    internal static Q.PointId ToPointId(string id)
    {
        Layout.ValidateId(id);
        return new Q.PointId { Uuid = PointIds.ToPointId(id) };
    }

    private static void CheckCompleted(Q.UpdateResult result, string operation, string collection)
    {
        // With wait=true Qdrant answers once the write is applied; anything but Completed means we cannot claim
        // durability. Transient: the write is idempotent, so the caller may simply retry.
        if (result.Status != Q.UpdateStatus.Completed)
        {
            throw new VectorStoreException($"Qdrant {operation} on '{collection}' returned status {result.Status}, not Completed", 200, isTransient: true);
        }
    }

    private static Q.Distance ToQdrant(Distance distance) => distance switch
    {
        Distance.Cosine => Q.Distance.Cosine,
        Distance.Dot => Q.Distance.Dot,
        _ => throw new VectorStoreException($"unsupported distance {distance}"),
    };

    private static Q.PayloadSchemaType ToQdrant(PayloadFieldType type) => type switch
    {
        PayloadFieldType.Keyword => Q.PayloadSchemaType.Keyword,
        PayloadFieldType.Integer => Q.PayloadSchemaType.Integer,
        PayloadFieldType.Float => Q.PayloadSchemaType.Float,
        PayloadFieldType.Bool => Q.PayloadSchemaType.Bool,
        PayloadFieldType.Datetime => Q.PayloadSchemaType.Datetime,
        _ => throw new VectorStoreException($"unsupported payload field type {type}"),
    };

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
        try
        {
            var info = await CallAsync("get collection", collection, (client, ct) => client.GetCollectionInfoAsync(collection, ct), cancellationToken);
            return Layout.Parse(collection, info);
        }
        catch (VectorStoreException ex) when (ex.InnerException is RpcException { StatusCode: StatusCode.NotFound })
        {
            return null;
        }
    }

    /// <summary>One call through the resilience pipeline, its failures turned into <see cref="VectorStoreException"/>.
    /// A cancellation by the caller stays an <see cref="OperationCanceledException"/>.</summary>
    private async Task<T> CallAsync<T>(string operation, string collection, Func<QdrantClient, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (state, ct) =>
                {
                    try
                    {
                        return await state.call(state.client, ct);
                    }
                    catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
                    {
                        // The channel turns a DeadlineExceeded or Cancelled status into OperationCanceledException
                        // even when the server sent it (Qdrant's own timeout). Nobody here cancelled: it is the
                        // server's answer, and the retry must see it as one.
                        throw ex.InnerException as RpcException ?? new RpcException(new Status(StatusCode.DeadlineExceeded, ex.Message), ex.Message);
                    }
                },
                (call, client: _client),
                cancellationToken);
        }
        catch (RpcException ex)
        {
            if (GrpcFailures.IsCredentialFailure(ex.StatusCode))
            {
                LogCredentialsRefused(operation, collection, ex.StatusCode);
            }

            throw GrpcFailures.ToException(ex, operation, collection);
        }
        catch (BrokenCircuitException ex)
        {
            throw new VectorStoreException($"Qdrant circuit is open: {operation} on '{collection}' not sent; retry after {ex.RetryAfter?.TotalSeconds ?? 0:F0} s", 503, isTransient: true, ex);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new VectorStoreException($"Qdrant {operation} on '{collection}' timed out", 504, isTransient: true, ex);
        }
        catch (QdrantException ex)
        {
            // The client's own checks (e.g. a create answered with result=false).
            throw new VectorStoreException($"Qdrant {operation} on '{collection}' failed: {ex.Message}", 500, isTransient: false, ex);
        }
    }

    private Task CallAsync(string operation, string collection, Func<QdrantClient, CancellationToken, Task> call, CancellationToken cancellationToken) =>
        CallAsync(operation, collection, async (client, ct) =>
        {
            await call(client, ct);
            return true;
        }, cancellationToken);

    [LoggerMessage(EventId = 3210, Level = LogLevel.Information, Message = "Created Qdrant collection {Collection}")]
    private partial void LogCollectionCreated(string collection);

    [LoggerMessage(EventId = 3211, Level = LogLevel.Error, Message = "Qdrant refused the credentials on {Operation} of '{Collection}' ({Status}): check StreamRec:VectorStore:Qdrant:ApiKey; the consumer pauses rather than dead-lettering")]
    private partial void LogCredentialsRefused(string operation, string collection, StatusCode status);

    [LoggerMessage(EventId = 3212, Level = LogLevel.Warning, Message = "StreamRec:VectorStore:Qdrant:Url points at port 6333 of {Authority}, Qdrant's REST port; this adapter speaks gRPC (Qdrant's port 6334)")]
    private partial void LogRestPort(string authority);
}
