using System.Text.Json;
using StreamRec.Ports;
using Q = Qdrant.Client.Grpc;

namespace StreamRec.VectorStore.Qdrant.Internal;

/// <summary>Our <see cref="VectorFilter"/> as a Qdrant filter: must / must_not of field conditions, and the
/// excluded ids as one must_not has_id over their UUIDs. Qdrant's semantics match the port's: a point whose
/// payload lacks the field satisfies no condition, and an array field matches when any element does.</summary>
internal static class QdrantFilters
{
    public static Q.Filter? ToQdrant(VectorFilter? filter)
    {
        if (filter is null || (filter.Must.Count == 0 && filter.MustNot.Count == 0 && filter.ExcludeIds.Count == 0))
        {
            return null;
        }

        var wire = new Q.Filter();
        foreach (var condition in filter.Must)
        {
            wire.Must.Add(ToQdrant(condition));
        }

        foreach (var condition in filter.MustNot)
        {
            wire.MustNot.Add(ToQdrant(condition));
        }

        if (filter.ExcludeIds.Count > 0)
        {
            var hasId = new Q.HasIdCondition();
            foreach (var id in filter.ExcludeIds)
            {
                hasId.HasId.Add(QdrantVectorStore.ToPointId(id));
            }

            wire.MustNot.Add(new Q.Condition { HasId = hasId });
        }

        return wire;
    }

    private static Q.Condition ToQdrant(FieldCondition condition) => condition switch
    {
        MatchCondition match => new Q.Condition { Field = new Q.FieldCondition { Key = match.Key, Match = ToMatch(match) } },
        RangeCondition range => new Q.Condition { Field = new Q.FieldCondition { Key = range.Key, Range = ToRange(range) } },
        _ => throw new VectorStoreException($"unsupported filter condition {condition.GetType().Name}"),
    };

    private static Q.Match ToMatch(MatchCondition match)
    {
        var value = match.Value;
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                return new Q.Match { Keyword = value.GetValue<string>() };
            case JsonValueKind.True:
                return new Q.Match { Boolean = true };
            case JsonValueKind.False:
                return new Q.Match { Boolean = false };
            case JsonValueKind.Number when PayloadConverter.TryGetInteger(value, out var integer):
                return new Q.Match { Integer = integer };
            default:
                // Qdrant matches keywords, integers and booleans only; a fractional number needs a range.
                throw new VectorStoreException($"cannot match '{match.Key}' against {value.ToJsonString()}: Qdrant matches strings, integers and booleans (use a RangeCondition for other numbers)");
        }
    }

    private static Q.Range ToRange(RangeCondition range)
    {
        var wire = new Q.Range();
        if (range.Gte is { } gte)
        {
            wire.Gte = gte;
        }

        if (range.Lte is { } lte)
        {
            wire.Lte = lte;
        }

        return wire;
    }
}
