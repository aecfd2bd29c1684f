using System.Text.Json;
using System.Text.Json.Nodes;
using StreamRec.Ports;

namespace StreamRec.VectorStore.Tests.Support;

/// <summary>The obvious, slow answer: score every point, filter with a straightforward reading of the
/// port's rules over <see cref="JsonObject"/> payloads, sort everything. Independent of the store's code.</summary>
public static class BruteForce
{
    public static List<(string Id, float Score)> Search(
        IReadOnlyDictionary<string, (float[] Vector, JsonObject? Payload)> points, VectorQuery query, Distance distance)
    {
        var q = distance == Distance.Cosine ? Normalize(query.Vector) : query.Vector;
        var scored = new List<(string Id, float Score)>();
        var excluded = new HashSet<string>(query.Filter?.ExcludeIds ?? [], StringComparer.Ordinal);
        foreach (var (id, (vector, payload)) in points)
        {
            if (excluded.Contains(id) || (query.Filter is { } filter && !Passes(id, payload, filter with { ExcludeIds = [] })))
            {
                continue;
            }

            double dot = 0, norm = 0;
            for (var i = 0; i < vector.Length; i++)
            {
                dot += (double)q[i] * vector[i];
                norm += (double)vector[i] * vector[i];
            }

            if (distance == Distance.Cosine && norm > 0)
            {
                dot /= Math.Sqrt(norm);
            }

            if (query.ScoreThreshold is { } t && dot < t)
            {
                continue;
            }

            scored.Add((id, (float)dot));
        }

        return [.. scored.OrderByDescending(s => s.Score).ThenBy(s => s.Id, StringComparer.Ordinal).Take(query.Limit)];
    }

    public static bool Passes(string id, JsonObject? payload, VectorFilter filter) =>
        !filter.ExcludeIds.Contains(id)
        && filter.Must.All(c => Matches(payload, c))
        && !filter.MustNot.Any(c => Matches(payload, c));

    public static bool Matches(JsonObject? payload, FieldCondition condition)
    {
        if (payload is null || !payload.TryGetPropertyValue(condition.Key, out var node) || node is null)
        {
            return false;
        }

        IEnumerable<JsonNode?> values = node is JsonArray array ? array : new[] { node };
        return values.Any(v => v is JsonValue value && condition switch
        {
            MatchCondition m => SameScalar(value, m.Value),
            RangeCondition r => value.GetValueKind() == JsonValueKind.Number
                && double.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture) is var d
                && (r.Gte is null || d >= r.Gte) && (r.Lte is null || d <= r.Lte),
            _ => false,
        });
    }

    public static float[] Normalize(float[] v)
    {
        var norm = Math.Sqrt(v.Sum(x => (double)x * x));
        return norm == 0 ? v : [.. v.Select(x => (float)(x / norm))];
    }

    private static bool SameScalar(JsonValue actual, JsonValue expected) =>
        actual.GetValueKind() == expected.GetValueKind()
        && actual.ToJsonString() == expected.ToJsonString();
}
