using System.Globalization;
using System.Security.Cryptography;

namespace StreamRec.Encoding.Synthesis;

/// <summary>What <see cref="ModelSynthesizer.Write"/> produced.</summary>
public sealed record SynthesizedModel(string Path, BertArchitecture Architecture, ulong Seed, long Bytes, string Sha256);

/// <summary>
/// Writes, with no network, a BERT encoder ONNX model (opset 17, standard ops only) with the exact architecture of
/// the configured shape and deterministic seeded weights. It costs what the real model costs to run, so speed
/// measured on it is representative; its vectors carry word overlap (residual connections keep token identity),
/// not meaning.
/// </summary>
public static class ModelSynthesizer
{
    /// <summary>Default seed; any fixed value gives byte-identical files across runs and machines.</summary>
    public const ulong DefaultSeed = 20240601;

    public const string DefaultModelName = "synthetic-minilm-l6";

    public const int Opset = 17;

    /// <summary>ONNX metadata_props keys the encoder reads back.</summary>
    public static class MetadataKeys
    {
        public const string Synthetic = "streamrec.synthetic";
        public const string SemanticallyTrained = "streamrec.semantically_trained";
        public const string Seed = "streamrec.seed";
        public const string ModelName = "streamrec.model_name";
        public const string Pooling = "streamrec.pooling";
        public const string Architecture = "streamrec.architecture";
        public const string Note = "streamrec.note";
    }

