using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;

namespace StreamRec.Encoding.Quantization;

/// <summary>What <see cref="OnnxDynamicQuantizer"/> did to a graph.</summary>
/// <param name="Quantized">Nodes turned into DynamicQuantizeMatMul (MatMul and Gemm with a constant weight).</param>
/// <param name="BiasesFolded">Of those, how many took the Add of a constant bias that followed them.</param>
/// <param name="LeftInFloat">MatMul/Gemm nodes kept in fp32, each with the reason (e.g. both inputs are activations).</param>
/// <param name="FloatWeightBytes">Bytes of the fp32 weights that were quantized.</param>
/// <param name="QuantizedWeightBytes">Bytes of their int8 weights, scales and zero points.</param>
public sealed record QuantizationReport(
    int Quantized,
    int BiasesFolded,
    IReadOnlyList<string> LeftInFloat,
    long FloatWeightBytes,
    long QuantizedWeightBytes);

/// <summary>
/// Rewrites an ONNX model for dynamic int8 inference: every MatMul and Gemm whose weight is a constant fp32 matrix
/// becomes one <c>com.microsoft.DynamicQuantizeMatMul</c>, which ONNX Runtime's CPU provider runs natively: the
/// activation is quantized to uint8 per tensor at run time, the weight is stored as int8 with one symmetric scale per
/// output column (zero point 0) in 7 bits (±<see cref="WeightLimit"/>), and an Add of a constant bias right after the
/// product is folded into the node.
/// MatMuls of two activations (attention scores and context) stay in fp32: they carry no weights and are a small part
/// of the work at the sequence lengths the encoder sees.
/// </summary>
/// <remarks>
/// The model is read and written with <see cref="ProtoMessage"/>, field by field: whatever the rewrite does not touch
/// (other nodes, inputs, outputs, metadata, fields of newer ONNX versions) is written back as it was. Weights stored
/// outside the file (external data) and models that are already quantized are refused with a clear error.
/// </remarks>
public static class OnnxDynamicQuantizer
{
    public const string MicrosoftDomain = "com.microsoft";
    public const string QuantizedOpType = "DynamicQuantizeMatMul";
    public const string Method = "dynamic int8: com.microsoft.DynamicQuantizeMatMul, uint8 activations quantized per tensor at run time, int8 weights symmetric per output channel in 7 bits (±63)";

    /// <summary>
    /// The largest weight magnitude stored: 63, not 127. On x86 CPUs without VNNI (AVX2, AVX-512F), ONNX Runtime's
    /// uint8 × int8 kernel adds two products in a saturating 16-bit lane (<c>vpmaddubsw</c>): 2 × 255 × 127 overflows
    /// it and the results drift (measured on an AVX2 machine: a 24-term Gemm off by 0.06 against 0.05 allowed, and the
    /// real MiniLM ordering a paraphrase pair differently from fp32), while 2 × 255 × 63 fits. ONNX Runtime's own
    /// quantizer calls this <c>reduce_range</c>. One bit of weight precision is the price on CPUs that have VNNI; a model
    /// file is made once and may run on any CPU, so the range is the one that is correct on all of them.
    /// </summary>
    public const int WeightLimit = 63;

    /// <summary>Metadata keys written into the quantized model.</summary>
    public static class MetadataKeys
    {
        public const string Quantization = "streamrec.quantization";
        public const string SourceSha256 = "streamrec.quantized_from_sha256";
    }

    // ModelProto
    private const int ModelIrVersion = 1;
    private const int ModelGraph = 7;
    private const int ModelOpsetImport = 8;
    private const int ModelMetadata = 14;

    // GraphProto
    private const int GraphNode = 1;
    private const int GraphInitializer = 5;
    private const int GraphInput = 11;
    private const int GraphOutput = 12;
    private const int GraphValueInfo = 13;

    // NodeProto
    private const int NodeInput = 1;
    private const int NodeOutput = 2;
    private const int NodeName = 3;
    private const int NodeOpType = 4;
    private const int NodeAttribute = 5;
    private const int NodeDomain = 7;

    // AttributeProto
    private const int AttrName = 1;
    private const int AttrFloat = 2;
    private const int AttrInt = 3;

