using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamRec.Contracts;

/// <summary>
/// Reads RFC 3339 timestamps exactly as the contract's schemas describe them:
/// <c>yyyy-MM-ddTHH:mm:ss[.fraction](Z|±hh:mm)</c>, upper-case <c>T</c> and <c>Z</c>, an offset always. Without an
/// offset the default reader would take the consuming host's local time zone, and one event would mean different
/// instants on different machines. The fraction may have any number of digits (Java's <c>Instant.toString()</c> writes
/// nine); it is rounded to the clock's precision, 100 ns ticks, half away from zero.
/// </summary>
public sealed class StrictDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    /// <summary>What the reason says when a time is refused.</summary>
    public const string Expected = "an RFC 3339 date-time with an offset, e.g. 2026-11-23T13:59:41Z or 2026-11-23T14:59:41.250+01:00";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String || !TryParse(reader.GetString()!, out var value))
        {
            throw new JsonException(Expected);
        }

        return value;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value);

    /// <summary>Parses an RFC 3339 date-time with an offset; false for anything else (including offsets beyond ±14:00,
    /// which no clock uses and .NET cannot represent).</summary>
    public static bool TryParse(ReadOnlySpan<char> s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':'
            || !Digits(s, 0, 4, out var year) || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day)
            || !Digits(s, 11, 2, out var hour) || !Digits(s, 14, 2, out var minute) || !Digits(s, 17, 2, out var second))
        {
            return false;
        }

        var i = 19;
        long fractionTicks = 0;
        if (s[i] == '.')
        {
            var start = ++i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == start)
            {
                return false;
            }

            // The first seven digits are whole ticks; the eighth rounds.
            var digits = s[start..i];
            for (var k = 0; k < 7; k++)
            {
                fractionTicks = fractionTicks * 10 + (k < digits.Length ? digits[k] - '0' : 0);
            }

            if (digits.Length > 7 && digits[7] >= '5')
            {
                fractionTicks++;
            }
        }

        TimeSpan offset;
        var rest = s[i..];
        if (rest is "Z")
        {
            offset = TimeSpan.Zero;
        }
        else if (rest.Length == 6 && rest[0] is '+' or '-' && rest[3] == ':' && Digits(rest, 1, 2, out var oh) && Digits(rest, 4, 2, out var om) && om < 60)
        {
            offset = new TimeSpan(oh, om, 0) * (rest[0] == '-' ? -1 : 1);
            if (offset.Duration() > TimeSpan.FromHours(14))
            {
                return false;
            }
        }
        else
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified);
        var utcTicks = local.Ticks - offset.Ticks + fractionTicks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks || local.Ticks + fractionTicks > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        value = new DateTimeOffset(local.AddTicks(fractionTicks), offset);
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        for (var k = start; k < start + count; k++)
        {
            if (!char.IsAsciiDigit(s[k]))
            {
                return false;
            }

            value = value * 10 + (s[k] - '0');
        }

        return true;
    }
}
