using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using StreamRec.Encoding.Provisioning;
using StreamRec.Encoding.Synthesis;

namespace StreamRec.Encoding.Tests.Provisioning;

[Collection(TinyModelCollection.Name)]
public sealed class ModelProvisionerTests(TinyModelFixture fixture)
{
    private string NewDirectory()
    {
        var dir = Path.Combine(fixture.Root, "prov-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public async Task Resolve_SyntheticAndNothingPresent_SynthesizesMiniLmShapedModelAndWarns()
    {
        _ = fixture.VocabPath; // skips when the shared vocabulary is missing
        var models = NewDirectory();
        var logger = new FakeLogger<ModelProvisioner>();
        var options = new EncoderOptions { ModelsDirectory = models, Model = EncoderOptions.SyntheticModelName, SharedModelsPath = fixture.SharedModelsPath, IntraOpThreads = 1 };

        var resolved = new ModelProvisioner(options, logger).Resolve();

        Assert.True(resolved.Synthetic);
        var written = File.GetLastWriteTimeUtc(resolved.ModelPath);
        Assert.Equal(Path.Combine(models, ModelSynthesizer.DefaultModelName, "model.onnx"), resolved.ModelPath);
        Assert.True(File.Exists(Path.Combine(models, ModelSynthesizer.DefaultModelName, "vocab.txt")));
        var manifest = ModelManifest.TryRead(Path.Combine(models, ModelSynthesizer.DefaultModelName));
        Assert.NotNull(manifest);
        Assert.True(manifest.Synthetic);
        Assert.False(manifest.SemanticallyTrained);
        var warning = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("NOT semantically trained", warning.Message, StringComparison.Ordinal);

        // The default has all-MiniLM-L6-v2's shape: 384 dimensions, and word overlap shows in the vectors.
        using var encoder = new OnnxTextEncoder(resolved, options);
        var v = await encoder.EncodeAsync(
            ["a detective story set in rainy london", "rainy london detective drama", "cheerful cartoon about farm animals"],
            TestContext.Current.CancellationToken);
        Assert.Equal(384, encoder.Dimension);
        Assert.Equal(ModelSynthesizer.DefaultModelName, encoder.Info.ModelName);
        Assert.False(encoder.Info.SemanticallyTrained);
        Assert.True(VectorAssert.Cosine(v[0], v[1]) > VectorAssert.Cosine(v[0], v[2]));

        // A second resolve reuses the file rather than synthesizing again.
        var again = new ModelProvisioner(options, logger).Resolve();
        Assert.Equal(resolved.ModelPath, again.ModelPath);
        Assert.True(again.Synthetic);
        Assert.Equal(written, File.GetLastWriteTimeUtc(again.ModelPath));
        Assert.Single(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
    }

    [Fact]
    public void Resolve_SyntheticWithNoVocabularyAnywhere_ThrowsErrorNamingTheFix()
    {
        var options = new EncoderOptions { ModelsDirectory = NewDirectory(), Model = EncoderOptions.SyntheticModelName, SharedModelsPath = NewDirectory() };

        var ex = Assert.Throws<EncodingException>(() => new ModelProvisioner(options).Resolve());

        Assert.Contains("streamrec model fetch all-MiniLM-L6-v2", ex.Message, StringComparison.Ordinal);
        Assert.Contains(EncoderOptions.SharedModelsEnvironmentVariable, ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(options.ModelsDirectory, "*.onnx", SearchOption.AllDirectories));
    }

    [Fact]
    public void Resolve_NamedCatalogModelPresent_UsesItAndReadsItsManifest()
    {
        var models = NewDirectory();
        var dir = Path.Combine(models, "bge-small-en-v1.5", "onnx");
        Directory.CreateDirectory(dir);
        File.Copy(fixture.Model.Path, Path.Combine(dir, "model.onnx"));
        File.Copy(fixture.VocabPath, Path.Combine(models, "bge-small-en-v1.5", "vocab.txt"));
        new ModelManifest { Name = "bge-small-en-v1.5", Pooling = PoolingMode.Cls }.Write(Path.Combine(models, "bge-small-en-v1.5"));
        // A synthesized model is present too, but the named one is used.
        Directory.CreateDirectory(Path.Combine(models, ModelSynthesizer.DefaultModelName));
        File.Copy(fixture.Model.Path, Path.Combine(models, ModelSynthesizer.DefaultModelName, "model.onnx"));

        var resolved = new ModelProvisioner(new EncoderOptions { ModelsDirectory = models, Model = "bge-small-en-v1.5", SharedModelsPath = "" }).Resolve();

        Assert.Equal(Path.Combine(dir, "model.onnx"), resolved.ModelPath);
        Assert.Equal(Path.Combine(models, "bge-small-en-v1.5", "vocab.txt"), resolved.VocabPath);
        Assert.Equal(PoolingMode.Cls, resolved.Pooling);
        Assert.Equal("bge-small-en-v1.5", resolved.Name);
    }

    [Fact]
    public void Resolve_ConfiguredPathMissing_ThrowsClearError()
    {
        var options = new EncoderOptions { ModelPath = Path.Combine(fixture.Root, "nope", "model.onnx"), SharedModelsPath = fixture.SharedModelsPath };

        var ex = Assert.Throws<EncodingException>(() => new ModelProvisioner(options).Resolve());

        Assert.Contains("No ONNX model", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_ConfiguredFileWithoutVocabNextToIt_UsesSharedVocabulary()
    {
        var options = new EncoderOptions { ModelPath = fixture.Model.Path, SharedModelsPath = fixture.SharedModelsPath };

        var resolved = new ModelProvisioner(options).Resolve();

        Assert.Equal(fixture.Model.Path, resolved.ModelPath);
        Assert.Equal(Path.GetFullPath(fixture.VocabPath), resolved.VocabPath);
    }
}
