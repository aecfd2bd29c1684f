using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using StreamRec.Observability;

namespace StreamRec.Encoding.Tests.Encoding;

[Collection(TinyModelCollection.Name)]
public sealed class OnnxTextEncoderTests(TinyModelFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EncodeAsync_ReturnsUnitVectorsOfModelDimension()
    {
        using var encoder = fixture.CreateEncoder();
        var textsBefore = StreamRecMetrics.EncoderTexts.Value;
        var tokensBefore = StreamRecMetrics.EncoderTokens.Value;

        var vectors = await encoder.EncodeAsync(["a quiet film about the sea", "loud action movie"], Ct);

        // Other tests encode in parallel, so the counters grow by at least this call's share.
        Assert.True(StreamRecMetrics.EncoderTexts.Value - textsBefore >= 2);
        Assert.True(StreamRecMetrics.EncoderTokens.Value - tokensBefore >= 8 + 5);
        Assert.Equal(1, StreamRecMetrics.EncoderInfo.WithLabels("tiny-test", "cpu").Value);

        Assert.Equal(TinyModelFixture.Tiny.Hidden, encoder.Dimension);
        Assert.Equal(2, vectors.Length);
        Assert.All(vectors, v => VectorAssert.UnitLength(v, encoder.Dimension));
        Assert.Equal("tiny-test", encoder.Info.ModelName);
        Assert.Equal("cpu", encoder.Info.ExecutionProvider);
        Assert.False(encoder.Info.SemanticallyTrained);
        Assert.True(encoder.FeedsTokenTypeIds);
    }

    [Fact]
    public async Task EncodeAsync_TextAloneAndPaddedInBatch_GivesSameVector()
    {
        using var encoder = fixture.CreateEncoder();
        const string shortText = "space opera";
        var longText = string.Join(' ', Enumerable.Repeat("a long winding story about a detective in the rain", 6));

        var alone = (await encoder.EncodeAsync([shortText], Ct))[0];
        var batched = await encoder.EncodeAsync([longText, shortText, "medium sized text here"], Ct);

        Assert.True(encoder.Tokenize(longText).Length > encoder.Tokenize(shortText).Length + 20);
        VectorAssert.Close(alone, batched[1], 1e-5f);
    }

    [Fact]
    public async Task EncodeAsync_ManyTextsAcrossBatches_KeepsCallerOrder()
    {
        using var encoder = fixture.CreateEncoder(o => o.MaxBatchSize = 3);
        var texts = Enumerable.Range(0, 10)
            .Select(i => string.Join(' ', Enumerable.Repeat($"word{i}", 10 - i)))
            .ToArray();

        var together = await encoder.EncodeAsync(texts, Ct);

        for (var i = 0; i < texts.Length; i++)
        {
            var alone = (await encoder.EncodeAsync([texts[i]], Ct))[0];
            VectorAssert.Close(alone, together[i], 1e-5f);
        }
    }

    [Fact]
    public async Task EncodeAsync_SameTextTwice_IsDeterministic()
    {
        using var first = fixture.CreateEncoder();
        using var second = fixture.CreateEncoder();

        var a = (await first.EncodeAsync(["deterministic output please"], Ct))[0];
        var b = (await second.EncodeAsync(["deterministic output please"], Ct))[0];

        Assert.Equal(a, b);
    }

    [Fact]
    public async Task EncodeAsync_TextsSharingWords_AreCloserThanUnrelatedTexts()
    {
        using var encoder = fixture.CreateEncoder();

        var v = await encoder.EncodeAsync(
            ["the old pirate ship sailed across the ocean", "a pirate ship on the ocean at night", "quarterly tax forms are due in april"], Ct);

        Assert.True(VectorAssert.Cosine(v[0], v[1]) > VectorAssert.Cosine(v[0], v[2]),
            $"shared words {VectorAssert.Cosine(v[0], v[1])} vs unrelated {VectorAssert.Cosine(v[0], v[2])}");
        Assert.True(VectorAssert.Cosine(v[0], v[1]) > VectorAssert.Cosine(v[1], v[2]));
    }

    [Fact]
    public async Task EncodeAsync_ConcurrentCallers_GetTheSameVectorsAsSequential()
    {
        using var encoder = fixture.CreateEncoder(o => o.MaxBatchSize = 4);
        var texts = Enumerable.Range(0, 12).Select(i => $"item number {i} with some text {new string('x', i)}").ToArray();
        var expected = await encoder.EncodeAsync(texts, Ct);

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => encoder.EncodeAsync(texts, Ct)));

        foreach (var result in results)
        {
            for (var i = 0; i < texts.Length; i++)
            {
                VectorAssert.Close(expected[i], result[i], 1e-5f);
            }
        }
    }

    [Theory]
    // Escaped in the attribute and unescaped here: xunit's serialization of test data cannot carry lone surrogates.
    [InlineData("")]
    [InlineData(@"   \t\r\n  ")]
    [InlineData(@"\u0000\u0001\u0007 bell and nul \u001b[31m")]
    [InlineData(@"lone \uD800 high surrogate")]
    [InlineData(@"\uDC00 lone low surrogate")]
    [InlineData(@"emoji \uD83D\uDE00 and 漢字 and \u200B zero width")]
    public async Task EncodeAsync_OddInput_ReturnsFiniteUnitVector(string escaped)
    {
        using var encoder = fixture.CreateEncoder();
        var text = System.Text.RegularExpressions.Regex.Unescape(escaped);

        var vector = Assert.Single(await encoder.EncodeAsync([text], Ct));

        VectorAssert.UnitLength(vector, encoder.Dimension);
    }

    [Fact]
    public async Task EncodeAsync_HundredThousandCharacters_TruncatesToMaxTokens()
    {
        using var encoder = fixture.CreateEncoder(o => o.MaxTokens = 64);
        var huge = string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet ", 4000))[..100_000];

        var vector = Assert.Single(await encoder.EncodeAsync([huge], Ct));

        VectorAssert.UnitLength(vector, encoder.Dimension);
        Assert.Equal(64, encoder.Tokenize(huge).Length);
    }

    [Fact]
    public async Task EncodeAsync_Empty_ReturnsEmpty()
    {
        using var encoder = fixture.CreateEncoder();

        Assert.Empty(await encoder.EncodeAsync([], Ct));
    }

    [Fact]
    public async Task EncodeAsync_AfterDispose_Throws()
    {
        var encoder = fixture.CreateEncoder();
        encoder.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => encoder.EncodeAsync(["x"], Ct));
    }

    [Fact]
    public async Task Create_CudaRequestedWithoutGpu_FallsBackToCpuWithOneWarning()
    {
        var logger = new FakeLogger<OnnxTextEncoder>();

        using var encoder = new OnnxTextEncoder(fixture.Resolved(), new EncoderOptions { Provider = ExecutionProviderKind.Cuda, IntraOpThreads = 1 }, logger);
        var vector = Assert.Single(await encoder.EncodeAsync(["runs on the cpu"], Ct));

        Assert.Equal("cpu", encoder.Info.ExecutionProvider);
        var warning = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Equal(3001, warning.Id.Id);
        Assert.Contains("falling back to the CPU", warning.Message, StringComparison.Ordinal);
        VectorAssert.UnitLength(vector, encoder.Dimension);
    }

    [Fact]
    public async Task EncodeAsync_ClsPooling_DiffersFromMeanAndIsUnitLength()
    {
        using var mean = fixture.CreateEncoder();
        using var cls = new OnnxTextEncoder(fixture.Resolved() with { Pooling = PoolingMode.Cls }, new EncoderOptions { IntraOpThreads = 1 });

        var m = (await mean.EncodeAsync(["pooling matters here"], Ct))[0];
        var c = (await cls.EncodeAsync(["pooling matters here"], Ct))[0];

        Assert.Equal(PoolingMode.Cls, cls.Pooling);
        VectorAssert.UnitLength(c, cls.Dimension);
        Assert.NotEqual(m, c);
    }

    [Fact]
    public void Create_NotAnOnnxFile_ThrowsClearError()
    {
        var bogus = Path.Combine(fixture.Root, "bogus.onnx");
        File.WriteAllText(bogus, "not a model");

        var ex = Assert.Throws<EncodingException>(() => new OnnxTextEncoder(fixture.Resolved() with { ModelPath = bogus }, new EncoderOptions()));

        Assert.Contains("could not load the model", ex.Message, StringComparison.Ordinal);
    }
}
