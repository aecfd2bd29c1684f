using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace StreamRec.VectorStore.Qdrant.Internal;

// Wire shapes of the Qdrant REST endpoints we call (https://api.qdrant.tech). Only the fields we use.

/// <summary>Every Qdrant response: <c>status</c> is "ok" or <c>{"error": "..."}</c>.</summary>
internal sealed class QdrantResponse<T>
{
    public T? Result { get; set; }

    public JsonElement? Status { get; set; }
}

internal sealed record VectorParams(int Size, string Distance);

internal sealed record CreateCollectionRequest(Dictionary<string, VectorParams> Vectors);

internal sealed record CreateIndexRequest(string FieldName, string FieldSchema);

internal sealed record PointStruct(string Id, Dictionary<string, float[]> Vector, JsonObject Payload);

internal sealed record UpsertRequest(List<PointStruct> Points);

internal sealed record DeleteRequest(List<string> Points);

internal sealed class UpdateResult
{
    public long OperationId { get; set; }

    public string? Status { get; set; }
}

internal sealed record GetPointsRequest(List<string> Ids, JsonNode WithPayload, bool WithVector);

internal sealed class RecordDto
{
    public JsonElement Id { get; set; }

    public JsonObject? Payload { get; set; }

    public Dictionary<string, float[]>? Vector { get; set; }

    public float Score { get; set; }
}

internal sealed record QueryRequest(
    float[] Query,
    string Using,
    JsonObject? Filter,
    int Limit,
    float? ScoreThreshold,
    JsonNode WithPayload,
    bool WithVector);

internal sealed record QueryBatchRequest(List<QueryRequest> Searches);

internal sealed class QueryResult
{
    public List<RecordDto> Points { get; set; } = [];
}

internal sealed record CountRequest(bool Exact);

internal sealed class CountResult
{
    public long Count { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateCollectionRequest))]
[JsonSerializable(typeof(CreateIndexRequest))]
[JsonSerializable(typeof(UpsertRequest))]
[JsonSerializable(typeof(DeleteRequest))]
[JsonSerializable(typeof(GetPointsRequest))]
[JsonSerializable(typeof(QueryRequest))]
[JsonSerializable(typeof(QueryBatchRequest))]
[JsonSerializable(typeof(CountRequest))]
[JsonSerializable(typeof(QdrantResponse<bool>))]
[JsonSerializable(typeof(QdrantResponse<JsonObject>))]
[JsonSerializable(typeof(QdrantResponse<UpdateResult>))]
[JsonSerializable(typeof(QdrantResponse<List<RecordDto>>))]
[JsonSerializable(typeof(QdrantResponse<QueryResult>))]
[JsonSerializable(typeof(QdrantResponse<List<QueryResult>>))]
[JsonSerializable(typeof(QdrantResponse<CountResult>))]
internal sealed partial class QdrantJsonContext : JsonSerializerContext;
