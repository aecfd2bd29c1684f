using StreamRec.Encoding.Provisioning;
using StreamRec.Encoding.Quantization;

namespace StreamRec.Encoding.Tests.RealModels;

/// <summary>
/// The int8 all-MiniLM-L6-v2 made from the real model: selected by name it is made on first use, passes the agreement
/// gate, records where it came from, and ranks paraphrases against look-alike sentences as fp32 does (near-ties aside);
/// one made by an older method is made again.
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

        // A small fixed set of its own: the vector tests' sentences and 60 gate texts, each vector close to fp32's. Its
        // recall@10 is not held to the gate's 0.9: over 16 queries one neighbour is 0.6 % of it, and 7-bit weights gave
        // 0.894 here while the gate's 100 queries gave 0.923 (the manifest's figures, checked above).
        var texts = RealModelVectorTests.Triples.SelectMany(t => new[] { t.Anchor, t.Paraphrase, t.LookAlike }).Concat(GateTexts.Create(60)).ToArray();
        var reference = await fixture.MiniLm.EncodeAsync(texts, TestContext.Current.CancellationToken);
        var quantized = await int8.EncodeAsync(texts, TestContext.Current.CancellationToken);
        var figures = AgreementGate.Measure(texts, reference, quantized);
        Assert.True(figures.MeanCosine >= AgreementGate.MinMeanCosine && figures.MinCosine >= AgreementGate.MinMinCosine, figures.ToString());

        // Meaning survives: each paraphrase's margin over its look-alike stays within 0.05 of fp32's, and where fp32's
        // margin is wider than that noise (0.02) the order is fp32's. fp32 itself misranks the restaurant pair by 0.0075
        // (0.527 vs 0.534: RealModelVectorTests), a near-tie either int8 may break (7-bit weights, AVX2: +0.018).
        for (var i = 0; i < RealModelVectorTests.Triples.Length; i++)
        {
            var fp32Margin = Dot(reference[3 * i], reference[(3 * i) + 1]) - Dot(reference[3 * i], reference[(3 * i) + 2]);
            var int8Margin = Dot(quantized[3 * i], quantized[(3 * i) + 1]) - Dot(quantized[3 * i], quantized[(3 * i) + 2]);
            var message = $"{RealModelVectorTests.Triples[i].Anchor}: paraphrase minus look-alike, int8 {int8Margin:F4}, fp32 {fp32Margin:F4}";
            Assert.True(Math.Abs(int8Margin - fp32Margin) <= 0.05, message);
            Assert.True(Math.Abs(fp32Margin) < 0.02 || Math.Sign(int8Margin) == Math.Sign(fp32Margin), message);
        }
    }

    /// <summary>A variant made by an older method (before weights were held to 7 bits) is made again when selected, not
    /// reused: its vectors were wrong on CPUs without VNNI.</summary>
    [Fact]
    public void SelectingMiniLmInt8_MadeByAnOlderMethod_MakesItAgain()
    {
        var options = Options("all-MiniLM-L6-v2-int8");
        var folder = Path.GetDirectoryName(new ModelProvisioner(options).Resolve().ModelPath)!;
        var manifest = ModelManifest.TryRead(folder)!;
        (manifest with { Quantization = manifest.Quantization! with { Method = "dynamic int8 (an older method)" } }).Write(folder);

        var resolved = new ModelProvisioner(options).Resolve();

        Assert.Equal(folder, Path.GetDirectoryName(resolved.ModelPath));
        var remade = ModelManifest.TryRead(folder)!;
        Assert.Equal(OnnxDynamicQuantizer.Method, remade.Quantization!.Method);
        Assert.True(remade.CreatedAt > manifest.CreatedAt, $"{remade.CreatedAt} vs {manifest.CreatedAt}");
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
