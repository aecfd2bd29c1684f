using Microsoft.Extensions.DependencyInjection;
using StreamRec.Pipeline.Engines;
using StreamRec.Ports;
using StreamRec.TestSupport;
using StreamRec.VectorStore.Embedded;

namespace StreamRec.Pipeline.Tests.Engines;

/// <summary>The store remembers the encoder that made its vectors, and a service with another model refuses to start on it.</summary>
public sealed class EncoderRecordTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("streamrec-encoder-record-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static EncoderInfo Model(string name, int dimension = 384) => new(name, "cpu", dimension, 128, SemanticallyTrained: true);

    private EmbeddedVectorStore OpenStore() =>
        new(new EmbeddedVectorStoreOptions { Path = Path.Combine(_directory, "vectors.db"), SynchronousFull = false });

    [Fact]
    public async Task FirstStart_RecordsTheModel_AndTheSameModelStartsAgainAfterAReopen()
    {
        using (var store = OpenStore())
        {
            Assert.Equal("all-MiniLM-L6-v2", await EncoderRecord.CheckOrRecordAsync(store, Model("all-MiniLM-L6-v2"), Ct));
        }

        using var reopened = OpenStore();
        var point = Assert.Single(await reopened.GetAsync(Collections.Meta, [MetaFields.EncoderPoint], withVectors: false, withPayload: true, Ct));
        Assert.Equal("all-MiniLM-L6-v2", point.Payload![MetaFields.Model]!.GetValue<string>());
        Assert.Equal(384, point.Payload[MetaFields.Dimension]!.GetValue<int>());
        Assert.Equal("all-MiniLM-L6-v2", await EncoderRecord.CheckOrRecordAsync(reopened, Model("all-MiniLM-L6-v2"), Ct));
    }

    [Fact]
    public async Task AnotherModelOfTheSameDimension_IsRefused_NamingBoth_AndTheRecordIsKept()
    {
        using var store = OpenStore();
        await EncoderRecord.CheckOrRecordAsync(store, Model("all-MiniLM-L6-v2"), Ct);

        var ex = await Assert.ThrowsAsync<EncoderMismatchException>(() => EncoderRecord.CheckOrRecordAsync(store, Model("all-MiniLM-L6-v2-int8"), Ct));

        Assert.Equal("all-MiniLM-L6-v2", ex.RecordedModel);
        Assert.Equal("all-MiniLM-L6-v2-int8", ex.ConfiguredModel);
        Assert.Contains("'all-MiniLM-L6-v2'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'all-MiniLM-L6-v2-int8'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("StreamRec:Encoder:Model", ex.Message, StringComparison.Ordinal);
        var point = Assert.Single(await store.GetAsync(Collections.Meta, [MetaFields.EncoderPoint], withVectors: false, withPayload: true, Ct));
        Assert.Equal("all-MiniLM-L6-v2", point.Payload![MetaFields.Model]!.GetValue<string>());
    }

    [Fact]
    public async Task AStoreFromBeforeTheRecord_IsTakenToHoldTheRunningModelsVectors()
    {
        using var store = OpenStore();
        await store.EnsureCollectionAsync(Collections.ItemsSpec(4), Ct);
        var vectors = new Dictionary<string, float[]> { [Collections.ItemVector] = [1f, 0f, 0f, 0f] };
        await store.UpsertAsync(Collections.Items, [new VectorPoint("i1", vectors, null)], Ct);

        Assert.Equal("arctic-embed-xs", await EncoderRecord.CheckOrRecordAsync(store, Model("arctic-embed-xs", 4), Ct));
        await Assert.ThrowsAsync<EncoderMismatchException>(() => EncoderRecord.CheckOrRecordAsync(store, Model("all-MiniLM-L6-v2", 4), Ct));
    }

    [Fact]
    public async Task AHostWithAnotherEncoder_DoesNotStartOnTheStoreAnotherModelWrote()
    {
        await using var harness = new PipelineHarness();
        var first = await harness.StartHostAsync();
        var recorded = first.Services.GetRequiredService<ITextEncoder>().Info.ModelName;
        await harness.StopHostAsync(first);

        var ex = await Assert.ThrowsAsync<EncoderMismatchException>(() => harness.StartHostAsync(services => services.AddSingleton<ITextEncoder>(new HashingEncoder(48))));

        Assert.Equal(recorded, ex.RecordedModel);
        Assert.Equal("hashing-test-encoder", ex.ConfiguredModel);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
