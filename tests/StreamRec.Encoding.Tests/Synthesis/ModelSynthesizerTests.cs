using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;
using StreamRec.Encoding.Synthesis;

namespace StreamRec.Encoding.Tests.Synthesis;

[Collection(TinyModelCollection.Name)]
public sealed class ModelSynthesizerTests(TinyModelFixture fixture)
{
    [Fact]
    public void Write_TinyShape_LoadsInOnnxRuntimeWithBertInputsAndConfiguredDimension()
    {
        using var session = new InferenceSession(fixture.Model.Path);

        Assert.Equal(["attention_mask", "input_ids", "token_type_ids"], session.InputMetadata.Keys.Order(StringComparer.Ordinal));
        var output = Assert.Single(session.OutputMetadata);
        Assert.Equal("last_hidden_state", output.Key);
        Assert.Equal(TinyModelFixture.Tiny.Hidden, output.Value.Dimensions[^1]);
        Assert.Equal("true", session.ModelMetadata.CustomMetadataMap[ModelSynthesizer.MetadataKeys.Synthetic]);
        Assert.Equal("false", session.ModelMetadata.CustomMetadataMap[ModelSynthesizer.MetadataKeys.SemanticallyTrained]);
        Assert.Equal("7", session.ModelMetadata.CustomMetadataMap[ModelSynthesizer.MetadataKeys.Seed]);
    }

    [Fact]
    public void Write_SameSeedTwice_GivesByteIdenticalFiles()
    {
        var second = ModelSynthesizer.Write(Path.Combine(fixture.Root, "again", "model.onnx"), TinyModelFixture.Tiny, seed: 7, modelName: "tiny-test");

        Assert.Equal(fixture.Model.Sha256, second.Sha256);
        Assert.Equal(fixture.Model.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(second.Path))));
    }

    [Fact]
    public void Write_DifferentSeed_GivesDifferentWeights()
    {
        var other = ModelSynthesizer.Write(Path.Combine(fixture.Root, "seed8", "model.onnx"), TinyModelFixture.Tiny, seed: 8, modelName: "tiny-test");

        Assert.NotEqual(fixture.Model.Sha256, other.Sha256);
    }

    [Fact]
    public void Validate_HiddenNotDivisibleByHeads_Throws()
    {
        var bad = TinyModelFixture.Tiny with { Hidden = 30, Heads = 4 };

        Assert.Throws<ArgumentException>(bad.Validate);
    }
}
