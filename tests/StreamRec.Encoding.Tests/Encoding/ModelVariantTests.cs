using StreamRec.Encoding.Synthesis;

namespace StreamRec.Encoding.Tests.Encoding;

/// <summary>Exports other than plain BERT: no token_type_ids input, and a pooled sentence_embedding output.</summary>
[Collection(TinyModelCollection.Name)]
public sealed class ModelVariantTests(TinyModelFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private OnnxTextEncoder Encoder(string name, BertArchitecture arch) =>
        new(fixture.Resolved() with { ModelPath = ModelSynthesizer.Write(Path.Combine(fixture.Root, name, "model.onnx"), arch, seed: 7, modelName: "tiny-test").Path },
            new EncoderOptions { IntraOpThreads = 1 });

    [Fact]
    public async Task Encode_ModelWithoutTokenTypeIds_IsNotFedThemAndMatchesAllZeroSegments()
    {
        using var without = Encoder("no-types", TinyModelFixture.Tiny with { TokenTypeIdsInput = false });
        using var with = fixture.CreateEncoder();
        const string text = "segments are all zero for one sentence";

        var a = (await without.EncodeAsync([text], Ct))[0];
        var b = (await with.EncodeAsync([text], Ct))[0];

        Assert.False(without.FeedsTokenTypeIds);
        VectorAssert.Close(b, a, 1e-5f);
    }

    [Fact]
    public async Task Encode_ModelWithSentenceEmbeddingOutput_UsesItAndAgreesWithOwnMeanPooling()
    {
        using var pooledInGraph = Encoder("pooled", TinyModelFixture.Tiny with { SentenceEmbeddingOutput = true });
        using var pooledHere = fixture.CreateEncoder();
        string[] texts = ["pooling inside the graph", "and a longer text to force padding in the same batch of texts"];

        var graph = await pooledInGraph.EncodeAsync(texts, Ct);
        var ours = await pooledHere.EncodeAsync(texts, Ct);

        Assert.Equal("sentence_embedding", pooledInGraph.OutputName);
        Assert.Equal(TinyModelFixture.Tiny.Hidden, pooledInGraph.Dimension);
        for (var i = 0; i < texts.Length; i++)
        {
            VectorAssert.Close(ours[i], graph[i], 1e-5f);
        }
    }
}
