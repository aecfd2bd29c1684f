using System.Buffers;
using StreamRec.Contracts;
using StreamRec.Domain;

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
        foreach (var row in message.Rows)
        {
            foreach (var c in row.Contributions)
            {
                if (sourceIndex.TryAdd(c.Source, sources.Count))
                {
                    sources.Add(c.Source);
                }
            }
        }

        var writer = new Writer(message.EventId, message.OccurredAt, message.Bucket, sources, message.Rows.Count);
        foreach (var row in message.Rows)
        {
            writer.Row(row.ItemId, row.Contributions.Count);
            foreach (var c in row.Contributions)
            {
                writer.Contribution(sourceIndex[c.Source], c.Offset, c.Retried, c.Count, c.Pairs.Count);
                foreach (var (itemId, weight) in c.Pairs)
                {
                    writer.Pair(itemId, weight);
                }
            }
        }

        return writer.ToArray();
    }

    /// <summary>
    /// Writes one message in the layout above, element by element, so a producer can write straight from what it has
    /// (<see cref="EngagementMessage.For"/>) without building the message first. The caller writes exactly the counts
    /// it announced.
    /// </summary>
    public sealed class Writer
    {
        private readonly ArrayBufferWriter<byte> _buffer;

        /// <param name="buffer">Where to write; emptied first. A producer writing many messages passes the same one to
        /// each (<see cref="ToArray"/> copies the message out), so the buffer grows once instead of once per message.</param>
        public Writer(string eventId, DateTimeOffset occurredAt, string bucket, IReadOnlyList<string> sources, int rows, ArrayBufferWriter<byte>? buffer = null)
        {
            _buffer = buffer ?? new ArrayBufferWriter<byte>(1024);
            _buffer.ResetWrittenCount();
            _buffer.Write(Magic);
            BinaryFields.WriteString(_buffer, eventId);
            BinaryFields.WriteInt64(_buffer, occurredAt.ToUnixTimeMilliseconds());
            BinaryFields.WriteString(_buffer, bucket);
            BinaryFields.WriteVarint(_buffer, (ulong)sources.Count);
            foreach (var source in sources)
            {
                BinaryFields.WriteString(_buffer, source);
            }

            BinaryFields.WriteVarint(_buffer, (ulong)rows);
        }

        public void Row(string itemId, int contributions)
        {
            BinaryFields.WriteString(_buffer, itemId);
            BinaryFields.WriteVarint(_buffer, (ulong)contributions);
        }

        public void Contribution(int sourceIndex, long offset, bool retried, double count, int pairs)
        {
            BinaryFields.WriteVarint(_buffer, (ulong)sourceIndex);
            BinaryFields.WriteVarint(_buffer, (ulong)offset);
            var hasCount = BitConverter.DoubleToInt64Bits(count) != 0;
            _buffer.GetSpan(1)[0] = (byte)((retried ? 1 : 0) | (hasCount ? 2 : 0));
            _buffer.Advance(1);
            if (hasCount)
            {
                BinaryFields.WriteDouble(_buffer, count);
            }

            BinaryFields.WriteVarint(_buffer, (ulong)pairs);
        }

        public void Pair(string itemId, double weight)
        {
            BinaryFields.WriteString(_buffer, itemId);
            BinaryFields.WriteDouble(_buffer, weight);
        }

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a binary message; null with the reason when it is damaged or invalid (an empty id or source, a
    /// weight or count that is not finite). Item ids go through <paramref name="ids"/> when given.</summary>
    internal static (EngagementMessage? Message, string? Error) Read(ReadOnlySpan<byte> value, Utf8StringPool? ids = null)
    {
        var batch = new EngagementBatch();
        var (header, error) = ReadInto(value, ids, batch);
        return error is not null
            ? (null, error)
            : (new EngagementMessage { EventId = header.EventId, OccurredAt = header.OccurredAt, Bucket = header.Bucket, Rows = batch.RowsSince(default) }, null);
    }

    /// <summary>
    /// Reads a binary message's contributions into <paramref name="batch"/> (item ids through <paramref name="ids"/>
    /// when given); with the reason, and nothing added, when it is damaged or invalid.
    /// </summary>
    internal static ((string EventId, DateTimeOffset OccurredAt, string Bucket) Header, string? Error) ReadInto(
        ReadOnlySpan<byte> value, Utf8StringPool? ids, EngagementBatch batch)
    {
        var mark = batch.Position;
        var (header, error) = TryReadInto(value, ids, batch);
        if (error is not null)
        {
            batch.Rollback(mark);
        }

        return (header, error);
    }

    private static ((string, DateTimeOffset, string) Header, string? Error) TryReadInto(ReadOnlySpan<byte> value, Utf8StringPool? ids, EngagementBatch batch)
    {
        var reader = new BinaryFieldReader(value[Magic.Length..]);
        try
        {
            var eventId = reader.String();
            var occurredAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.Int64());
            var bucket = reader.String();
            var sources = new string[reader.Count()];
            for (var i = 0; i < sources.Length; i++)
            {
                sources[i] = reader.String(ids);
                if (sources[i].Length == 0)
                {
                    return (default, Invalid);
                }
            }

            var rows = reader.Count();
            for (var r = 0; r < rows; r++)
            {
                var itemId = reader.String(ids);
                if (itemId.Length == 0)
                {
                    return (default, Invalid);
                }

                var row = batch.Row(itemId);
                var contributions = reader.Count();
                for (var k = 0; k < contributions; k++)
                {
                    var index = reader.Count();
                    if (index >= sources.Length)
                    {
                        return (default, $"{DeadLetterCodes.InvalidValue}: source index {index} of {sources.Length}");
                    }

                    var offset = reader.Varint();
                    var flags = reader.Byte();
                    var count = (flags & 2) != 0 ? reader.Double() : 0;
                    if (!double.IsFinite(count))
                    {
                        return (default, Invalid);
                    }

                    var pairs = reader.Count();
                    batch.Contribution(row, sources[index], (long)offset, (flags & 1) != 0, count, pairs);
                    for (var p = 0; p < pairs; p++)
                    {
                        var other = reader.String(ids);
                        var weight = reader.Double();
                        if (other.Length == 0 || !double.IsFinite(weight))
                        {
                            return (default, Invalid);
                        }

                        batch.Pair(other, weight);
                    }
                }
            }

            if (!reader.AtEnd)
            {
                return (default, $"{DeadLetterCodes.InvalidValue}: {reader.Remaining} bytes after the last row");
            }

            return ((eventId, occurredAt, bucket), null);
        }
        catch (FormatException ex)
        {
            return (default, $"{DeadLetterCodes.InvalidValue}: damaged binary engagement message ({ex.Message})");
        }
    }

    private static string Invalid => EngagementMessage.Invalid;
}
