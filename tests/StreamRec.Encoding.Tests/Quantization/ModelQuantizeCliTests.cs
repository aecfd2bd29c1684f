using StreamRec.Encoding.Tests.Synthesis;

namespace StreamRec.Encoding.Tests.Quantization;

/// <summary><c>streamrec model quantize</c> in a child process, as a user runs it (skips when the CLI is not built).</summary>
[Collection(TinyModelCollection.Name)]
public sealed class ModelQuantizeCliTests(TinyModelFixture fixture)
{
    [Fact]
    public async Task ModelQuantize_DamagedModelFile_ExitsNonZeroNamingTheFileAndWritesNothing()
    {
        var cli = ModelSynthCliTests.FindCli();
        if (cli is null)
        {
            Assert.Skip("streamrec.dll not built yet: build services/StreamRec.Cli (or the solution) in the same configuration first.");
        }

        var folder = Path.Combine(fixture.Root, "damaged");
        Directory.CreateDirectory(folder);
        var model = Path.Combine(folder, "model.onnx");
        var bytes = File.ReadAllBytes(fixture.Model.Path);
        await File.WriteAllBytesAsync(model, bytes[..(bytes.Length / 3)], TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(folder, "vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n", TestContext.Current.CancellationToken);
        var output = Path.Combine(fixture.Root, "damaged-int8");

        var (code, text) = await ModelSynthCliTests.RunCliAsync(cli, "model", "quantize", folder, "--out", output, "--models-dir", Path.Combine(fixture.Root, "cli-models"));

        Assert.Equal(1, code);
        Assert.Contains($"error: {model} is not a readable ONNX model", text, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task ModelQuantize_NoSuchModel_ExitsNonZeroListingWhatItTakes()
    {
        var cli = ModelSynthCliTests.FindCli();
        if (cli is null)
        {
            Assert.Skip("streamrec.dll not built yet: build services/StreamRec.Cli (or the solution) in the same configuration first.");
        }

        var (code, text) = await ModelSynthCliTests.RunCliAsync(cli, "model", "quantize", "no-such-model", "--models-dir", Path.Combine(fixture.Root, "cli-models"));

        Assert.Equal(1, code);
        Assert.Contains("No model named 'no-such-model'", text, StringComparison.Ordinal);
    }
}
