using Microsoft.ML.OnnxRuntime;
using StreamRec.Encoding.Quantization;
using StreamRec.Encoding.Synthesis;

namespace StreamRec.Encoding.Tests.Quantization;

[Collection(TinyModelCollection.Name)]
public sealed class OnnxDynamicQuantizerTests(TinyModelFixture fixture)
{
    private static (string OpType, string Domain, string[] Inputs)[] Nodes(byte[] model)
    {
        var graph = ProtoMessage.Parse(model).Messages(7).Single();
        return graph.Messages(1).Select(n => (n.String(4) ?? "", n.String(7) ?? "", n.Strings(1).ToArray())).ToArray();
    }

    private static HashSet<string> Initializers(byte[] model) =>
        ProtoMessage.Parse(model).Messages(7).Single().Messages(5).Select(t => t.String(8) ?? "").ToHashSet(StringComparer.Ordinal);

    private (byte[] Source, byte[] Quantized, QuantizationReport Report) QuantizeTiny()
    {
        var source = File.ReadAllBytes(fixture.Model.Path);
        var (quantized, report) = OnnxDynamicQuantizer.Quantize(source, fixture.Model.Path, fixture.Model.Sha256);
        return (source, quantized, report);
    }

    [Fact]
    public void Quantize_TinyBert_EveryWeightMatMulBecomesDynamicQuantizeMatMulAndOnlyActivationMatMulsStayFloat()
    {
        var (source, quantized, report) = QuantizeTiny();
        var sourceInitializers = Initializers(source);
        var weightMatMuls = Nodes(source).Count(n => n.OpType == "MatMul" && sourceInitializers.Contains(n.Inputs[1]));
        var activationMatMuls = Nodes(source).Count(n => n.OpType == "MatMul" && !sourceInitializers.Contains(n.Inputs[1]));

        var nodes = Nodes(quantized);
        var initializers = Initializers(quantized);

        Assert.True(weightMatMuls > 0);
        Assert.Equal(weightMatMuls, report.Quantized);
        Assert.Equal(weightMatMuls, nodes.Count(n => n.OpType == OnnxDynamicQuantizer.QuantizedOpType && n.Domain == OnnxDynamicQuantizer.MicrosoftDomain));
        // What stays fp32 is exactly the attention products of two activations: no MatMul reads a constant any more.
        Assert.All(nodes.Where(n => n.OpType is "MatMul" or "Gemm"), n => Assert.DoesNotContain(n.Inputs, initializers.Contains));
        Assert.Equal(activationMatMuls, nodes.Count(n => n.OpType == "MatMul"));
        Assert.Equal(activationMatMuls, report.LeftInFloat.Count);
        // Each Linear's bias Add was folded into its node, and the fp32 weights are gone from the file.
        Assert.Equal(weightMatMuls, report.BiasesFolded);
        Assert.True(report.QuantizedWeightBytes < report.FloatWeightBytes / 3.5, $"{report.QuantizedWeightBytes} vs {report.FloatWeightBytes}");
        Assert.True(source.Length - quantized.Length >= 0.9 * (report.FloatWeightBytes - report.QuantizedWeightBytes), $"{quantized.Length} vs {source.Length}");
    }

    [Fact]
    public void Quantize_SameModelTwice_GivesTheSameBytes()
    {
        var (_, first, _) = QuantizeTiny();
        var (_, second, _) = QuantizeTiny();

        Assert.Equal(first, second);
    }

    [Fact]
    public void Quantize_TinyBert_LoadsInOnnxRuntimeAndGivesCloseHiddenStates()
    {
        var (_, quantized, _) = QuantizeTiny();
        var path = Path.Combine(fixture.Root, "tiny-int8.onnx");
        File.WriteAllBytes(path, quantized);

        var ids = Enumerable.Range(0, 2 * 16).Select(i => (long)(1000 + ((i * 7919) % 20000))).ToArray();
        var reference = HiddenStates(fixture.Model.Path, ids, 2, 16);
        var actual = HiddenStates(path, ids, 2, 16);

        var hidden = TinyModelFixture.Tiny.Hidden;
        var cosines = Enumerable.Range(0, reference.Length / hidden)
            .Select(t => Cosine(reference.AsSpan(t * hidden, hidden), actual.AsSpan(t * hidden, hidden)))
            .ToArray();
        Assert.True(cosines.Min() > 0.99, $"min token cosine {cosines.Min():F4}");
        Assert.NotEqual(reference, actual);
    }

