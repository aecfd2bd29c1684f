using System.Text.Json.Serialization;

namespace StreamRec.Contracts;

/// <summary>Source-generated (reflection-free) JSON for every message: snake_case names, nulls omitted,
/// C# nullability and <c>required</c> enforced on read.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowTrailingCommas = false,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict,
    MaxDepth = 16,
    Converters = [typeof(StrictDateTimeOffsetConverter)])]
[JsonSerializable(typeof(ItemUpserted))]
[JsonSerializable(typeof(ItemRetired))]
[JsonSerializable(typeof(Click))]
[JsonSerializable(typeof(Review))]
[JsonSerializable(typeof(UserForget))]
[JsonSerializable(typeof(UserVectorUpdated))]
[JsonSerializable(typeof(RecommendationList))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