    // TensorProto
    private const int TensorDims = 1;
    private const int TensorDataType = 2;
    private const int TensorFloatData = 4;
    private const int TensorName = 8;
    private const int TensorRawData = 9;
    private const int TensorDataLocation = 14;

    private const int Float = 1;
    private const int Int8 = 3;

    private static readonly HashSet<string> AlreadyQuantizedOps = new(StringComparer.Ordinal)
    {
        "MatMulInteger", "DynamicQuantizeLinear", "QLinearMatMul", "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "QGemm", "QuantizeLinear",
    };

    /// <summary>Quantizes the model in <paramref name="source"/> and returns the new model's bytes.</summary>
    /// <param name="sourceLabel">How errors name the model (its path).</param>
    /// <param name="sourceSha256">Recorded in the new model's metadata.</param>
    public static (byte[] Model, QuantizationReport Report) Quantize(byte[] source, string sourceLabel, string sourceSha256)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The quantizer reads and writes little-endian raw tensor data, as ONNX stores it.");
        }

        ProtoMessage model;
        ProtoMessage graph;
        try
        {
            model = ProtoMessage.Parse(source);
            if (model.Int64(ModelIrVersion) is null || model.All(ModelGraph).Count() != 1)
            {
                throw new InvalidDataException("no ir_version or no single graph");
            }

            graph = model.Messages(ModelGraph).Single();
        }
        catch (InvalidDataException ex)
        {
            throw new EncodingException($"{sourceLabel} is not a readable ONNX model ({ex.Message}): the file is damaged or not ONNX. Provision it again with 'streamrec model fetch'.", ex);
        }

        try
        {
            return Rewrite(model, graph, sourceLabel, sourceSha256);
        }
        catch (InvalidDataException ex)
        {
            throw new EncodingException($"{sourceLabel} has a damaged ONNX graph ({ex.Message}).", ex);
        }
    }

    private static (byte[] Model, QuantizationReport Report) Rewrite(ProtoMessage model, ProtoMessage graph, string sourceLabel, string sourceSha256)
    {
        var nodes = graph.Messages(GraphNode).ToList();
        var initializers = new Dictionary<string, ProtoMessage>(StringComparer.Ordinal);
        foreach (var tensor in graph.Messages(GraphInitializer))
        {
            initializers[tensor.String(TensorName) ?? ""] = tensor;
        }

        var quantizedAlready = nodes.Select(n => n.String(NodeOpType) ?? "").FirstOrDefault(AlreadyQuantizedOps.Contains);
        if (quantizedAlready is not null)
        {
            throw new EncodingException($"{sourceLabel} is already quantized (it has {quantizedAlready} nodes): quantize the fp32 model it came from.");
        }

        var graphOutputs = graph.Messages(GraphOutput).Select(v => v.String(1) ?? "").ToHashSet(StringComparer.Ordinal);
        var consumers = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++)
        {
            foreach (var input in nodes[i].Strings(NodeInput).Where(s => s.Length > 0))
            {
                if (!consumers.TryGetValue(input, out var list))
                {
                    consumers[input] = list = [];
                }

                list.Add(i);
            }
        }

        var replaced = new ProtoMessage?[nodes.Count];
        var removed = new bool[nodes.Count];
        var added = new List<ProtoMessage>();
        var quantizedWeights = new Dictionary<string, (string Weight, string Scale, string ZeroPoint)>(StringComparer.Ordinal);
        var leftInFloat = new List<string>();
        int quantized = 0, folded = 0;
        long floatBytes = 0, int8Bytes = 0;

        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            var op = node.String(NodeOpType) ?? "";
            var domain = node.String(NodeDomain) ?? "";
            if ((op != "MatMul" && op != "Gemm") || (domain.Length > 0 && domain != "ai.onnx"))
            {
                continue;
            }

            var name = node.String(NodeName) ?? $"{op}_{i}";
            var inputs = node.Strings(NodeInput).ToList();
            var outputs = node.Strings(NodeOutput).ToList();
            if (inputs.Count < 2 || outputs.Count != 1)
            {
                leftInFloat.Add($"{name}: unexpected inputs or outputs");
                continue;
            }

            if (!initializers.TryGetValue(inputs[1], out var weightTensor))
            {
                leftInFloat.Add($"{name}: {(initializers.ContainsKey(inputs[0]) ? "the constant is the first input" : "both inputs are activations")}");
                continue;
            }

            if (initializers.ContainsKey(inputs[0]))
            {
                leftInFloat.Add($"{name}: both inputs are constants");
                continue;
            }

            var attributes = node.Messages(NodeAttribute).ToList();
            var (alpha, beta, transA, transB) = (1f, 1f, 0L, 0L);
            foreach (var a in attributes)
            {
                switch (a.String(AttrName))
                {
                    case "alpha": alpha = a.Float(AttrFloat) ?? 1f; break;
                    case "beta": beta = a.Float(AttrFloat) ?? 1f; break;
                    case "transA": transA = a.Int64(AttrInt) ?? 0; break;
                    case "transB": transB = a.Int64(AttrInt) ?? 0; break;
                    default: break;
                }
            }

            if (transA != 0)
            {
                leftInFloat.Add($"{name}: Gemm with transA");
                continue;
            }

            var dims = weightTensor.Int64s(TensorDims);
            var type = weightTensor.Int64(TensorDataType) ?? 0;
            if (type != Float || dims.Count != 2)
            {
                leftInFloat.Add($"{name}: weight {inputs[1]} is not a 2-D fp32 matrix (type {type}, {dims.Count} dims)");
                continue;
            }

            var weight = ReadFloats(weightTensor, sourceLabel);
            var (k, n) = transB != 0 ? ((int)dims[1], (int)dims[0]) : ((int)dims[0], (int)dims[1]);
            if (weight.Length != (long)k * n)
            {
                throw new EncodingException($"{sourceLabel}: weight {inputs[1]} holds {weight.Length} values for shape [{dims[0]}, {dims[1]}].");
            }

            // The bias: Gemm's C, or a constant [N] vector added right after a MatMul (what PyTorch exports for Linear).
            float[]? bias = null;
            var output = outputs[0];
            var foldedAdd = -1;
            if (op == "Gemm" && inputs.Count > 2 && inputs[2].Length > 0)
            {
                if (!initializers.TryGetValue(inputs[2], out var c) || (c.Int64(TensorDataType) ?? 0) != Float || ReadFloats(c, sourceLabel) is not { } cValues || cValues.Length != n
                    || c.Int64s(TensorDims).Count(d => d != 1) > 1)
                {
                    leftInFloat.Add($"{name}: Gemm's C is not a constant [N] vector");
                    continue;
                }

                bias = cValues.Select(v => v * beta).ToArray();
            }
            else if (!graphOutputs.Contains(output) && consumers.TryGetValue(output, out var users) && users.Count == 1)
            {
                var next = nodes[users[0]];
                var nextInputs = next.Strings(NodeInput).ToList();
                if (next.String(NodeOpType) == "Add" && (next.String(NodeDomain) ?? "") is "" or "ai.onnx" && nextInputs.Count == 2)
                {
                    var other = nextInputs[0] == output ? nextInputs[1] : nextInputs[0];
                    if (initializers.TryGetValue(other, out var b) && (b.Int64(TensorDataType) ?? 0) == Float && b.Int64s(TensorDims) is [var len] && len == n)
                    {
                        bias = ReadFloats(b, sourceLabel);
                        output = next.Strings(NodeOutput).Single();
                        foldedAdd = users[0];
                    }
                }
            }

            var key = inputs[1] + (transB != 0 ? "#T" : "") + (alpha != 1f ? "#a" + alpha.ToString("R", CultureInfo.InvariantCulture) : "");
            if (!quantizedWeights.TryGetValue(key, out var names))
            {
                var (q, scales) = QuantizePerColumn(weight, k, n, transB != 0, alpha);
                // One weight read by several nodes is quantized once; read transposed or scaled differently, once per form.
                var seen = quantizedWeights.Keys.Count(existing => existing.Split('#')[0] == inputs[1]);
                var baseName = seen > 0 ? $"{inputs[1]}_{seen}" : inputs[1];
                names = (baseName + "_int8", baseName + "_scale", baseName + "_zero_point");
                added.Add(Tensor(names.Weight, Int8, MemoryMarshal.AsBytes(q.AsSpan()).ToArray(), k, n));
                added.Add(Tensor(names.Scale, Float, MemoryMarshal.AsBytes(scales.AsSpan()).ToArray(), n));
                added.Add(Tensor(names.ZeroPoint, Int8, new byte[n], n));
                quantizedWeights[key] = names;
                floatBytes += (long)k * n * sizeof(float);
                int8Bytes += ((long)k * n) + (n * sizeof(float)) + n;
            }

            var newInputs = new List<string> { inputs[0], names.Weight, names.Scale, names.ZeroPoint };
            if (bias is not null)
            {
                var biasName = name + "_bias";
                added.Add(Tensor(biasName, Float, MemoryMarshal.AsBytes(bias.AsSpan()).ToArray(), n));
                newInputs.Add(biasName);
            }

            var replacement = new ProtoMessage();
            replacement.Fields.AddRange(newInputs.Select(s => ProtoField.String(NodeInput, s)));
            replacement.Fields.Add(ProtoField.String(NodeOutput, output));
            replacement.Fields.Add(ProtoField.String(NodeName, name + "_quant"));
            replacement.Fields.Add(ProtoField.String(NodeOpType, QuantizedOpType));
            replacement.Fields.Add(ProtoField.String(NodeDomain, MicrosoftDomain));
            replaced[i] = replacement;
            quantized++;
            if (foldedAdd >= 0)
            {
                removed[foldedAdd] = true;
                folded++;
            }
        }

        if (quantized == 0)
        {
            throw new EncodingException(
                $"{sourceLabel} has no MatMul or Gemm with a constant fp32 weight to quantize" +
                (leftInFloat.Count > 0 ? $" ({string.Join("; ", leftInFloat.Take(3))})" : "") + ": it is not a BERT-style encoder this command supports.");
        }

        // The new node list: each rewritten node where its MatMul was (its inputs exist there, and a folded Add's output
        // is now produced earlier than before, so every consumer still comes after its producer).
        var newNodes = new List<ProtoMessage>();
        for (var i = 0; i < nodes.Count; i++)
        {
            if (!removed[i])
            {
                newNodes.Add(replaced[i] ?? nodes[i]);
            }
        }

        var used = newNodes.SelectMany(node => node.Strings(NodeInput)).ToHashSet(StringComparer.Ordinal);
        used.UnionWith(graphOutputs);
        var produced = newNodes.SelectMany(node => node.Strings(NodeOutput)).ToHashSet(StringComparer.Ordinal);

        var droppedInitializers = initializers.Keys.Where(k => !used.Contains(k)).ToHashSet(StringComparer.Ordinal);
        var newGraph = new ProtoMessage();
        var nodesWritten = false;
        foreach (var field in graph.Fields)
        {
            switch (field.Number)
            {
                case GraphNode:
                    if (!nodesWritten)
                    {
                        newGraph.Fields.AddRange(newNodes.Select(node => ProtoField.Message(GraphNode, node)));
                        nodesWritten = true;
                    }

                    break;
                case GraphInitializer:
                    // Weights only the replaced nodes read (the fp32 matrices and the folded biases) are dropped.
                    if (used.Contains(field.AsMessage().String(TensorName) ?? ""))
                    {
                        newGraph.Fields.Add(field);
                    }

                    break;
                case GraphInput when droppedInitializers.Contains(field.AsMessage().String(1) ?? ""):
                    // Older exporters also list initializers as graph inputs; a dropped weight must not become an input to feed.
                    break;
                case GraphValueInfo:
                    // Shape hints of values that no longer exist (a MatMul's output whose Add was folded).
                    if (produced.Contains(field.AsMessage().String(1) ?? ""))
                    {
                        newGraph.Fields.Add(field);
                    }

                    break;
                default:
                    newGraph.Fields.Add(field);
                    break;
            }
        }

        var firstInput = newGraph.Fields.FindIndex(f => f.Number == GraphInput);
        newGraph.Fields.InsertRange(firstInput < 0 ? newGraph.Fields.Count : firstInput, added.Select(t => ProtoField.Message(GraphInitializer, t)));

        var newModel = new ProtoMessage();
        foreach (var field in model.Fields)
        {
            newModel.Fields.Add(field.Number == ModelGraph ? ProtoField.Message(ModelGraph, newGraph) : field);
        }

        if (!model.Messages(ModelOpsetImport).Any(o => o.String(1) == MicrosoftDomain))
        {
            newModel.Fields.Add(ProtoField.Message(ModelOpsetImport, new ProtoMessage([ProtoField.String(1, MicrosoftDomain), ProtoField.Varint(2, 1)])));
        }

        newModel.Fields.RemoveAll(f => f.Number == ModelMetadata && f.AsMessage().String(1) is MetadataKeys.Quantization or MetadataKeys.SourceSha256);
        newModel.Fields.Add(ProtoField.Message(ModelMetadata, new ProtoMessage([ProtoField.String(1, MetadataKeys.Quantization), ProtoField.String(2, Method)])));
        newModel.Fields.Add(ProtoField.Message(ModelMetadata, new ProtoMessage([ProtoField.String(1, MetadataKeys.SourceSha256), ProtoField.String(2, sourceSha256)])));

        return (newModel.ToArray(), new QuantizationReport(quantized, folded, leftInFloat, floatBytes, int8Bytes));
    }

    /// <summary>
    /// Symmetric int8 per output column: scale[n] = max|W[:, n]| / <see cref="WeightLimit"/>, q = round(w / scale)
    /// clamped to ±<see cref="WeightLimit"/>: symmetric, so zero point 0 is exact. <paramref name="alpha"/> (Gemm) goes
    /// into the scales.
    /// </summary>
    internal static (sbyte[] Weights, float[] Scales) QuantizePerColumn(float[] weight, int k, int n, bool transposed, float alpha)
    {
        float At(int row, int col) => transposed ? weight[((long)col * k) + row] : weight[((long)row * n) + col];
        var scales = new float[n];
        for (var col = 0; col < n; col++)
        {
            var max = 0f;
            for (var row = 0; row < k; row++)
            {
                max = Math.Max(max, Math.Abs(At(row, col)));
            }

            scales[col] = max > 0 ? max / WeightLimit : 1f;
        }

        var q = new sbyte[(long)k * n];
        for (var row = 0; row < k; row++)
        {
            for (var col = 0; col < n; col++)
            {
                var value = MathF.Round(At(row, col) / scales[col], MidpointRounding.ToEven);
                q[((long)row * n) + col] = (sbyte)Math.Clamp(value, -WeightLimit, WeightLimit);
            }
        }

        for (var col = 0; col < n; col++)
        {
            scales[col] *= alpha;
        }

        return (q, scales);
    }

    private static float[] ReadFloats(ProtoMessage tensor, string sourceLabel)
    {
        var name = tensor.String(TensorName) ?? "?";
        if ((tensor.Int64(TensorDataLocation) ?? 0) != 0)
        {
            throw new EncodingException($"{sourceLabel}: weight {name} is stored outside the model file (external data), which the quantizer does not read. Use a single-file ONNX export.");
        }

        var raw = tensor.All(TensorRawData).LastOrDefault();
        if (raw.Number > 0)
        {
            if (raw.Payload.Length % sizeof(float) != 0)
            {
                throw new EncodingException($"{sourceLabel}: weight {name} holds {raw.Payload.Length} raw bytes, not a whole number of floats.");
            }

            return MemoryMarshal.Cast<byte, float>(raw.Payload.Span).ToArray();
        }

        return tensor.Floats(TensorFloatData);
    }

    private static ProtoMessage Tensor(string name, int dataType, byte[] raw, params long[] dims)
    {
        var tensor = new ProtoMessage();
        tensor.Fields.AddRange(dims.Select(d => ProtoField.Varint(TensorDims, d)));
        tensor.Fields.Add(ProtoField.Varint(TensorDataType, dataType));
        tensor.Fields.Add(ProtoField.String(TensorName, name));
        tensor.Fields.Add(ProtoField.Bytes(TensorRawData, raw));
        return tensor;
    }
}
