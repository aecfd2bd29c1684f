using System.Text.Json.Nodes;
using StreamRec.Ports;

namespace StreamRec.Pipeline.Engines;

/// <summary>
/// The store remembers which encoder made its vectors. Item vectors, the users' sums of them and every query are only
/// comparable when one model made them all, and nothing re-encodes what a store already holds, so a service that
/// encodes refuses to start on a store another model wrote (<see cref="EncoderMismatchException"/>). The first service
/// to start on a store records its model; a store from before this record is taken to hold the running model's vectors.
/// A model is known by its name (<see cref="EncoderInfo.ModelName"/>: the catalog name, or a custom model's metadata
/// name or file name), so two different custom files of one name are not told apart; hashing the file at every start
/// (about 90 MB) was not worth that case.
/// </summary>
public static class EncoderRecord
{
    private static readonly Dictionary<string, float[]> Placeholder = new(StringComparer.Ordinal) { [Collections.PlaceholderVector] = [1f] };

    /// <summary>Records <paramref name="encoder"/> in a store that names no encoder yet; throws
    /// <see cref="EncoderMismatchException"/> when the store names another model. Returns the model the store names.</summary>
    public static async Task<string> CheckOrRecordAsync(IVectorStore store, EncoderInfo encoder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(encoder);
        await store.EnsureCollectionAsync(Collections.MetaSpec(), cancellationToken);
        var found = await store.GetAsync(Collections.Meta, [MetaFields.EncoderPoint], withVectors: false, withPayload: true, cancellationToken);
        if (found.Count == 1 && found[0].Payload is { } payload && payload[MetaFields.Model]?.GetValue<string>() is { } recorded)
        {
            if (!string.Equals(recorded, encoder.ModelName, StringComparison.Ordinal))
            {
                throw new EncoderMismatchException(recorded, encoder.ModelName);
            }

            return recorded;
        }

        var point = new VectorPoint(MetaFields.EncoderPoint, Placeholder, new JsonObject
        {
            [MetaFields.Model] = encoder.ModelName,
            [MetaFields.Dimension] = encoder.Dimension,
        });
        await store.UpsertAsync(Collections.Meta, [point], cancellationToken);
        return encoder.ModelName;
    }
}

/// <summary>The store's vectors were made by another encoder than the one configured.</summary>
public sealed class EncoderMismatchException(string recordedModel, string configuredModel) : Exception(
    $"The vector store's item and user vectors were made by the encoder '{recordedModel}', and this service is configured with " +
    $"'{configuredModel}'. Vectors of two models cannot be compared and nothing re-encodes the stored ones: set " +
    $"StreamRec:Encoder:Model back to '{recordedModel}', or start '{configuredModel}' on a new store (another " +
    "StreamRec:VectorStore:Embedded:Path, or empty Qdrant collections) and replay the topics into it.")
{
    public string RecordedModel { get; } = recordedModel;

    public string ConfiguredModel { get; } = configuredModel;
}
