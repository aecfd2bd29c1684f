using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace StreamRec.Pipeline.ItemSide;

/// <summary>
/// The primitives of the item side's binary layouts (<see cref="EngagementBinary"/>'s messages and
/// <see cref="CoEngagementStore.PackNeighbours(IReadOnlyDictionary{string, double})"/>'s rows): unsigned LEB128
/// varints, strings as their UTF-8 byte count then the bytes, little-endian int64 and IEEE 754 doubles.
/// </summary>
internal static class BinaryFields
{
    public static void WriteVarint(IBufferWriter<byte> writer, ulong value)
    {
        var span = writer.GetSpan(10);
        var at = 0;
        while (value >= 0x80)
        {
            span[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[at++] = (byte)value;
        writer.Advance(at);
    }

    public static void WriteString(IBufferWriter<byte> writer, string value)
    {
        // Nearly every id is short: at most 3 UTF-8 bytes per UTF-16 unit keeps 42 units under 128 bytes, a one-byte
        // length, so encode once straight after it instead of counting the bytes first.
        if (value.Length <= 42)
        {
            var span = writer.GetSpan(1 + (value.Length * 3));
            var written = Encoding.UTF8.GetBytes(value, span[1..]);
            span[0] = (byte)written;
            writer.Advance(1 + written);
            return;
        }

        var length = Encoding.UTF8.GetByteCount(value);
        WriteVarint(writer, (ulong)length);
        Encoding.UTF8.GetBytes(value, writer.GetSpan(length));
        writer.Advance(length);
    }

    public static void WriteInt64(IBufferWriter<byte> writer, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(writer.GetSpan(8), value);
        writer.Advance(8);
    }

    public static void WriteDouble(IBufferWriter<byte> writer, double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(writer.GetSpan(8), value);
        writer.Advance(8);
    }
}

/// <summary>Reads <see cref="BinaryFields"/>' primitives; every read past the end or malformed length is a
/// <see cref="FormatException"/>.</summary>
internal ref struct BinaryFieldReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _at;

    public readonly bool AtEnd => _at == _data.Length;

    public readonly int Remaining => _data.Length - _at;

    public ulong Varint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = Byte();
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new FormatException("a varint longer than 10 bytes");
    }

    /// <summary>A count or length: no larger than what is left, since every element takes at least a byte.</summary>
    public int Count()
    {
        var value = Varint();
        return value <= (ulong)Remaining ? (int)value : throw new FormatException($"a count of {value} with {Remaining} bytes left");
    }

    public byte Byte() => _at < _data.Length ? _data[_at++] : throw new FormatException("truncated");

    public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    /// <summary>A string; through <paramref name="pool"/> when given (one instance per distinct value).</summary>
    public string String(Utf8StringPool? pool = null)
    {
        var bytes = Take(Count());
        return pool is null ? Encoding.UTF8.GetString(bytes) : pool.Get(bytes);
    }

    public void Skip(int length) => Take(length);

    private ReadOnlySpan<byte> Take(int length)
    {
        if (length > _data.Length - _at)
        {
            throw new FormatException("truncated");
        }

        var span = _data.Slice(_at, length);
        _at += length;
        return span;
    }
}

/// <summary>
/// One string instance per distinct UTF-8 value: a batch of engagement messages names the same few thousand items
/// hundreds of thousands of times, and a new string per occurrence put as many short-lived objects on the heap (the
/// profile showed no CPU saved by the pool: decoding to look up costs about what allocating did; the heap is what it
/// spares). Not thread-safe; grows with the distinct values it has seen (use one per batch).
/// </summary>
internal sealed class Utf8StringPool
{
    private const int MaxPooledBytes = 256;

    private readonly HashSet<string> _strings = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public Utf8StringPool() => _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The string of <paramref name="utf8"/>, decoded as <see cref="Encoding.UTF8"/> does.</summary>
    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxPooledBytes)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        // UTF-8 never decodes to more UTF-16 units than it has bytes.
        Span<char> chars = stackalloc char[MaxPooledBytes];
        var value = chars[..Encoding.UTF8.GetChars(utf8, chars)];
        if (!_lookup.TryGetValue(value, out var pooled))
        {
            pooled = new string(value);
            _strings.Add(pooled);
        }

        return pooled;
    }
}
