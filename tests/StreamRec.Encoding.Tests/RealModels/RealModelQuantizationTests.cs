using StreamRec.Encoding.Provisioning;
using StreamRec.Encoding.Quantization;

namespace StreamRec.Encoding.Tests.RealModels;

/// <summary>
/// The int8 all-MiniLM-L6-v2 made from the real model: selected by name it is made on first use, passes the agreement
/// gate, records where it came from, and ranks paraphrases against look-alike sentences as fp32 does.
/// </summary>
[Collection(RealModelCollection.Name)]
public sealed class RealModelQuantizationTests(RealModelFixture fixture)
{
    private EncoderOptions Options(string model) =>
        new() { ModelsDirectory = fixture.Options.ModelsDirectory, Model = model, IntraOpThreads = 1, SharedModelsPath = "" };

    [Fact]
    public async Task SelectingMiniLmInt8ByName_MakesItFromTheRealModelAndItAgreesWithFp32OnAFixedSet()
    {
        var options = Options("all-MiniLM-L6-v2-int8");

        var resolved = new ModelProvisioner(options).Resolve();
        using var int8 = new OnnxTextEncoder(resolved, options);

        var manifest = ModelManifest.TryRead(Path.GetDirectoryName(resolved.ModelPath)!)!;
        var quantization = manifest.Quantization!;
        Assert.Equal("all-MiniLM-L6-v2-int8", manifest.Name);
        Assert.Equal(PoolingMode.Mean, manifest.Pooling);
        Assert.Equal("all-MiniLM-L6-v2", quantization.SourceModel);
        Assert.Equal(ModelCatalog.Find("all-MiniLM-L6-v2")!.Package!.ModelSha256, quantization.SourceSha256);
        Assert.True(quantization.MeanCosine >= AgreementGate.MinMeanCosine && quantization.MinCosine >= AgreementGate.MinMinCosine
            && quantization.RecallAt10 >= AgreementGate.MinRecallAt10, $"{quantization}");
        Assert.True(new FileInfo(resolved.ModelPath).Length < 0.7 * new FileInfo(fixture.MiniLm.ModelPath).Length);

        // A small fixed set of its own, independent of the gate's: the vector tests' sentences and 60 gate texts.
        var texts = RealModelVectorTests.Triples.SelectMany(t => new[] { t.Anchor, t.Paraphrase, t.LookAlike }).Concat(GateTexts.Create(60)).ToArray();
        var reference = await fixture.MiniLm.EncodeAsync(texts, TestContext.Current.CancellationToken);
        var quantized = await int8.EncodeAsync(texts, TestContext.Current.CancellationToken);
        var figures = AgreementGate.Measure(texts, reference, quantized);
        Assert.True(AgreementGate.Failures(figures).Count == 0, figures.ToString());

        // Meaning survives: each paraphrase ranks against its look-alike as fp32 ranks it (fp32 itself misranks the
        // restaurant pair, 0.527 vs 0.534: RealModelVectorTests).
        for (var i = 0; i < RealModelVectorTests.Triples.Length; i++)
        {
            var fp32First = Dot(reference[3 * i], reference[(3 * i) + 1]) > Dot(reference[3 * i], reference[(3 * i) + 2]);
            var int8First = Dot(quantized[3 * i], quantized[(3 * i) + 1]) > Dot(quantized[3 * i], quantized[(3 * i) + 2]);
            Assert.True(fp32First == int8First,
                $"{RealModelVectorTests.Triples[i].Anchor}: int8 {Dot(quantized[3 * i], quantized[(3 * i) + 1]):F4} vs {Dot(quantized[3 * i], quantized[(3 * i) + 2]):F4}, " +
                $"fp32 {Dot(reference[3 * i], reference[(3 * i) + 1]):F4} vs {Dot(reference[3 * i], reference[(3 * i) + 2]):F4}");
        }
    }

    [Fact]
    public void Quantize_WhenTheGateRefuses_WritesNothingAndReportsTheFigures()
    {
        var target = Path.Combine(fixture.Root, "refused-int8");
        var impossible = new AgreementThresholds(1.01, 1.01, 1.01);

        var result = new ModelQuantizer(Options("all-MiniLM-L6-v2"), impossible).Quantize(fixture.MiniLmDirectory, target, progress: null, replaceExisting: true, TestContext.Current.CancellationToken);

        Assert.False(result.Passed);
        Assert.Null(result.Folder);
        Assert.Equal(3, result.Failures.Count);
        Assert.True(result.Figures.MeanCosine > 0.9, result.Figures.ToString());
        Assert.Empty(Directory.GetDirectories(fixture.Root, "refused-int8*"));
    }

    private static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
