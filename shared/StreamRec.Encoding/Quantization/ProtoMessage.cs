using System.Runtime.InteropServices;
using Google.Protobuf;

namespace StreamRec.Encoding.Quantization;

/// <summary>One field of a protobuf message as it was on the wire: a number and either a scalar or a byte payload.</summary>
/// <param name="Scalar">The value of a varint, fixed32 or fixed64 field (raw bits for the fixed ones).</param>
/// <param name="Payload">The bytes of a length-delimited field (string, bytes, nested message or packed scalars).</param>
internal readonly record struct ProtoField(int Number, WireFormat.WireType Type, ulong Scalar, ReadOnlyMemory<byte> Payload)
{
    public static ProtoField Varint(int number, long value) => new(number, WireFormat.WireType.Varint, unchecked((ulong)value), default);

    public static ProtoField Bytes(int number, ReadOnlyMemory<byte> payload) => new(number, WireFormat.WireType.LengthDelimited, 0, payload);

    public static ProtoField String(int number, string value) => Bytes(number, System.Text.Encoding.UTF8.GetBytes(value));

    public static ProtoField Message(int number, ProtoMessage message) => Bytes(number, message.ToArray());

    public string AsString() => System.Text.Encoding.UTF8.GetString(Payload.Span);

    public ProtoMessage AsMessage() => ProtoMessage.Parse(Payload);
}

/// <summary>
/// A protobuf message read field by field, with no schema: what the quantizer needs to read an ONNX model and write it
/// back with only some fields changed. Fields it does not touch (and ones newer ONNX versions add) are written back
/// byte for byte and in their order, so nothing of the source model is lost. Field numbers are onnx/onnx.proto's; the
/// writers in <see cref="Synthesis.OnnxProto"/> use the same numbers.
/// </summary>
internal sealed class ProtoMessage
{
    public ProtoMessage()
    {
    }

    public ProtoMessage(IEnumerable<ProtoField> fields) => Fields.AddRange(fields);

    public List<ProtoField> Fields { get; } = [];

    /// <summary>Reads a message; throws <see cref="InvalidDataException"/> when the bytes are not one.</summary>
    public static ProtoMessage Parse(ReadOnlyMemory<byte> bytes)
    {
        var message = new ProtoMessage();
        var span = bytes.Span;
        var position = 0;
        while (position < span.Length)
        {
            var tag = ReadVarint(span, ref position);
            var number = (int)Math.Min(tag >> 3, int.MaxValue);
            var type = (WireFormat.WireType)(tag & 7);
            if (number <= 0 || number > 536_870_911)
            {
                throw new InvalidDataException($"field number {tag >> 3} at byte {position} is not valid");
            }

            switch (type)
            {
                case WireFormat.WireType.Varint:
                    message.Fields.Add(new ProtoField(number, type, ReadVarint(span, ref position), default));
                    break;
                case WireFormat.WireType.Fixed64:
                    message.Fields.Add(new ProtoField(number, type, System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(Take(span, ref position, 8)), default));
                    break;
                case WireFormat.WireType.Fixed32:
                    message.Fields.Add(new ProtoField(number, type, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(Take(span, ref position, 4)), default));
                    break;
                case WireFormat.WireType.LengthDelimited:
                    // The payload is a slice of the source, not a copy: a model's weights are read once.
                    var length = ReadVarint(span, ref position);
                    if (length > (ulong)(span.Length - position))
                    {
                        throw new InvalidDataException($"field {number} claims {length} bytes, past the end of its message ({span.Length - position} left)");
                    }

                    message.Fields.Add(new ProtoField(number, type, 0, bytes.Slice(position, (int)length)));
                    position += (int)length;
                    break;
                default:
                    throw new InvalidDataException($"field {number} has wire type {(int)type}, which ONNX does not use");
            }
        }

        return message;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> span, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= span.Length)
            {
                throw new InvalidDataException("the data ends inside a varint");
            }

