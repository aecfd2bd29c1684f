using Qdrant.Client.Grpc;
using StreamRec.Ports;

namespace StreamRec.VectorStore.Qdrant.Internal;

/// <summary>A collection's named vectors and distance as Qdrant reports them; used to check a spec and to
/// reject bad vectors before any request.</summary>
internal sealed class Layout
{
    private const int MaxIdLength = 256;

    private Layout(string collection, Dictionary<string, (int Size, string Distance)> vectors, string? unnamed)
    {
        Collection = collection;
        Vectors = vectors;
        Unnamed = unnamed;
    }

    public string Collection { get; }

    public Dictionary<string, (int Size, string Distance)> Vectors { get; }

    /// <summary>Set when the collection has one unnamed vector (created outside StreamRec).</summary>
    public string? Unnamed { get; }

    /// <summary>Reads <c>config.params.vectors_config</c> of a collection's info.</summary>
    public static Layout Parse(string collection, CollectionInfo info)
    {
        var config = info.Config?.Params?.VectorsConfig
            ?? throw new VectorStoreException($"Qdrant collection '{collection}' info has no config.params.vectors_config");
        switch (config.ConfigCase)
        {
            case VectorsConfig.ConfigOneofCase.Params:
                return new Layout(collection, [], $"size {config.Params.Size}, {config.Params.Distance}");
            case VectorsConfig.ConfigOneofCase.ParamsMap:
                var named = new Dictionary<string, (int, string)>(StringComparer.Ordinal);
                foreach (var (name, value) in config.ParamsMap.Map)
                {
                    named[name] = ((int)value.Size, value.Distance.ToString());
                }

                return new Layout(collection, named, null);
            default:
                return new Layout(collection, [], null);
        }
    }

    public string? Incompatibility(CollectionSpec spec)
    {
        var expectedDistance = spec.Distance.ToString();
        var expected = string.Join(", ", spec.Vectors.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}:{v.Value}:{expectedDistance}"));
        if (Unnamed is not null)
        {
            return $"Qdrant collection '{Collection}' has a single unnamed vector ({Unnamed}), expected named vectors {{{expected}}}";
        }

        var actual = string.Join(", ", Vectors.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}:{v.Value.Size}:{v.Value.Distance}"));
        return expected == actual ? null : $"Qdrant collection '{Collection}' has vectors {{{actual}}}, expected {{{expected}}}";
    }

    public static void ValidateId(string id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxIdLength)
        {
            throw new VectorStoreException($"point ids must be 1 to {MaxIdLength} characters, got {id?.Length ?? 0}");
        }
    }

    public void Validate(VectorPoint point)
    {
        ValidateId(point.Id);
        foreach (var name in point.Vectors.Keys)
        {
            if (!Vectors.ContainsKey(name))
            {
                throw new VectorStoreException($"point '{point.Id}' has vector '{name}', which collection '{Collection}' does not declare");
            }
        }

        foreach (var (name, (size, _)) in Vectors)
        {
            if (!point.Vectors.TryGetValue(name, out var vector))
            {
                throw new VectorStoreException($"point '{point.Id}' lacks vector '{name}' of collection '{Collection}'");
            }

            ValidateVector(point.Id, name, vector, size);
        }
    }

    public void Validate(VectorQuery query)
    {
        if (!Vectors.TryGetValue(query.VectorName, out var vector))
        {
            throw new VectorStoreException($"collection '{Collection}' has no vector named '{query.VectorName}'");
        }

        if (query.Limit <= 0)
        {
            throw new VectorStoreException($"query limit must be positive, got {query.Limit}");
        }

        ValidateVector("<query>", query.VectorName, query.Vector, vector.Size);
    }

    private static void ValidateVector(string pointId, string name, float[] vector, int expected)
    {
        if (vector.Length != expected)
        {
            throw new VectorStoreException($"vector '{name}' of point '{pointId}' has dimension {vector.Length}, expected {expected}");
        }

        for (var i = 0; i < vector.Length; i++)
        {
            if (!float.IsFinite(vector[i]))
            {
                throw new VectorStoreException($"vector '{name}' of point '{pointId}' has a non-finite value at index {i}");
            }
        }
    }
}
