using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using StreamRec.Contracts;

namespace StreamRec.Pipeline.ItemSide;

/// <summary>
/// The binary encoding of <see cref="EngagementMessage"/> (<see cref="EngagementMessage.SchemaId"/> v2): a click sends
/// about a hundred (item, weight) pairs to the item side, and as JSON they were the largest part of both services' cost
/// (writing them on the profile-updater, parsing them on the item side).
/// </summary>
/// <remarks>
/// Layout (integers are unsigned LEB128 varints unless said otherwise; a string is its UTF-8 byte count, then the bytes):
/// the magic bytes <c>53 52 45 02</c> ("SRE", version 2); event id (string); occurred at (Unix ms, int64 little-endian);
/// bucket (string); the sources (count, then each "topic:partition" string); the rows (count, then per row: item id
/// (string), contributions (count, then per contribution: index into the sources, offset, flags (bit 0 retried, bit 1
/// a count follows), the count (float64 little-endian) if flagged, pairs (count, then per pair: item id (string), weight
/// (float64 little-endian)))). A value that does not start with the magic bytes is read as the JSON of v1.
/// </remarks>
public static class EngagementBinary
{
    private static ReadOnlySpan<byte> Magic => [0x53, 0x52, 0x45, 0x02];

    /// <summary>True when <paramref name="value"/> starts with the binary encoding's magic bytes.</summary>
    public static bool IsBinary(ReadOnlySpan<byte> value) => value.StartsWith(Magic);

    public static byte[] Write(EngagementMessage message)
    {
        var sources = new List<string>();
        var sourceIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in message.Rows.SelectMany(r => r.Contributions))
        {
            if (!sourceIndex.ContainsKey(c.Source))
            {
                sourceIndex[c.Source] = sources.Count;
                sources.Add(c.Source);
            }
        }

        var writer = new ArrayBufferWriter<byte>(1024);
        writer.Write(Magic);
        WriteString(writer, message.EventId);
        WriteInt64(writer, message.OccurredAt.ToUnixTimeMilliseconds());
        WriteString(writer, message.Bucket);
        WriteVarint(writer, (ulong)sources.Count);
        foreach (var source in sources)
        {
            WriteString(writer, source);
        }

        WriteVarint(writer, (ulong)message.Rows.Count);
        foreach (var row in message.Rows)
        {
            WriteString(writer, row.ItemId);
            WriteVarint(writer, (ulong)row.Contributions.Count);
            foreach (var c in row.Contributions)
            {
                WriteVarint(writer, (ulong)sourceIndex[c.Source]);
                WriteVarint(writer, (ulong)c.Offset);
                var hasCount = BitConverter.DoubleToInt64Bits(c.Count) != 0;
                writer.GetSpan(1)[0] = (byte)((c.Retried ? 1 : 0) | (hasCount ? 2 : 0));
                writer.Advance(1);
                if (hasCount)
                {
                    WriteDouble(writer, c.Count);
                }

                WriteVarint(writer, (ulong)c.Pairs.Count);
                foreach (var pair in c.Pairs)
                {
                    WriteString(writer, pair.ItemId);
                    WriteDouble(writer, pair.Weight);
                }
            }
        }

        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a binary message; null with the reason when it is damaged or invalid.</summary>
    public static (EngagementMessage? Message, string? Error) Read(ReadOnlySpan<byte> value)
    {
        var reader = new Reader(value[Magic.Length..]);
        try
        {
            var eventId = reader.String();
            var occurredAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.Int64());
            var bucket = reader.String();
            var sources = new string[reader.Count()];
            for (var i = 0; i < sources.Length; i++)
            {
                sources[i] = reader.String();
            }

            var rows = new RowContributions[reader.Count()];
            for (var r = 0; r < rows.Length; r++)
            {
                var itemId = reader.String();
                var contributions = new ContributionDto[reader.Count()];
                for (var k = 0; k < contributions.Length; k++)
                {
                    var index = reader.Count();
                    if (index >= sources.Length)
                    {
                        return (null, $"{DeadLetterCodes.InvalidValue}: source index {index} of {sources.Length}");
                    }

                    var offset = reader.Varint();
                    var flags = reader.Byte();
                    var count = (flags & 2) != 0 ? reader.Double() : 0;
                    var pairs = new PairDto[reader.Count()];
                    for (var p = 0; p < pairs.Length; p++)
                    {
                        pairs[p] = new PairDto { ItemId = reader.String(), Weight = reader.Double() };
                    }

                    contributions[k] = new ContributionDto { Source = sources[index], Offset = (long)offset, Retried = (flags & 1) != 0, Count = count, Pairs = pairs };
                }

                rows[r] = new RowContributions { ItemId = itemId, Contributions = contributions };
            }

            if (!reader.AtEnd)
            {
                return (null, $"{DeadLetterCodes.InvalidValue}: {reader.Remaining} bytes after the last row");
            }

            return (new EngagementMessage { EventId = eventId, OccurredAt = occurredAt, Bucket = bucket, Rows = rows }, null);
        }
        catch (FormatException ex)
        {
            return (null, $"{DeadLetterCodes.InvalidValue}: damaged binary engagement message ({ex.Message})");
        }
    }

    private static void WriteVarint(ArrayBufferWriter<byte> writer, ulong value)
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

    private static void WriteString(ArrayBufferWriter<byte> writer, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteVarint(writer, (ulong)length);
        Encoding.UTF8.GetBytes(value, writer.GetSpan(length));
        writer.Advance(length);
    }

    private static void WriteInt64(ArrayBufferWriter<byte> writer, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(writer.GetSpan(8), value);
        writer.Advance(8);
    }

    private static void WriteDouble(ArrayBufferWriter<byte> writer, double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(writer.GetSpan(8), value);
        writer.Advance(8);
    }

    /// <summary>Reads the layout; every read past the end or malformed length is a <see cref="FormatException"/>.</summary>
    private ref struct Reader(ReadOnlySpan<byte> data)
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

        public string String()
        {
            var bytes = Take(Count());
            return Encoding.UTF8.GetString(bytes);
        }

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
}
