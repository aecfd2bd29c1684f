using System.Reflection;
using Prometheus;
using StreamRec.Observability;

namespace StreamRec.Infra.Tests.PromQl;

/// <summary>
/// The metric names a StreamRec process can export: every collector declared in <see cref="StreamRecMetrics"/>
/// (found by reflection, so a new metric there is known here at once), prometheus-net's default process_* and
/// dotnet_* families, and Prometheus' own <c>up</c>.
/// </summary>
public static class KnownMetrics
{
    private static readonly string[] DefaultPrefixes = ["process_", "dotnet_"];

    /// <summary>Declared family name to collector type (Counter, Gauge, Histogram, Summary).</summary>
    public static IReadOnlyDictionary<string, Type> Declared { get; } = typeof(StreamRecMetrics)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => typeof(Collector).IsAssignableFrom(f.FieldType))
        .Select(f => (Collector)f.GetValue(null)!)
        .ToDictionary(c => c.Name, c => c.GetType(), StringComparer.Ordinal);

    /// <summary>True when <paramref name="sampleName"/> (as written in PromQL, suffixes included) can exist.</summary>
    public static bool IsKnown(string sampleName)
    {
        ArgumentNullException.ThrowIfNull(sampleName);
        if (sampleName == "up" || DefaultPrefixes.Any(p => sampleName.StartsWith(p, StringComparison.Ordinal)))
        {
            return true;
        }

        return Declared.ContainsKey(PromQlMetricNames.FamilyName(sampleName, IsHistogramOrSummary));
    }

    /// <summary>The names in <paramref name="expr"/> that no StreamRec process exports.</summary>
    public static IReadOnlyList<string> Unknown(string expr) =>
        [.. PromQlMetricNames.Extract(expr).Where(n => !IsKnown(n))];

    private static bool IsHistogramOrSummary(string family) =>
        Declared.TryGetValue(family, out var type) && (typeof(Histogram).IsAssignableFrom(type) || typeof(Summary).IsAssignableFrom(type));
}
