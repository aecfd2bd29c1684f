using StreamRec.Contracts;

namespace StreamRec.Datasets;

/// <summary>A line that could not be read, with its 1-based line number and the parser's reason.</summary>
public sealed record JsonLineError(long LineNumber, ParseError Error)
{
    public override string ToString() => $"line {LineNumber}: {Error}";
}

/// <summary>
/// Datasets in the project's JSON-lines event format: one event per line, exactly the JSON of the Kafka message,
/// parsed with <see cref="EventParser"/> (so a file that reads here is a file the services accept). Blank lines
/// are ignored; a bad line is reported with its line number and skipped, never fatal.
/// </summary>
public static class JsonLinesDataset
{
    /// <summary>Streams the events of <paramref name="path"/> in file order; bad lines go to <paramref name="onError"/>.</summary>
    public static IEnumerable<IStreamRecEvent> Read(string path, Action<JsonLineError>? onError = null, ParseLimits? limits = null)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        foreach (var e in Read(stream, onError, limits))
        {
            yield return e;
        }
    }

    /// <summary>Streams the events of a UTF-8 stream in order; bad lines go to <paramref name="onError"/>.</summary>
    public static IEnumerable<IStreamRecEvent> Read(Stream stream, Action<JsonLineError>? onError = null, ParseLimits? limits = null)
    {
        long lineNumber = 0;
        foreach (var line in Lines(stream))
        {
            lineNumber++;
            var bytes = TrimCarriageReturn(line);
            if (IsBlank(bytes))
            {
                continue;
            }

            var result = EventParser.Parse(bytes, limits);
            if (result.IsSuccess)
            {
                yield return result.Event!;
            }
            else
            {
                onError?.Invoke(new JsonLineError(lineNumber, result.Error!));
            }
        }
    }

    /// <summary>Writes events as JSON lines (UTF-8, <c>\n</c> after each) and returns how many were written.</summary>
    public static long Write(IEnumerable<IStreamRecEvent> events, Stream stream)
    {
        long count = 0;
        foreach (var e in events)
        {
            stream.Write(EventParser.Serialize(e));
            stream.WriteByte((byte)'\n');
            count++;
        }

        stream.Flush();
        return count;
    }

    /// <summary>Writes events to <paramref name="path"/> (replacing it; the folder is created) and returns how many were written.</summary>
    public static long Write(IEnumerable<IStreamRecEvent> events, string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        return Write(events, stream);
    }

    /// <summary>Splits on <c>\n</c> over raw bytes, so invalid UTF-8 on one line is that line's error, not the file's.</summary>
    private static IEnumerable<byte[]> Lines(Stream stream)
    {
        var buffer = new byte[1 << 16];
        using var current = new MemoryStream();
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] == (byte)'\n')
                {
                    current.Write(buffer, start, i - start);
                    yield return current.ToArray();
                    current.SetLength(0);
                    start = i + 1;
                }
            }

            current.Write(buffer, start, read - start);
        }

        if (current.Length > 0)
        {
            yield return current.ToArray();
        }
    }

    private static ReadOnlySpan<byte> TrimCarriageReturn(byte[] line) =>
        line.Length > 0 && line[^1] == (byte)'\r' ? line.AsSpan(0, line.Length - 1) : line;

    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
        {
            if (b is not ((byte)' ' or (byte)'\t'))
            {
                return false;
            }
        }

        return true;
    }
}
