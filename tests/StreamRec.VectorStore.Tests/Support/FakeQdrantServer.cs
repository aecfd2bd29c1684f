using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace StreamRec.VectorStore.Tests.Support;

/// <summary>
/// An in-memory Qdrant on 127.0.0.1 (random port) answering the REST endpoints the adapter calls with
/// the documented response shapes: <c>{"result":...,"status":"ok","time":..}</c> on success and
/// <c>{"status":{"error":"..."},"time":..}</c> on failure. Search is brute force. Faults can be scripted
/// per request, and every request is recorded (method, path, api-key header).
/// </summary>
public sealed class FakeQdrantServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, FakeCollection> _collections = new();
    private readonly ConcurrentQueue<ScriptedFault> _faults = new();

    private FakeQdrantServer(WebApplication app)
    {
        _app = app;
    }

    public Uri BaseAddress { get; private set; } = null!;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Status reported by upsert/delete; Qdrant says "completed" with wait=true.</summary>
    public string UpdateStatus { get; set; } = "completed";

    public static async Task<FakeQdrantServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeQdrantServer(app);
        server.Map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address);
        return server;
    }

    /// <summary>The next request whose path contains <paramref name="pathContains"/> gets this response instead.</summary>
    public void Fail(string pathContains, int status, string body, string contentType = "application/json") =>
        _faults.Enqueue(new ScriptedFault(pathContains, status, body, contentType));

    /// <summary>While set, every request whose path contains this answers 503 (an outage, not one scripted fault).</summary>
    public string? OutageFor { get; set; }

    public int CountRequests(string pathContains) => Requests.Count(r => r.Path.Contains(pathContains, StringComparison.Ordinal));

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static IResult Ok(JsonNode? result) =>
        Results.Text(new JsonObject { ["result"] = result, ["status"] = "ok", ["time"] = 0.0001 }.ToJsonString(), "application/json");

    private static IResult Error(int status, string message) =>
        Results.Text(new JsonObject { ["status"] = new JsonObject { ["error"] = message }, ["time"] = 0.0001 }.ToJsonString(), "application/json", statusCode: status);

    private static IResult Missing(string name) => Error(404, $"Not found: Collection `{name}` doesn't exist!");

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            Requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, context.Request.Headers["api-key"].ToString()));
            var path = context.Request.Path.Value ?? "";
            if (OutageFor is { } down && path.Contains(down, StringComparison.Ordinal))
            {
                await Error(503, "Service Unavailable: outage injected by the test").ExecuteAsync(context);
                return;
            }

            if (_faults.TryPeek(out var fault) && path.Contains(fault.PathContains, StringComparison.Ordinal) && _faults.TryDequeue(out var dequeued))
            {
                context.Response.StatusCode = dequeued.Status;
                context.Response.ContentType = dequeued.ContentType;
                await context.Response.WriteAsync(dequeued.Body);
                return;
            }

            try
            {
                await next(context);
            }
            catch (Exception ex) when (!context.Response.HasStarted)
            {
                // A bug in the fake must read as one, not as a transient Qdrant fault to retry.
                context.Response.StatusCode = 418;
                await context.Response.WriteAsync($"fake Qdrant failed: {ex}");
            }
        });

        app.MapGet("/collections/{name}", (string name) =>
        {
            if (!_collections.TryGetValue(name, out var c))
            {
                return Missing(name);
            }

            var vectors = new JsonObject();
            foreach (var (vectorName, (size, distance)) in c.Vectors)
            {
                vectors[vectorName] = new JsonObject { ["size"] = size, ["distance"] = distance };
            }

            return Ok(new JsonObject
            {
                ["status"] = "green",
                ["points_count"] = c.Points.Count,
                ["config"] = new JsonObject { ["params"] = new JsonObject { ["vectors"] = vectors } },
            });
        });

        app.MapPut("/collections/{name}", async (string name, HttpRequest request) =>
        {
            var body = await Body(request);
            if (_collections.ContainsKey(name))
            {
                return Error(409, $"Wrong input: Collection `{name}` already exists!");
            }

            var collection = new FakeCollection();
            foreach (var (vectorName, p) in body["vectors"]!.AsObject())
            {
                collection.Vectors[vectorName] = (p!["size"]!.GetValue<int>(), p["distance"]!.GetValue<string>());
            }

            _collections[name] = collection;
            return Ok(true);
        });

        app.MapPut("/collections/{name}/index", async (string name, HttpRequest request) =>
        {
            var body = await Body(request);
            if (!_collections.TryGetValue(name, out var c))
            {
                return Missing(name);
            }

            c.Indexes[body["field_name"]!.GetValue<string>()] = body["field_schema"]!.GetValue<string>();
            return Ok(new JsonObject { ["operation_id"] = 1, ["status"] = "completed" });
        });

        app.MapPut("/collections/{name}/points", async (string name, HttpRequest request) =>
        {
            var body = await Body(request);
            if (!_collections.TryGetValue(name, out var c))
            {
                return Missing(name);
            }

            var parsed = new List<(string Id, Dictionary<string, float[]> Vectors, JsonObject Payload)>();
            foreach (var point in body["points"]!.AsArray())
            {
                var id = point!["id"]!.GetValue<string>();
                if (!Guid.TryParse(id, out _))
                {
                    return Error(400, $"Format error in JSON body: value {id} is not a valid point ID, valid values are either an unsigned integer or a UUID");
                }

                var vectors = new Dictionary<string, float[]>();
                foreach (var (vectorName, values) in point["vector"]!.AsObject())
                {
                    if (!c.Vectors.TryGetValue(vectorName, out var spec))
                    {
                        return Error(400, $"Wrong input: Not existing vector name error: {vectorName}");
                    }

                    var v = values!.AsArray().Select(x => x!.GetValue<float>()).ToArray();
                    if (v.Length != spec.Size)
                    {
                        return Error(400, $"Wrong input: Vector dimension error: expected dim: {spec.Size}, got {v.Length}");
                    }

                    vectors[vectorName] = spec.Distance == "Cosine" ? BruteForce.Normalize(v) : v;
                }

                parsed.Add((id, vectors, point["payload"]?.AsObject() ?? []));
            }

            lock (c)
            {
                foreach (var (id, vectors, payload) in parsed)
                {
                    c.Points[id] = (vectors, (JsonObject)payload.DeepClone());
                }
            }

            return Ok(new JsonObject { ["operation_id"] = 2, ["status"] = UpdateStatus });
        });

        app.MapPost("/collections/{name}/points", async (string name, HttpRequest request) =>
        {
            var body = await Body(request);
            if (!_collections.TryGetValue(name, out var c))
            {
                return Missing(name);
            }

            var result = new JsonArray();
            lock (c)
            {
                foreach (var id in body["ids"]!.AsArray().Select(i => i!.GetValue<string>()))
                {
                    if (c.Points.TryGetValue(id, out var p))
                    {
                        result.Add(Record(id, p, body["with_payload"], body["with_vector"], null));
                    }
                }
            }

            return Ok(result);
        });

        app.MapPost("/collections/{name}/points/delete", async (string name, HttpRequest request) =>
        {
            var body = await Body(request);
            if (!_collections.TryGetValue(name, out var c))
            {
                return Missing(name);
            }

            lock (c)
            {
                foreach (var id in body["points"]!.AsArray())
                {
                    c.Points.Remove(id!.GetValue<string>());
                }
            }

            return Ok(new JsonObject { ["operation_id"] = 3, ["status"] = UpdateStatus });
        });

        app.MapPost("/collections/{name}/points/count", (string name) =>
            _collections.TryGetValue(name, out var c) ? Ok(new JsonObject { ["count"] = c.Points.Count }) : Missing(name));

        app.MapPost("/collections/{name}/points/query", async (string name, HttpRequest request) =>
        {
            var body = await Body(request);
            if (!_collections.TryGetValue(name, out var c))
            {
                return Missing(name);
            }

            var (result, error) = Query(c, body);
            return error ?? Ok(result);
        });

        app.MapPost("/collections/{name}/points/query/batch", async (string name, HttpRequest request) =>
        {
            var body = await Body(request);
            if (!_collections.TryGetValue(name, out var c))
            {
                return Missing(name);
            }

            var results = new JsonArray();
            foreach (var search in body["searches"]!.AsArray())
            {
                var (result, error) = Query(c, search!.AsObject());
                if (error is not null)
                {
                    return error;
                }

                results.Add(result);
            }

            return Ok(results);
        });
    }

    private static (JsonObject? Result, IResult? Error) Query(FakeCollection c, JsonObject body)
    {
        var vectorName = body["using"]?.GetValue<string>() ?? "";
        if (!c.Vectors.TryGetValue(vectorName, out var spec))
        {
            return (null, Error(400, $"Wrong input: Not existing vector name error: {vectorName}"));
        }

        var q = body["query"]!.AsArray().Select(x => x!.GetValue<float>()).ToArray();
        if (q.Length != spec.Size)
        {
            return (null, Error(400, $"Wrong input: Vector dimension error: expected dim: {spec.Size}, got {q.Length}"));
        }

        if (spec.Distance == "Cosine")
        {
            q = BruteForce.Normalize(q);
        }

        var limit = body["limit"]?.GetValue<int>() ?? 10;
        var threshold = body["score_threshold"]?.GetValue<float>();
        var filter = body["filter"] as JsonObject;
        var hits = new List<(string Id, float Score)>();
        lock (c)
        {
            foreach (var (id, (vectors, payload)) in c.Points)
            {
                if (filter is not null && !FilterPasses(id, payload, filter))
                {
                    continue;
                }

                var v = vectors[vectorName];
                var score = 0f;
                for (var i = 0; i < v.Length; i++)
                {
                    score += q[i] * v[i];
                }

                if (threshold is null || score >= threshold)
                {
                    hits.Add((id, score));
                }
            }

            var points = new JsonArray();
            foreach (var (id, score) in hits.OrderByDescending(h => h.Score).Take(limit))
            {
                points.Add(Record(id, c.Points[id], body["with_payload"], body["with_vector"], score));
            }

            return (new JsonObject { ["points"] = points }, null);
        }
    }

    private static JsonObject Record(string id, (Dictionary<string, float[]> Vectors, JsonObject Payload) point, JsonNode? withPayload, JsonNode? withVector, float? score)
    {
        var record = new JsonObject { ["id"] = id, ["version"] = 1 };
        if (score is { } s)
        {
            record["score"] = s;
        }

        // with_payload: true | false | ["field", ...] | {"include": [...]}
        JsonObject? payload = withPayload switch
        {
            JsonValue v when v.GetValue<bool>() => (JsonObject)point.Payload.DeepClone(),
            JsonArray fields => Pick(point.Payload, fields),
            JsonObject { } o when o["include"] is JsonArray fields => Pick(point.Payload, fields),
            _ => null,
        };
        record["payload"] = payload;
        if (withVector is JsonValue wv && wv.GetValue<bool>())
        {
            record["vector"] = new JsonObject(point.Vectors.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonArray([.. kv.Value.Select(x => (JsonNode)x)]))));
        }

        return record;
    }

    private static JsonObject Pick(JsonObject payload, JsonArray fields)
    {
        var picked = new JsonObject();
        foreach (var field in fields.Select(f => f!.GetValue<string>()))
        {
            if (payload.TryGetPropertyValue(field, out var value))
            {
                picked[field] = value?.DeepClone();
            }
        }

        return picked;
    }

    /// <summary>Qdrant filter semantics for the conditions the adapter sends: must, must_not,
    /// field match (arrays match when any element does), range, has_id.</summary>
    private static bool FilterPasses(string id, JsonObject payload, JsonObject filter) =>
        (filter["must"] as JsonArray ?? []).All(c => ConditionHolds(id, payload, c!.AsObject()))
        && !(filter["must_not"] as JsonArray ?? []).Any(c => ConditionHolds(id, payload, c!.AsObject()));

    private static bool ConditionHolds(string id, JsonObject payload, JsonObject condition)
    {
        if (condition["has_id"] is JsonArray ids)
        {
            return ids.Any(i => i!.GetValue<string>() == id);
        }

        var key = condition["key"]!.GetValue<string>();
        if (!payload.TryGetPropertyValue(key, out var node) || node is null)
        {
            return false;
        }

        IEnumerable<JsonNode?> values = node is JsonArray array ? array : new[] { node };
        if (condition["match"]?["value"] is JsonValue expected)
        {
            return values.Any(v => v is JsonValue actual && actual.GetValueKind() == expected.GetValueKind() && actual.ToJsonString() == expected.ToJsonString());
        }

        if (condition["range"] is JsonObject range)
        {
            return values.Any(v => v is JsonValue actual && actual.GetValueKind() == JsonValueKind.Number
                && actual.GetValue<double>() is var d
                && (range["gte"] is null || d >= range["gte"]!.GetValue<double>())
                && (range["lte"] is null || d <= range["lte"]!.GetValue<double>())
                && (range["gt"] is null || d > range["gt"]!.GetValue<double>())
                && (range["lt"] is null || d < range["lt"]!.GetValue<double>()));
        }

        throw new InvalidOperationException($"fake Qdrant does not understand condition {condition.ToJsonString()}");
    }

    private static async Task<JsonObject> Body(HttpRequest request) =>
        (await JsonNode.ParseAsync(request.Body))?.AsObject() ?? [];

    public sealed record RecordedRequest(string Method, string Path, string ApiKey);

    private sealed record ScriptedFault(string PathContains, int Status, string Body, string ContentType);

    private sealed class FakeCollection
    {
        public Dictionary<string, (int Size, string Distance)> Vectors { get; } = [];

        public Dictionary<string, string> Indexes { get; } = [];

        public Dictionary<string, (Dictionary<string, float[]> Vectors, JsonObject Payload)> Points { get; } = [];
    }
}