    [Fact]
    public void Quantize_KeepsTheSourceMetadataAndRecordsTheMethodAndSourceChecksum()
    {
        var (_, quantized, _) = QuantizeTiny();
        var path = Path.Combine(fixture.Root, "tiny-int8-meta.onnx");
        File.WriteAllBytes(path, quantized);

        using var session = new InferenceSession(path);
        var metadata = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal("tiny-test", metadata[ModelSynthesizer.MetadataKeys.ModelName]);
        Assert.Equal(fixture.Model.Sha256, metadata[OnnxDynamicQuantizer.MetadataKeys.SourceSha256]);
        Assert.Equal(OnnxDynamicQuantizer.Method, metadata[OnnxDynamicQuantizer.MetadataKeys.Quantization]);
    }

    [Fact]
    public void Quantize_GemmWithTransposedWeightAlphaBetaAndBias_MatchesTheFloatGemm()
    {
        const int k = 24, n = 10, m = 5;
        var random = new Random(3);
        var weight = Enumerable.Range(0, n * k).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var bias = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray();
        var source = GemmModel(weight, bias, k, n, alpha: 0.5f, beta: 2f);

        var (quantized, report) = OnnxDynamicQuantizer.Quantize(source, "gemm", "0");

        Assert.Equal(1, report.Quantized);
        Assert.DoesNotContain(Nodes(quantized), node => node.OpType == "Gemm");
        var x = Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var expected = RunSingle(source, x, m, k);
        var actual = RunSingle(quantized, x, m, k);
        for (var i = 0; i < expected.Length; i++)
        {
            // Within a few quantization steps of the fp32 result (|x|·|w| summed over 24 products stays small).
            Assert.True(Math.Abs(expected[i] - actual[i]) < 0.05, $"{i}: {expected[i]} vs {actual[i]}");
        }
    }

