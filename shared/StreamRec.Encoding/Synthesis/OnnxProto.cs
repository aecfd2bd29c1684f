using System.Diagnostics.CodeAnalysis;
using Google.Protobuf;

namespace StreamRec.Encoding.Synthesis;

/// <summary>
/// Hand-written writers for the handful of ONNX protobuf messages the synthesizer needs. Field numbers follow
/// onnx/onnx.proto (IR version 8). We write the wire format directly instead of generating classes from the
/// .proto: the model needs six message types, and this keeps a build-time protoc step out of the project.
/// </summary>
internal static class OnnxProto
{
    public const long IrVersion = 8;

    // TensorProto.DataType
    public const int Float = 1;
    public const int Int64 = 7;

    // AttributeProto.AttributeType
    private const int AttrFloat = 1;
    private const int AttrInt = 2;
    private const int AttrInts = 7;

    /// <summary>A length-delimited message built in memory; large tensors are kept as their own payloads.</summary>
    [SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "A MemoryStream and the CodedOutputStream over it hold only managed memory: Dispose would release nothing, and the fluent builder has no scope to dispose in.")]
    public sealed class Message
    {
        private readonly MemoryStream _buffer = new();
        private readonly CodedOutputStream _out;

        public Message() => _out = new CodedOutputStream(_buffer, leaveOpen: true);

        public Message String(int field, string value)
        {
            _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
            _out.WriteString(value);
            return this;
        }

        public Message Bytes(int field, byte[] value)
        {
            _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
            _out.WriteBytes(UnsafeByteOperations.UnsafeWrap(value));
            return this;
        }

        public Message Int64(int field, long value)
        {
            _out.WriteTag(field, WireFormat.WireType.Varint);
            _out.WriteInt64(value);
            return this;
        }

        public Message Float32(int field, float value)
        {
            _out.WriteTag(field, WireFormat.WireType.Fixed32);
            _out.WriteFloat(value);
            return this;
        }

        public Message Nested(int field, Message message) => Bytes(field, message.ToArray());

        public byte[] ToArray()
        {
            _out.Flush();
            return _buffer.ToArray();
        }
    }

    public static Message OperatorSetId(string domain, long version) =>
        new Message().String(1, domain).Int64(2, version);

    public static Message StringEntry(string key, string value) => new Message().String(1, key).String(2, value);

    /// <summary>ValueInfoProto of a tensor; a dimension is a number (fixed) or a string (symbolic).</summary>
    public static Message TensorValueInfo(string name, int elemType, params object[] dims)
    {
        var shape = new Message();
        foreach (var dim in dims)
        {
            var d = new Message();
            if (dim is string symbol)
            {
                d.String(2, symbol);
            }
            else
            {
                d.Int64(1, Convert.ToInt64(dim, System.Globalization.CultureInfo.InvariantCulture));
            }

            shape.Nested(1, d);
        }

        var tensorType = new Message().Int64(1, elemType).Nested(2, shape);
        var type = new Message().Nested(1, tensorType);
        return new Message().String(1, name).Nested(2, type);
    }

    public static byte[] FloatTensor(string name, ReadOnlySpan<float> data, params long[] dims)
    {
        var raw = new byte[data.Length * sizeof(float)];
        // ONNX raw_data is little-endian; so is every platform ONNX Runtime ships for.
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(data).CopyTo(raw);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The model synthesizer writes little-endian raw tensor data.");
        }

        var m = new Message();
        foreach (var d in dims)
        {
            m.Int64(1, d);
        }

        return m.Int64(2, Float).String(8, name).Bytes(9, raw).ToArray();
    }

    public static byte[] Int64Tensor(string name, ReadOnlySpan<long> data, params long[] dims)
    {
        var raw = new byte[data.Length * sizeof(long)];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(data).CopyTo(raw);
        var m = new Message();
        foreach (var d in dims)
        {
            m.Int64(1, d);
        }

        return m.Int64(2, Int64).String(8, name).Bytes(9, raw).ToArray();
    }

    public static Message IntAttribute(string name, long value) =>
        new Message().String(1, name).Int64(20, AttrInt).Int64(3, value);

    public static Message FloatAttribute(string name, float value) =>
        new Message().String(1, name).Int64(20, AttrFloat).Float32(2, value);

    public static Message IntsAttribute(string name, params long[] values)
    {
        var m = new Message().String(1, name).Int64(20, AttrInts);
        foreach (var v in values)
        {
            m.Int64(8, v);
        }

        return m;
    }

    public static Message Node(string opType, string name, string[] inputs, string[] outputs, params Message[] attributes)
    {
        var m = new Message();
        foreach (var i in inputs)
        {
            m.String(1, i);
        }

        foreach (var o in outputs)
        {
            m.String(2, o);
        }

        m.String(3, name).String(4, opType);
        foreach (var a in attributes)
        {
            m.Nested(5, a);
        }

        return m;
    }

    /// <summary>
    /// Writes a ModelProto to <paramref name="stream"/> without first building the ~90 MB graph in one buffer:
    /// the graph's length prefix is the sum of its parts, so parts are streamed one after another.
    /// </summary>
    public static void WriteModel(
        Stream stream,
        string producerName,
        string producerVersion,
        IReadOnlyList<Message> opsets,
        IReadOnlyList<Message> metadata,
        string graphName,
        IReadOnlyList<Message> nodes,
        IReadOnlyList<byte[]> initializers,
        IReadOnlyList<Message> inputs,
        IReadOnlyList<Message> outputs)
    {
        // GraphProto fields: node=1, name=2, initializer=5, input=11, output=12.
        var parts = new List<(int Field, byte[] Payload)>();
        parts.AddRange(nodes.Select(n => (1, n.ToArray())));
        parts.Add((2, System.Text.Encoding.UTF8.GetBytes(graphName)));
        parts.AddRange(initializers.Select(t => (5, t)));
        parts.AddRange(inputs.Select(i => (11, i.ToArray())));
        parts.AddRange(outputs.Select(o => (12, o.ToArray())));

        long graphLength = 0;
        foreach (var (field, payload) in parts)
        {
            graphLength += CodedOutputStream.ComputeTagSize(field) + CodedOutputStream.ComputeLengthSize(payload.Length) + payload.Length;
        }

        using var output = new CodedOutputStream(stream, leaveOpen: true);
        // ModelProto fields: ir_version=1, producer_name=2, producer_version=3, graph=7, opset_import=8, metadata_props=14.
        output.WriteTag(1, WireFormat.WireType.Varint);
        output.WriteInt64(IrVersion);
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteString(producerName);
        output.WriteTag(3, WireFormat.WireType.LengthDelimited);
        output.WriteString(producerVersion);
        output.WriteTag(7, WireFormat.WireType.LengthDelimited);
        output.WriteUInt64((ulong)graphLength);
        foreach (var (field, payload) in parts)
        {
            output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(UnsafeByteOperations.UnsafeWrap(payload));
        }

        foreach (var opset in opsets)
        {
            WriteNested(output, 8, opset.ToArray());
        }

        foreach (var entry in metadata)
        {
            WriteNested(output, 14, entry.ToArray());
        }

        output.Flush();
    }

    private static void WriteNested(CodedOutputStream output, int field, byte[] payload)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(UnsafeByteOperations.UnsafeWrap(payload));
    }
}
