using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using StreamRec.SystemBench.Pipeline;
using StreamRec.SystemBench.Scaling;

namespace StreamRec.SystemBench.Report;

/// <summary>Where and how a report was produced.</summary>
public sealed record MachineInfo(string GeneratedAt, int ProcessorCount, string Os, string Runtime, double MemoryGB, double LoadAverage1m, bool Quick, double DurationSeconds);

/// <summary>One target of the issue, read against what was measured. <see cref="Met"/> is null when it was not measured.</summary>
public sealed record TargetCheck(string Target, string Measured, bool? Met);

/// <summary>
/// The single report of <c>streamrec bench all</c>. The encoder and store parts are the JSON the <c>model bench</c>
/// and <c>store bench</c> verbs wrote, kept as they are; a part that failed carries its error instead.
/// </summary>
public sealed record PerformanceReport
{
    public required MachineInfo Machine { get; init; }

    public JsonNode? Encoder { get; init; }

    public string? EncoderError { get; init; }

    public JsonNode? Store { get; init; }

    public string? StoreError { get; init; }

    public PipelineBenchResult? Pipeline { get; init; }

    public string? PipelineError { get; init; }

    public ScalingResult? Scaling { get; init; }

    public string? ScalingError { get; init; }

    public IReadOnlyList<TargetCheck> Targets { get; init; } = [];

    public string ToJson() => JsonSerializer.Serialize(this, BenchReportJsonContext.Default.PerformanceReport);

    public static PerformanceReport FromJson(string json) =>
        JsonSerializer.Deserialize(json, BenchReportJsonContext.Default.PerformanceReport) ?? throw new JsonException("empty report");
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PerformanceReport))]
[JsonSerializable(typeof(PipelineBenchResult))]
[JsonSerializable(typeof(ScalingResult))]
internal sealed partial class BenchReportJsonContext : JsonSerializerContext;
