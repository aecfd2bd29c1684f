using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamRec.Contracts;

/// <summary>
/// Reads only RFC 3339 timestamps with an explicit offset (<c>Z</c> or <c>±hh:mm</c>). Without one, the default
/// reader would take the consuming host's local time zone, and one event would mean different instants on
/// different machines.
/// </summary>
public sealed class StrictDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"expected an RFC 3339 date-time string, got {reader.TokenType}");
        }

        var text = reader.GetString()!;
        var hasOffset = text.Length > 10 && (text.EndsWith('Z') || text.EndsWith('z') || HasNumericOffset(text));
        if (!hasOffset || !DateTimeOffset.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
        {
            throw new JsonException("expected an RFC 3339 date-time with an offset, e.g. 2026-11-23T13:59:41Z or 2026-11-23T14:59:41+01:00");
        }

        return value;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value);

    private static bool HasNumericOffset(string text) =>
        text.Length >= 6 && text[^3] == ':' && (text[^6] == '+' || text[^6] == '-');
}