    /// <summary>
    /// Writes the model to <paramref name="path"/> atomically (temp file, then rename), so a concurrent reader never
    /// sees half a model and two processes synthesizing at once both end with the same complete file.
    /// </summary>
    public static SynthesizedModel Write(string path, BertArchitecture? architecture = null, ulong seed = DefaultSeed, string modelName = DefaultModelName)
    {
        var arch = architecture ?? BertArchitecture.MiniLmL6;
        arch.Validate();
        var fullPath = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(fullPath)!);
        var temp = fullPath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                WriteTo(stream, arch, seed, modelName);
            }

            File.Move(temp, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }

        string sha;
        using (var read = File.OpenRead(fullPath))
        {
            sha = Convert.ToHexStringLower(SHA256.HashData(read));
        }

        return new SynthesizedModel(fullPath, arch, seed, new FileInfo(fullPath).Length, sha);
    }

    /// <summary>Serializes the model to a stream (deterministic for a given shape, seed and name).</summary>
    public static void WriteTo(Stream stream, BertArchitecture arch, ulong seed, string modelName)
    {
        arch.Validate();
        var rng = new SeededNormal(seed);
        var h = arch.Hidden;
        var headDim = h / arch.Heads;
        var nodes = new List<OnnxProto.Message>();
        var inits = new List<byte[]>();

        void Normal(string name, params long[] dims)
        {
            var count = checked((int)dims.Aggregate(1L, (a, b) => a * b));
            var data = new float[count];
            rng.Fill(data, arch.InitializerRange);
            inits.Add(OnnxProto.FloatTensor(name, data, dims));
        }

        void Constant(string name, float value, params long[] dims)
        {
            var count = (int)dims.Aggregate(1L, (a, b) => a * b);
            var data = new float[count];
            Array.Fill(data, value);
            inits.Add(OnnxProto.FloatTensor(name, data, dims));
        }

        void Node(string op, string name, string[] inputs, string output, params OnnxProto.Message[] attributes) =>
            nodes.Add(OnnxProto.Node(op, name, inputs, [output], attributes));

        string LayerNorm(string input, string prefix, string output)
        {
            Constant(prefix + ".weight", 1f, h);
            Constant(prefix + ".bias", 0f, h);
            Node("LayerNormalization", prefix, [input, prefix + ".weight", prefix + ".bias"], output,
                OnnxProto.IntAttribute("axis", -1), OnnxProto.FloatAttribute("epsilon", arch.LayerNormEpsilon));
            return output;
        }

        string Linear(string input, string prefix, int inDim, int outDim)
        {
            Normal(prefix + ".weight", inDim, outDim);
            Constant(prefix + ".bias", 0f, outDim);
            Node("MatMul", prefix + "/MatMul", [input, prefix + ".weight"], prefix + "/MatMul_out");
            Node("Add", prefix + "/Add", [prefix + "/MatMul_out", prefix + ".bias"], prefix + "/out");
            return prefix + "/out";
        }

        // Shared constants.
        inits.Add(OnnxProto.Int64Tensor("const.zero_1d", [0], 1));
        inits.Add(OnnxProto.Int64Tensor("const.mask_axes", [1, 2], 2));
        inits.Add(OnnxProto.Int64Tensor("const.shape_heads", [0, 0, arch.Heads, headDim], 4));
        inits.Add(OnnxProto.Int64Tensor("const.shape_hidden", [0, 0, h], 3));
        inits.Add(OnnxProto.FloatTensor("const.one", [1f]));
        inits.Add(OnnxProto.FloatTensor("const.half", [0.5f]));
        inits.Add(OnnxProto.FloatTensor("const.sqrt2", [MathF.Sqrt(2f)]));
        // exp(-10000 + s) underflows to exactly 0 in float32, so padded keys get exactly zero attention.
        inits.Add(OnnxProto.FloatTensor("const.mask_fill", [-10000f]));
        inits.Add(OnnxProto.FloatTensor("const.attn_scale", [1f / MathF.Sqrt(headDim)]));

        // Embeddings: word + absolute position + token type, then LayerNorm (as in BertEmbeddings).
        Normal("embeddings.word_embeddings.weight", arch.VocabSize, h);
        Normal("embeddings.position_embeddings.weight", arch.MaxPositions, h);
        Normal("embeddings.token_type_embeddings.weight", arch.TypeVocabSize, h);
        Node("Gather", "embeddings/word", ["embeddings.word_embeddings.weight", "input_ids"], "embeddings/word_out");
        Node("Shape", "embeddings/seq_len", ["input_ids"], "embeddings/seq_len_out",
            OnnxProto.IntAttribute("start", 1), OnnxProto.IntAttribute("end", 2));
        Node("Slice", "embeddings/position", ["embeddings.position_embeddings.weight", "const.zero_1d", "embeddings/seq_len_out", "const.zero_1d"], "embeddings/position_out");
        Node("Add", "embeddings/add1", ["embeddings/word_out", "embeddings/position_out"], "embeddings/add1_out");
        if (arch.TokenTypeIdsInput)
        {
            Node("Gather", "embeddings/token_type", ["embeddings.token_type_embeddings.weight", "token_type_ids"], "embeddings/token_type_out");
        }
        else
        {
            // Without the input every token is segment 0, as the model would see with token_type_ids all zero.
            Node("Gather", "embeddings/token_type", ["embeddings.token_type_embeddings.weight", "const.zero_1d"], "embeddings/token_type_out");
        }

        Node("Add", "embeddings/add2", ["embeddings/add1_out", "embeddings/token_type_out"], "embeddings/sum");
        var hidden = LayerNorm("embeddings/sum", "embeddings.LayerNorm", "embeddings/out");

        // Additive attention mask [batch, 1, 1, seq]: 0 where attended, -10000 where padded.
        Node("Cast", "mask/cast", ["attention_mask"], "mask/float", OnnxProto.IntAttribute("to", OnnxProto.Float));
        Node("Sub", "mask/invert", ["const.one", "mask/float"], "mask/inverted");
        Node("Mul", "mask/scale", ["mask/inverted", "const.mask_fill"], "mask/additive");
        Node("Unsqueeze", "mask/unsqueeze", ["mask/additive", "const.mask_axes"], "mask/extended");

        for (var layer = 0; layer < arch.Layers; layer++)
        {
            var p = $"encoder.layer.{layer}";
            var q = Linear(hidden, p + ".attention.self.query", h, h);
            var k = Linear(hidden, p + ".attention.self.key", h, h);
            var v = Linear(hidden, p + ".attention.self.value", h, h);
            Node("Reshape", p + "/q_reshape", [q, "const.shape_heads"], p + "/q_heads");
            Node("Transpose", p + "/q_transpose", [p + "/q_heads"], p + "/q_t", OnnxProto.IntsAttribute("perm", 0, 2, 1, 3));
            Node("Reshape", p + "/k_reshape", [k, "const.shape_heads"], p + "/k_heads");
            Node("Transpose", p + "/k_transpose", [p + "/k_heads"], p + "/k_t", OnnxProto.IntsAttribute("perm", 0, 2, 3, 1));
            Node("Reshape", p + "/v_reshape", [v, "const.shape_heads"], p + "/v_heads");
            Node("Transpose", p + "/v_transpose", [p + "/v_heads"], p + "/v_t", OnnxProto.IntsAttribute("perm", 0, 2, 1, 3));
            Node("MatMul", p + "/scores", [p + "/q_t", p + "/k_t"], p + "/scores_out");
            Node("Mul", p + "/scores_scale", [p + "/scores_out", "const.attn_scale"], p + "/scores_scaled");
            Node("Add", p + "/scores_mask", [p + "/scores_scaled", "mask/extended"], p + "/scores_masked");
            Node("Softmax", p + "/softmax", [p + "/scores_masked"], p + "/probs", OnnxProto.IntAttribute("axis", -1));
            Node("MatMul", p + "/context", [p + "/probs", p + "/v_t"], p + "/context_out");
            Node("Transpose", p + "/context_transpose", [p + "/context_out"], p + "/context_t", OnnxProto.IntsAttribute("perm", 0, 2, 1, 3));
            Node("Reshape", p + "/context_reshape", [p + "/context_t", "const.shape_hidden"], p + "/context_merged");
            var attnOut = Linear(p + "/context_merged", p + ".attention.output.dense", h, h);
            Node("Add", p + "/attn_residual", [attnOut, hidden], p + "/attn_residual_out");
            var attn = LayerNorm(p + "/attn_residual_out", p + ".attention.output.LayerNorm", p + "/attn_out");

            var inter = Linear(attn, p + ".intermediate.dense", h, arch.Intermediate);
            // GELU, erf form: 0.5 * x * (1 + erf(x / sqrt 2)).
            Node("Div", p + "/gelu_div", [inter, "const.sqrt2"], p + "/gelu_div_out");
            Node("Erf", p + "/gelu_erf", [p + "/gelu_div_out"], p + "/gelu_erf_out");
            Node("Add", p + "/gelu_add", [p + "/gelu_erf_out", "const.one"], p + "/gelu_add_out");
            Node("Mul", p + "/gelu_mul", [inter, p + "/gelu_add_out"], p + "/gelu_mul_out");
            Node("Mul", p + "/gelu_half", [p + "/gelu_mul_out", "const.half"], p + "/gelu_out");
            var ffnOut = Linear(p + "/gelu_out", p + ".output.dense", arch.Intermediate, h);
            Node("Add", p + "/ffn_residual", [ffnOut, attn], p + "/ffn_residual_out");
            hidden = LayerNorm(p + "/ffn_residual_out", p + ".output.LayerNorm", layer == arch.Layers - 1 ? "last_hidden_state" : p + "/out");
        }

        if (arch.SentenceEmbeddingOutput)
        {
            // Mask-aware mean over the sequence, the same pooling sentence-transformers applies.
            inits.Add(OnnxProto.Int64Tensor("const.seq_axis", [1], 1));
            inits.Add(OnnxProto.Int64Tensor("const.last_axis", [2], 1));
            Node("Unsqueeze", "pool/mask", ["mask/float", "const.last_axis"], "pool/mask3");
            Node("Mul", "pool/masked", ["last_hidden_state", "pool/mask3"], "pool/masked_out");
            Node("ReduceSum", "pool/sum", ["pool/masked_out", "const.seq_axis"], "pool/sum_out", OnnxProto.IntAttribute("keepdims", 0));
            Node("ReduceSum", "pool/count", ["pool/mask3", "const.seq_axis"], "pool/count_out", OnnxProto.IntAttribute("keepdims", 0));
            Node("Div", "pool/mean", ["pool/sum_out", "pool/count_out"], "sentence_embedding");
        }

        var metadata = new List<OnnxProto.Message>
        {
            OnnxProto.StringEntry(MetadataKeys.Synthetic, "true"),
            OnnxProto.StringEntry(MetadataKeys.SemanticallyTrained, "false"),
            OnnxProto.StringEntry(MetadataKeys.Seed, seed.ToString(CultureInfo.InvariantCulture)),
            OnnxProto.StringEntry(MetadataKeys.ModelName, modelName),
            OnnxProto.StringEntry(MetadataKeys.Pooling, "mean"),
            OnnxProto.StringEntry(MetadataKeys.Architecture, arch.ToString()),
            OnnxProto.StringEntry(MetadataKeys.Note,
                "Synthesized by StreamRec with seeded random weights (std = initializer range). Same architecture and cost as the " +
                "real model, but NOT semantically trained: its vectors reflect shared words, not meaning."),
        };

        OnnxProto.WriteModel(
            stream,
            producerName: "streamrec-model-synthesizer",
            producerVersion: "1",
            opsets: [OnnxProto.OperatorSetId("", Opset)],
            metadata: metadata,
            graphName: modelName,
            nodes: nodes,
            initializers: inits,
            inputs:
            [
                OnnxProto.TensorValueInfo("input_ids", OnnxProto.Int64, "batch_size", "sequence_length"),
                OnnxProto.TensorValueInfo("attention_mask", OnnxProto.Int64, "batch_size", "sequence_length"),
                .. arch.TokenTypeIdsInput ? [OnnxProto.TensorValueInfo("token_type_ids", OnnxProto.Int64, "batch_size", "sequence_length")] : Array.Empty<OnnxProto.Message>(),
            ],
            outputs:
            [
                OnnxProto.TensorValueInfo("last_hidden_state", OnnxProto.Float, "batch_size", "sequence_length", h),
                .. arch.SentenceEmbeddingOutput ? [OnnxProto.TensorValueInfo("sentence_embedding", OnnxProto.Float, "batch_size", h)] : Array.Empty<OnnxProto.Message>(),
            ]);
    }

    /// <summary>
    /// SplitMix64 + Box-Muller: our own generator, so the weights do not depend on System.Random's
    /// implementation, which .NET is free to change between versions.
    /// </summary>
    private sealed class SeededNormal(ulong seed)
    {
        private ulong _state = seed;

        private ulong Next()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        // (0, 1]: never 0, so the logarithm below stays finite.
        private double Uniform() => ((Next() >> 11) + 1) * (1.0 / (1UL << 53));

        public void Fill(Span<float> data, float std)
        {
            for (var i = 0; i < data.Length; i += 2)
            {
                var r = Math.Sqrt(-2.0 * Math.Log(Uniform()));
                var theta = 2.0 * Math.PI * Uniform();
                data[i] = (float)(r * Math.Cos(theta) * std);
                if (i + 1 < data.Length)
                {
                    data[i + 1] = (float)(r * Math.Sin(theta) * std);
                }
            }
        }
    }
}
