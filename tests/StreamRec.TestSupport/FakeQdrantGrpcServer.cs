using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Qdrant.Client.Grpc;

namespace StreamRec.TestSupport;

/// <summary>
/// An in-memory Qdrant speaking Qdrant's gRPC API on 127.0.0.1 (random port, HTTP/2, optionally TLS). No .proto
/// file: every method is declared by hand as a <see cref="Method{TRequest,TResponse}"/> named like Qdrant's
/// (<c>/qdrant.Points/Upsert</c>, <c>/qdrant.Points/Scroll</c>, <c>/qdrant.Collections/Create</c>, ...) and marshalled with the
/// <c>Parser</c>s of Qdrant.Client's own message types, so the real client talks to it unchanged. Search is
/// exact (cosine vectors normalised at insert, as Qdrant does). Faults can be scripted per method (a gRPC status,
/// or a slow answer), a collection can be put into an outage, and every call is recorded with its api-key.
/// </summary>
public sealed class FakeQdrantGrpcServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, FakeCollection> _collections = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<ScriptedFault> _faults = new();
    private WebApplication _app = null!;
    private long _operationId;

    private FakeQdrantGrpcServer()
    {
    }

    /// <summary>http:// (h2c) or, with a certificate, https:// on 127.0.0.1.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public ConcurrentQueue<RecordedCall> Calls { get; } = new();

    /// <summary>Status reported by upserts and deletes; Qdrant says Completed with wait=true.</summary>
    public UpdateStatus UpdateStatus { get; set; } = UpdateStatus.Completed;

    /// <summary>When set, calls without this api-key are refused with Unauthenticated (as Qdrant does).</summary>
    public string? RequiredApiKey { get; set; }

    /// <summary>While set, every call naming this collection answers Unavailable (an outage, not one scripted fault).</summary>
    public string? OutageFor { get; set; }

    public static async Task<FakeQdrantGrpcServer> StartAsync(X509Certificate2? tlsCertificate = null)
    {
        var server = new FakeQdrantGrpcServer();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            if (tlsCertificate is not null)
            {
                listen.UseHttps(tlsCertificate);
            }
        }));
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 64 * 1024 * 1024);
        builder.Services.AddSingleton(server);
        builder.Services.AddSingleton<IServiceMethodProvider<FakeQdrantService>, FakeQdrantMethods>();
        server._app = builder.Build();
        server._app.MapGrpcService<FakeQdrantService>();
        await server._app.StartAsync();
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    /// <summary>The next call of <paramref name="method"/> (e.g. "Points/Upsert") fails with this status.</summary>
    public void Fail(string method, StatusCode code, string? detail = null) =>
        _faults.Enqueue(new ScriptedFault(method, code, detail ?? $"{code} injected by the test", TimeSpan.Zero));

    /// <summary>The next call of <paramref name="method"/> answers normally, but only after <paramref name="delay"/>
    /// (or fails with Cancelled when the client gives up first).</summary>
    public void Slow(string method, TimeSpan delay) =>
        _faults.Enqueue(new ScriptedFault(method, StatusCode.OK, "", delay));

    public int CountCalls(string method, string? collection = null) =>
        Calls.Count(c => c.Method == method && (collection is null || c.Collection == collection));

    public int CountCallsFor(string collection) => Calls.Count(c => c.Collection == collection);

    /// <summary>Where <paramref name="collection"/>'s create request asked its payload and each of its vectors to live
    /// (null: not said, Qdrant's default).</summary>
    public (Memory? Payload, IReadOnlyDictionary<string, Memory?> Vectors) MemoryOf(string collection)
    {
        var c = Collection(collection);
        return (c.PayloadMemory, c.Vectors.ToDictionary(v => v.Key, v => v.Value.HasMemory ? v.Value.Memory : (Memory?)null, StringComparer.Ordinal));
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task<TResponse> HandleAsync<TResponse>(string method, string collection, ServerCallContext context, Func<TResponse> answer)
    {
        var apiKey = context.RequestHeaders.GetValue("api-key") ?? "";
        Calls.Enqueue(new RecordedCall(method, collection, apiKey));
        if (RequiredApiKey is { } required && apiKey != required)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "Invalid api-key"));
        }

        if (OutageFor is { } down && collection == down)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "outage injected by the test"));
        }

        if (_faults.TryPeek(out var fault) && fault.Method == method && _faults.TryDequeue(out fault))
        {
            if (fault.Delay > TimeSpan.Zero)
            {
                await Task.Delay(fault.Delay, context.CancellationToken);
            }
            else
            {
                throw new RpcException(new Status(fault.Code, fault.Detail));
            }
        }

        try
        {
            return answer();
        }
        catch (RpcException)
        {
            throw;
        }
        catch (Exception ex)
        {
            // A bug in the fake must read as one (a non-transient status), not as a Qdrant fault to retry.
            throw new RpcException(new Status(StatusCode.Unimplemented, $"fake Qdrant failed: {ex}"));
        }
    }

    private FakeCollection Collection(string name) =>
        _collections.TryGetValue(name, out var c) ? c : throw new RpcException(new Status(StatusCode.NotFound, $"Not found: Collection `{name}` doesn't exist!"));

    private PointsOperationResponse Completed() =>
        new() { Result = new UpdateResult { OperationId = (ulong)Interlocked.Increment(ref _operationId), Status = UpdateStatus }, Time = 0.0001 };

    // ---- qdrant.Collections ----

    private GetCollectionInfoResponse GetCollection(GetCollectionInfoRequest request)
    {
        var c = Collection(request.CollectionName);
        var map = new VectorParamsMap();
        foreach (var (name, spec) in c.Vectors)
        {
            map.Map.Add(name, spec.Clone());
        }

        lock (c)
        {
            var info = new CollectionInfo
            {
                Status = CollectionStatus.Green,
                PointsCount = (ulong)c.Points.Count,
                Config = new CollectionConfig { Params = new CollectionParams { VectorsConfig = new VectorsConfig { ParamsMap = map } } },
            };
            foreach (var (field, type) in c.Indexes)
            {
                info.PayloadSchema.Add(field, new PayloadSchemaInfo { DataType = type });
            }

            return new GetCollectionInfoResponse { Result = info, Time = 0.0001 };
        }
    }

    private CollectionOperationResponse CreateCollection(CreateCollection request)
    {
        if (request.VectorsConfig?.ConfigCase != VectorsConfig.ConfigOneofCase.ParamsMap)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, "fake Qdrant supports named vectors only"));
        }

        var collection = new FakeCollection { PayloadMemory = request.Payload?.Memory };
        foreach (var (name, spec) in request.VectorsConfig.ParamsMap.Map)
        {
            collection.Vectors[name] = spec.Clone();
        }

        return _collections.TryAdd(request.CollectionName, collection)
            ? new CollectionOperationResponse { Result = true, Time = 0.0001 }
            : throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Collection `{request.CollectionName}` already exists!"));
    }

    // ---- qdrant.Points ----

    private PointsOperationResponse CreateFieldIndex(CreateFieldIndexCollection request)
    {
        var c = Collection(request.CollectionName);
        lock (c)
        {
            c.Indexes[request.FieldName] = request.FieldType switch
            {
                FieldType.Keyword => PayloadSchemaType.Keyword,
                FieldType.Integer => PayloadSchemaType.Integer,
                FieldType.Float => PayloadSchemaType.Float,
                FieldType.Bool => PayloadSchemaType.Bool,
                FieldType.Datetime => PayloadSchemaType.Datetime,
                _ => PayloadSchemaType.UnknownType,
            };
        }

        return Completed();
    }

    private PointsOperationResponse Upsert(UpsertPoints request)
    {
        var c = Collection(request.CollectionName);
        var parsed = new List<(string Id, Dictionary<string, float[]> Vectors, MapField<string, Value> Payload)>();
        foreach (var point in request.Points)
        {
            if (point.Id.PointIdOptionsCase != PointId.PointIdOptionsOneofCase.Uuid || !Guid.TryParse(point.Id.Uuid, out _))
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Unable to parse UUID: {point.Id}"));
            }

            if (point.Vectors?.VectorsOptionsCase != Vectors.VectorsOptionsOneofCase.Vectors_)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "Wrong input: the collection has named vectors"));
            }

            var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (var (name, vector) in point.Vectors.Vectors_.Vectors)
            {
                if (!c.Vectors.TryGetValue(name, out var spec))
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Not existing vector name error: {name}"));
                }

                if (vector.VectorCase != Vector.VectorOneofCase.Dense)
                {
                    throw new RpcException(new Status(StatusCode.Unimplemented, "fake Qdrant accepts dense vectors only"));
                }

                var values = vector.Dense.Data.ToArray();
                if (values.Length != (int)spec.Size)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Vector dimension error: expected dim: {spec.Size}, got {values.Length}"));
                }

                vectors[name] = spec.Distance == Distance.Cosine ? Normalize(values) : values;
            }

            parsed.Add((point.Id.Uuid, vectors, point.Payload.Clone()));
        }

        lock (c)
        {
            foreach (var (id, vectors, payload) in parsed)
            {
                c.Points[id] = (vectors, payload);
            }
        }

        return Completed();
    }

    private PointsOperationResponse Delete(DeletePoints request)
    {
        var c = Collection(request.CollectionName);
        if (request.Points?.PointsSelectorOneOfCase != PointsSelector.PointsSelectorOneOfOneofCase.Points)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, "fake Qdrant deletes by id only"));
        }

        lock (c)
        {
            foreach (var id in request.Points.Points.Ids)
            {
                c.Points.Remove(id.Uuid);
            }
        }

        return Completed();
    }

    private GetResponse Get(GetPoints request)
    {
        var c = Collection(request.CollectionName);
        var response = new GetResponse { Time = 0.0001 };
        lock (c)
        {
            foreach (var id in request.Ids)
            {
                if (c.Points.TryGetValue(id.Uuid, out var point))
                {
                    var retrieved = new RetrievedPoint { Id = id.Clone(), Vectors = VectorsOf(point.Vectors, request.WithVectors) };
                    CopyPayload(point.Payload, request.WithPayload, retrieved.Payload);
                    response.Result.Add(retrieved);
                }
            }
        }

        return response;
    }

    private CountResponse Count(CountPoints request)
    {
        var c = Collection(request.CollectionName);
        lock (c)
        {
            return new CountResponse { Result = new CountResult { Count = (ulong)c.Points.Count }, Time = 0.0001 };
        }
    }

    /// <summary>Qdrant's scroll: no vector, points in id order (UUIDs compare like their canonical strings), from
    /// <c>offset</c> inclusive; <c>next_page_offset</c> is the first id of the next page, absent on the last.</summary>
    private ScrollResponse Scroll(ScrollPoints request)
    {
        var c = Collection(request.CollectionName);
        var limit = request.HasLimit ? (int)request.Limit : 10;
        var from = request.Offset is { PointIdOptionsCase: PointId.PointIdOptionsOneofCase.Uuid } offset ? offset.Uuid : null;
        var response = new ScrollResponse { Time = 0.0001 };
        lock (c)
        {
            var ids = c.Points
                .Where(kv => (from is null || string.CompareOrdinal(kv.Key, from) >= 0) && (request.Filter is not { } filter || Passes(kv.Key, kv.Value.Payload, filter)))
                .Select(kv => kv.Key)
                .Order(StringComparer.Ordinal)
                .Take(limit + 1)
                .ToList();
            foreach (var id in ids.Take(limit))
            {
                var point = c.Points[id];
                var retrieved = new RetrievedPoint { Id = new PointId { Uuid = id }, Vectors = VectorsOf(point.Vectors, request.WithVectors) };
                CopyPayload(point.Payload, request.WithPayload, retrieved.Payload);
                response.Result.Add(retrieved);
            }

            if (ids.Count > limit)
            {
                response.NextPageOffset = new PointId { Uuid = ids[limit] };
            }
        }

        return response;
    }

    private QueryResponse Query(QueryPoints request)
    {
        var response = new QueryResponse { Time = 0.0001 };
        response.Result.AddRange(Search(Collection(request.CollectionName), request));
        return response;
    }

    private QueryBatchResponse QueryBatch(QueryBatchPoints request)
    {
        var c = Collection(request.CollectionName);
        var response = new QueryBatchResponse { Time = 0.0001 };
        foreach (var query in request.QueryPoints)
        {
            var batch = new BatchResult();
            batch.Result.AddRange(Search(c, query));
            response.Result.Add(batch);
        }

        return response;
    }

    private static List<ScoredPoint> Search(FakeCollection c, QueryPoints request)
    {
        if (request.Query?.VariantCase != global::Qdrant.Client.Grpc.Query.VariantOneofCase.Nearest || request.Query.Nearest.VariantCase != VectorInput.VariantOneofCase.Dense)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, "fake Qdrant answers nearest queries by a dense vector only"));
        }

        var name = request.Using ?? "";
        if (!c.Vectors.TryGetValue(name, out var spec))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Not existing vector name error: {name}"));
        }

        var q = request.Query.Nearest.Dense.Data.ToArray();
        if (q.Length != (int)spec.Size)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Vector dimension error: expected dim: {spec.Size}, got {q.Length}"));
        }

        if (spec.Distance == Distance.Cosine)
        {
            q = Normalize(q);
        }

        var limit = request.HasLimit ? (int)request.Limit : 10;
        lock (c)
        {
            var hits = new List<(string Id, float Score)>();
            foreach (var (id, (vectors, payload)) in c.Points)
            {
                if (request.Filter is { } filter && !Passes(id, payload, filter))
                {
                    continue;
                }

                if (!vectors.TryGetValue(name, out var v))
                {
                    continue;
                }

                var score = 0f;
                for (var i = 0; i < v.Length; i++)
                {
                    score += q[i] * v[i];
                }

                if (!request.HasScoreThreshold || score >= request.ScoreThreshold)
                {
                    hits.Add((id, score));
                }
            }

            var result = new List<ScoredPoint>();
            foreach (var (id, score) in hits.OrderByDescending(h => h.Score).ThenBy(h => h.Id, StringComparer.Ordinal).Take(limit))
            {
                var point = c.Points[id];
                var scored = new ScoredPoint { Id = new PointId { Uuid = id }, Score = score, Version = 1, Vectors = VectorsOf(point.Vectors, request.WithVectors) };
                CopyPayload(point.Payload, request.WithPayload, scored.Payload);
                result.Add(scored);
            }

            return result;
        }
    }

    /// <summary>with_vectors: enable true/false, or an include list of names.</summary>
    private static VectorsOutput? VectorsOf(Dictionary<string, float[]> vectors, WithVectorsSelector? selector)
    {
        var all = selector?.SelectorOptionsCase == WithVectorsSelector.SelectorOptionsOneofCase.Enable && selector.Enable;
        var some = selector?.SelectorOptionsCase == WithVectorsSelector.SelectorOptionsOneofCase.Include ? selector.Include.Names : null;
        if (!all && some is null)
        {
            return null;
        }

        var named = new NamedVectorsOutput();
        foreach (var (name, values) in vectors)
        {
            if (all || some!.Contains(name))
            {
                var dense = new DenseVector();
                dense.Data.AddRange(values);
                named.Vectors.Add(name, new VectorOutput { Dense = dense });
            }
        }

        return new VectorsOutput { Vectors = named };
    }

    /// <summary>with_payload: enable true/false, an include list or an exclude list.</summary>
    private static void CopyPayload(MapField<string, Value> payload, WithPayloadSelector? selector, MapField<string, Value> target)
    {
        Func<string, bool> keep = selector?.SelectorOptionsCase switch
        {
            WithPayloadSelector.SelectorOptionsOneofCase.Enable => _ => selector.Enable,
            WithPayloadSelector.SelectorOptionsOneofCase.Include => key => selector.Include.Fields.Contains(key),
            WithPayloadSelector.SelectorOptionsOneofCase.Exclude => key => !selector.Exclude.Fields.Contains(key),
            _ => _ => false,
        };
        foreach (var (key, value) in payload)
        {
            if (keep(key))
            {
                target.Add(key, value.Clone());
            }
        }
    }

    /// <summary>Qdrant's filter semantics for the conditions the adapter sends: must, must_not, should, field
    /// match (an array matches when any element does; a missing field matches nothing), range, has_id.</summary>
    private static bool Passes(string id, MapField<string, Value> payload, Filter filter) =>
        filter.Must.All(c => Holds(id, payload, c))
        && !filter.MustNot.Any(c => Holds(id, payload, c))
        && (filter.Should.Count == 0 || filter.Should.Any(c => Holds(id, payload, c)));

    private static bool Holds(string id, MapField<string, Value> payload, Condition condition)
    {
        switch (condition.ConditionOneOfCase)
        {
            case Condition.ConditionOneOfOneofCase.HasId:
                return condition.HasId.HasId.Any(p => p.Uuid == id);
            case Condition.ConditionOneOfOneofCase.Filter:
                return Passes(id, payload, condition.Filter);
            case Condition.ConditionOneOfOneofCase.Field:
                var field = condition.Field;
                var values = Lookup(payload, field.Key);
                if (field.Match is { } match)
                {
                    return values.Any(v => match.MatchValueCase switch
                    {
                        Match.MatchValueOneofCase.Keyword => v.KindCase == Value.KindOneofCase.StringValue && v.StringValue == match.Keyword,
                        Match.MatchValueOneofCase.Integer => v.KindCase == Value.KindOneofCase.IntegerValue && v.IntegerValue == match.Integer,
                        Match.MatchValueOneofCase.Boolean => v.KindCase == Value.KindOneofCase.BoolValue && v.BoolValue == match.Boolean,
                        _ => throw new RpcException(new Status(StatusCode.Unimplemented, $"fake Qdrant does not understand match {match}")),
                    });
                }

                if (field.Range is { } range)
                {
                    return values.Any(v => v.KindCase is Value.KindOneofCase.IntegerValue or Value.KindOneofCase.DoubleValue
                        && (v.KindCase == Value.KindOneofCase.IntegerValue ? v.IntegerValue : v.DoubleValue) is var d
                        && (!range.HasGte || d >= range.Gte) && (!range.HasLte || d <= range.Lte)
                        && (!range.HasGt || d > range.Gt) && (!range.HasLt || d < range.Lt));
                }

                throw new RpcException(new Status(StatusCode.Unimplemented, $"fake Qdrant does not understand condition {condition}"));
            default:
                throw new RpcException(new Status(StatusCode.Unimplemented, $"fake Qdrant does not understand condition {condition}"));
        }
    }

    /// <summary>The values at a (dotted) key; an array contributes its elements.</summary>
    private static List<Value> Lookup(MapField<string, Value> payload, string key)
    {
        var parts = key.Split('.');
        if (!payload.TryGetValue(parts[0], out var value))
        {
            return [];
        }

        foreach (var part in parts.Skip(1))
        {
            if (value.KindCase != Value.KindOneofCase.StructValue || !value.StructValue.Fields.TryGetValue(part, out value))
            {
                return [];
            }
        }

        return value.KindCase == Value.KindOneofCase.ListValue ? [.. value.ListValue.Values] : [value];
    }

    private static float[] Normalize(float[] v)
    {
        var norm = Math.Sqrt(v.Sum(x => (double)x * x));
        return norm == 0 ? v : [.. v.Select(x => (float)(x / norm))];
    }

    public sealed record RecordedCall(string Method, string Collection, string ApiKey);

    private sealed record ScriptedFault(string Method, StatusCode Code, string Detail, TimeSpan Delay);

    private sealed class FakeCollection
    {
        public Dictionary<string, VectorParams> Vectors { get; } = new(StringComparer.Ordinal);

        /// <summary>Where the create request asked for the payload to live (the fake keeps everything in memory).</summary>
        public Memory? PayloadMemory { get; init; }

        public Dictionary<string, PayloadSchemaType> Indexes { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, (Dictionary<string, float[]> Vectors, MapField<string, Value> Payload)> Points { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>The gRPC service type Grpc.AspNetCore routes to; its methods come from <see cref="FakeQdrantMethods"/>.</summary>
    public sealed class FakeQdrantService(FakeQdrantGrpcServer server)
    {
        public FakeQdrantGrpcServer Server { get; } = server;
    }

    /// <summary>
    /// Declares Qdrant's methods by hand. Grpc.AspNetCore cannot host a <c>ServerServiceDefinition</c> directly (its
    /// binder is internal), so the same hand-built <see cref="Method{TRequest,TResponse}"/>s are registered through
    /// its method-provider extension point, which is how code-first gRPC services plug in.
    /// </summary>
    private sealed class FakeQdrantMethods : IServiceMethodProvider<FakeQdrantService>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<FakeQdrantService> context)
        {
            Add(context, "qdrant.Collections", "Get", GetCollectionInfoRequest.Parser, GetCollectionInfoResponse.Parser, r => r.CollectionName, (s, r) => s.GetCollection(r));
            Add(context, "qdrant.Collections", "Create", global::Qdrant.Client.Grpc.CreateCollection.Parser, CollectionOperationResponse.Parser, r => r.CollectionName, (s, r) => s.CreateCollection(r));
            Add(context, "qdrant.Collections", "CollectionExists", CollectionExistsRequest.Parser, CollectionExistsResponse.Parser, r => r.CollectionName,
                (s, r) => new CollectionExistsResponse { Result = new CollectionExists { Exists = s._collections.ContainsKey(r.CollectionName) } });
            Add(context, "qdrant.Points", "CreateFieldIndex", CreateFieldIndexCollection.Parser, PointsOperationResponse.Parser, r => r.CollectionName, (s, r) => s.CreateFieldIndex(r));
            Add(context, "qdrant.Points", "Upsert", UpsertPoints.Parser, PointsOperationResponse.Parser, r => r.CollectionName, (s, r) => s.Upsert(r));
            Add(context, "qdrant.Points", "Delete", DeletePoints.Parser, PointsOperationResponse.Parser, r => r.CollectionName, (s, r) => s.Delete(r));
            Add(context, "qdrant.Points", "Get", GetPoints.Parser, GetResponse.Parser, r => r.CollectionName, (s, r) => s.Get(r));
            Add(context, "qdrant.Points", "Count", CountPoints.Parser, CountResponse.Parser, r => r.CollectionName, (s, r) => s.Count(r));
            Add(context, "qdrant.Points", "Scroll", ScrollPoints.Parser, ScrollResponse.Parser, r => r.CollectionName, (s, r) => s.Scroll(r));
            Add(context, "qdrant.Points", "Query", QueryPoints.Parser, QueryResponse.Parser, r => r.CollectionName, (s, r) => s.Query(r));
            Add(context, "qdrant.Points", "QueryBatch", QueryBatchPoints.Parser, QueryBatchResponse.Parser, r => r.CollectionName, (s, r) => s.QueryBatch(r));
        }

        private static void Add<TRequest, TResponse>(
            ServiceMethodProviderContext<FakeQdrantService> context,
            string service,
            string name,
            MessageParser<TRequest> requestParser,
            MessageParser<TResponse> responseParser,
            Func<TRequest, string> collectionOf,
            Func<FakeQdrantGrpcServer, TRequest, TResponse> answer)
            where TRequest : class, IMessage<TRequest>
            where TResponse : class, IMessage<TResponse>
        {
            var method = new Method<TRequest, TResponse>(
                MethodType.Unary,
                service,
                name,
                Marshallers.Create(static (TRequest m) => m.ToByteArray(), requestParser.ParseFrom),
                Marshallers.Create(static (TResponse m) => m.ToByteArray(), responseParser.ParseFrom));
            var key = $"{service["qdrant.".Length..]}/{name}";
            context.AddUnaryMethod(method, [], (instance, request, callContext) =>
                instance.Server.HandleAsync(key, collectionOf(request), callContext, () => answer(instance.Server, request)));
        }
    }
}
