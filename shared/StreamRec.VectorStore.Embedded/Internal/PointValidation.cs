using StreamRec.Ports;

namespace StreamRec.VectorStore.Embedded.Internal;

/// <summary>Checks made before anything is stored, so a bad vector never reaches disk or the index.</summary>
internal static class PointValidation
{
    public const int MaxIdLength = 256;

    public static void ValidateId(string id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxIdLength)
        {
            throw new VectorStoreException($"point ids must be 1 to {MaxIdLength} characters, got {id?.Length ?? 0}");
        }
    }

    public static void ValidateVector(string pointId, string name, ReadOnlySpan<float> vector, int expectedDim)
    {
        if (vector.Length != expectedDim)
        {
            throw new VectorStoreException($"vector '{name}' of point '{pointId}' has dimension {vector.Length}, expected {expectedDim}");
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
