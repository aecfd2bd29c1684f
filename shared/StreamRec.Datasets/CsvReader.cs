using System.Text;

namespace StreamRec.Datasets;

/// <summary>
/// A small RFC 4180 reader: fields separated by commas, a field may be quoted, a quote inside a quoted field
/// is doubled, and a quoted field may hold commas and line breaks. MovieLens titles need all of that
/// (<c>"American President, The (1995)"</c>, <c>"Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb (1964)"</c>).
/// </summary>
public static class CsvReader
{
    /// <summary>Reads every record (the header too, if there is one). Blank lines yield nothing.</summary>
    /// <exception cref="FormatException">A quoted field is not closed before the end of the input, or text follows a closing quote.</exception>
    public static IEnumerable<string[]> ReadRecords(TextReader reader)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var inRecord = false;
        while (true)
        {
            var c = reader.Read();
            if (c == -1)
            {
                if (inRecord)
                {
                    fields.Add(field.ToString());
                    yield return [.. fields];
                }

                yield break;
            }

            if (c is not ('\r' or '\n'))
            {
                inRecord = true;
            }

            switch (c)
            {
                case '"' when field.Length == 0:
                    ReadQuoted(reader, field, ref line);
                    // After the closing quote only a separator or the end of the record may follow.
                    var next = reader.Peek();
                    if (next is not (-1 or ',' or '\r' or '\n'))
                    {
                        throw new FormatException($"line {line}: unexpected character '{(char)next}' after a closing quote");
                    }

                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r':
                    if (reader.Peek() == '\n')
                    {
                        reader.Read();
                    }

                    goto case '\n';
                case '\n':
                    line++;
                    if (inRecord)
                    {
                        fields.Add(field.ToString());
                        field.Clear();
                        yield return [.. fields];
                        fields.Clear();
                        inRecord = false;
                    }

                    break;
                default:
                    field.Append((char)c);
                    break;
            }
        }
    }

    /// <summary>Parses one line of text as a record (convenience for tests and tools).</summary>
    public static string[] ParseLine(string line)
    {
        using var reader = new StringReader(line);
        return ReadRecords(reader).FirstOrDefault() ?? [];
    }

    private static void ReadQuoted(TextReader reader, StringBuilder field, ref int line)
    {
        var startLine = line;
        while (true)
        {
            var c = reader.Read();
            switch (c)
            {
                case -1:
                    throw new FormatException($"line {startLine}: quoted field is not closed");
                case '"' when reader.Peek() == '"':
                    reader.Read();
                    field.Append('"');
                    break;
                case '"':
                    return;
                case '\n':
                    line++;
                    field.Append('\n');
                    break;
                default:
                    field.Append((char)c);
                    break;
            }
        }
    }
}