            var b = span[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("a varint is longer than 10 bytes");
    }

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> span, ref int position, int count)
    {
        if (span.Length - position < count)
        {
            throw new InvalidDataException("the data ends inside a fixed-size field");
        }

        var slice = span.Slice(position, count);
        position += count;
        return slice;
    }

    public IEnumerable<ProtoField> All(int number) => Fields.Where(f => f.Number == number);

    public string? String(int number) => Fields.LastOrDefault(f => f.Number == number && f.Type == WireFormat.WireType.LengthDelimited) is { Number: > 0 } f ? f.AsString() : null;

    public IEnumerable<string> Strings(int number) => All(number).Where(f => f.Type == WireFormat.WireType.LengthDelimited).Select(f => f.AsString());

    public long? Int64(int number) => Fields.LastOrDefault(f => f.Number == number && f.Type == WireFormat.WireType.Varint) is { Number: > 0 } f ? unchecked((long)f.Scalar) : null;

    public float? Float(int number) => Fields.LastOrDefault(f => f.Number == number && f.Type == WireFormat.WireType.Fixed32) is { Number: > 0 } f
        ? BitConverter.UInt32BitsToSingle((uint)f.Scalar)
        : null;

    /// <summary>A repeated int64 field, packed or not (proto2 writers differ).</summary>
    public IReadOnlyList<long> Int64s(int number)
    {
        var values = new List<long>();
        foreach (var f in All(number))
        {
            if (f.Type == WireFormat.WireType.Varint)
            {
                values.Add(unchecked((long)f.Scalar));
            }
            else if (f.Type == WireFormat.WireType.LengthDelimited)
            {
                var packed = f.Payload.Span;
                var position = 0;
                while (position < packed.Length)
                {
                    values.Add(unchecked((long)ReadVarint(packed, ref position)));
                }
            }
        }

        return values;
    }

    /// <summary>A repeated float field, packed or not.</summary>
    public float[] Floats(int number)
    {
        var values = new List<float>();
        foreach (var f in All(number))
        {
            if (f.Type == WireFormat.WireType.Fixed32)
            {
                values.Add(BitConverter.UInt32BitsToSingle((uint)f.Scalar));
            }
            else if (f.Type == WireFormat.WireType.LengthDelimited)
            {
                if (f.Payload.Length % sizeof(float) != 0)
                {
                    throw new InvalidDataException($"packed float field {number} holds {f.Payload.Length} bytes, not a multiple of 4");
                }

                values.AddRange(MemoryMarshal.Cast<byte, float>(f.Payload.Span).ToArray());
            }
        }

        return [.. values];
    }

    public IEnumerable<ProtoMessage> Messages(int number) => All(number).Where(f => f.Type == WireFormat.WireType.LengthDelimited).Select(f => f.AsMessage());

    /// <summary>Replaces every occurrence of the field numbered like <paramref name="field"/> by it (appended when absent).</summary>
    public ProtoMessage Set(ProtoField field)
    {
        var index = Fields.FindIndex(f => f.Number == field.Number);
        Fields.RemoveAll(f => f.Number == field.Number);
        Fields.Insert(index < 0 ? Fields.Count : index, field);
        return this;
    }

    public long CalculateSize()
    {
        long size = 0;
        foreach (var f in Fields)
        {
            size += CodedOutputStream.ComputeTagSize(f.Number) + f.Type switch
            {
                WireFormat.WireType.Varint => CodedOutputStream.ComputeUInt64Size(f.Scalar),
                WireFormat.WireType.Fixed64 => 8,
                WireFormat.WireType.Fixed32 => 4,
                _ => CodedOutputStream.ComputeLengthSize(f.Payload.Length) + f.Payload.Length,
            };
        }

        return size;
    }

    public void WriteTo(CodedOutputStream output)
    {
        foreach (var f in Fields)
        {
            output.WriteTag(f.Number, f.Type);
            switch (f.Type)
            {
                case WireFormat.WireType.Varint:
                    output.WriteUInt64(f.Scalar);
                    break;
                case WireFormat.WireType.Fixed64:
                    output.WriteFixed64(f.Scalar);
                    break;
                case WireFormat.WireType.Fixed32:
                    output.WriteFixed32((uint)f.Scalar);
                    break;
                default:
                    output.WriteBytes(UnsafeByteOperations.UnsafeWrap(f.Payload));
                    break;
            }
        }
    }

    public byte[] ToArray()
    {
        var size = CalculateSize();
        if (size > Array.MaxLength)
        {
            throw new InvalidOperationException($"A {size:N0}-byte message does not fit in one array.");
        }

        var bytes = new byte[size];
        using var output = new CodedOutputStream(bytes);
        WriteTo(output);
        output.CheckNoSpaceLeft();
        return bytes;
    }
}