    /// <summary>The worst case of ONNX Runtime's uint8 × int8 kernel on CPUs without VNNI: every activation at the top of
    /// its range (uint8 255) times every weight at the top of its own. Two such products added in a 16-bit lane overflow
    /// it when weights use all 8 bits (2 × 255 × 127 > 32,767; this test then fails on an AVX2 machine, checked); with 7
    /// bits they fit, on every CPU.</summary>
    [Fact]
    public void Quantize_LargestActivationsTimesLargestWeights_DoNotOverflowOnAnyCpu()
    {
        const int k = 32, n = 4, m = 2;
        var weight = Enumerable.Repeat(0.5f, n * k).ToArray();
        var source = GemmModel(weight, new float[n], k, n, alpha: 1f, beta: 0f);
        var (quantized, _) = OnnxDynamicQuantizer.Quantize(source, "gemm", "0");

        // One small negative value sets the range's bottom; the rest sit at its top.
        var x = Enumerable.Repeat(1f, m * k).ToArray();
        x[0] = -0.01f;
        var expected = RunSingle(source, x, m, k);
        var actual = RunSingle(quantized, x, m, k);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) < 0.02 * Math.Abs(expected[i]), $"{i}: {expected[i]} vs {actual[i]}");
        }
    }

    [Fact]
    public void QuantizePerColumn_EachColumnUsesItsOwnScaleAndRoundTripsWithinHalfAStep()
    {
        // Column 0 is 1000 times smaller than column 1: a per-tensor scale would flatten it to zeros.
        const int k = 4, n = 2;
        float[] weight = [0.001f, 1f, -0.002f, -2f, 0.0005f, 0.5f, 0f, 1.5f];

        var (q, scales) = OnnxDynamicQuantizer.QuantizePerColumn(weight, k, n, transposed: false, alpha: 1f);

        // 7 bits: ±63 (OnnxDynamicQuantizer.WeightLimit says why).
        Assert.Equal(0.002f / 63, scales[0], 1e-9f);
        Assert.Equal(2f / 63, scales[1], 1e-7f);
        Assert.Equal(-63, q[(1 * n) + 0]);
        Assert.Equal(-63, q[(1 * n) + 1]);
        Assert.All(q, v => Assert.InRange(v, (sbyte)-63, (sbyte)63));
        for (var row = 0; row < k; row++)
        {
            for (var col = 0; col < n; col++)
            {
                Assert.True(Math.Abs(weight[(row * n) + col] - (q[(row * n) + col] * scales[col])) <= scales[col] / 2 * 1.0001);
            }
        }

        var transposed = new float[n * k];
        for (var row = 0; row < k; row++)
        {
            for (var col = 0; col < n; col++)
            {
                transposed[(col * k) + row] = weight[(row * n) + col];
            }
        }

        var (qt, scalesT) = OnnxDynamicQuantizer.QuantizePerColumn(transposed, k, n, transposed: true, alpha: 1f);
        Assert.Equal(q, qt);
        Assert.Equal(scales, scalesT);
    }

    [Fact]
    public void Quantize_TruncatedModel_FailsSayingItIsNotAReadableOnnxModel()
    {
        var source = File.ReadAllBytes(fixture.Model.Path);

        var error = Assert.Throws<EncodingException>(() => OnnxDynamicQuantizer.Quantize(source[..(source.Length / 2)], "/models/cut/model.onnx", "0"));

        Assert.Contains("/models/cut/model.onnx is not a readable ONNX model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantize_TextFile_FailsSayingItIsNotAReadableOnnxModel()
    {
        var error = Assert.Throws<EncodingException>(() => OnnxDynamicQuantizer.Quantize("this is not a model\n"u8.ToArray(), "notes.txt", "0"));

        Assert.Contains("notes.txt is not a readable ONNX model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantize_AlreadyQuantizedModel_IsRefused()
    {
        var (_, quantized, _) = QuantizeTiny();

        var error = Assert.Throws<EncodingException>(() => OnnxDynamicQuantizer.Quantize(quantized, "int8.onnx", "0"));

        Assert.Contains("already quantized", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantize_ModelWithoutConstantWeights_IsRefusedAsUnsupported()
    {
        using var stream = new MemoryStream();
        OnnxProto.WriteModel(stream, "test", "1", [OnnxProto.OperatorSetId("", 17)], [], "g",
            [OnnxProto.Node("MatMul", "mm", ["a", "b"], ["y"])], [],
            [OnnxProto.TensorValueInfo("a", OnnxProto.Float, 2, 3), OnnxProto.TensorValueInfo("b", OnnxProto.Float, 3, 2)],
            [OnnxProto.TensorValueInfo("y", OnnxProto.Float, 2, 2)]);

        var error = Assert.Throws<EncodingException>(() => OnnxDynamicQuantizer.Quantize(stream.ToArray(), "two-inputs.onnx", "0"));

        Assert.Contains("no MatMul or Gemm with a constant fp32 weight", error.Message, StringComparison.Ordinal);
        Assert.Contains("both inputs are activations", error.Message, StringComparison.Ordinal);
    }

    private static byte[] GemmModel(float[] weightNk, float[] bias, int k, int n, float alpha, float beta)
    {
        using var stream = new MemoryStream();
        var gemm = OnnxProto.Node("Gemm", "gemm", ["x", "w", "c"], ["y"],
            OnnxProto.FloatAttribute("alpha", alpha), OnnxProto.FloatAttribute("beta", beta), OnnxProto.IntAttribute("transB", 1));
        OnnxProto.WriteModel(stream, "test", "1", [OnnxProto.OperatorSetId("", 17)], [], "g", [gemm],
            [OnnxProto.FloatTensor("w", weightNk, n, k), OnnxProto.FloatTensor("c", bias, n)],
            [OnnxProto.TensorValueInfo("x", OnnxProto.Float, "m", k)],
            [OnnxProto.TensorValueInfo("y", OnnxProto.Float, "m", n)]);
        return stream.ToArray();
    }

    private static float[] RunSingle(byte[] model, float[] x, int m, int k)
    {
        using var session = new InferenceSession(model);
        using var input = OrtValue.CreateTensorValueFromMemory(x, [m, k]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["x"], [input], ["y"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static float[] HiddenStates(string model, long[] ids, int rows, int columns)
    {
        using var session = new InferenceSession(model);
        long[] shape = [rows, columns];
        using var inputIds = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, ids.Length).ToArray(), shape);
        using var types = OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], [inputIds, mask, types], ["last_hidden_state"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }
}
