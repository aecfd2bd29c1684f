using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using StreamRec.Contracts;

namespace StreamRec.Core.Tests.Contracts;

/// <summary>What JVM and other producers send for times: the parser and the schema files must agree on every one.</summary>
public sealed class TimestampInteropTests
{
    [Theory]
    [InlineData("2026-11-23T13:59:41.123456789Z", 1234568)] // Instant.toString(): nine digits, rounded to 100 ns
    [InlineData("2026-11-23T13:59:41.1234567891Z", 1234568)]
    [InlineData("2026-11-23T13:59:41.12345674Z", 1234567)]
    [InlineData("2026-11-23T13:59:41.1Z", 1000000)]
    [InlineData("2026-11-23T13:59:41.000000000000Z", 0)]
    public void OccurredAt_WithAnyNumberOfFractionalDigits_IsAccepted_AndRoundedToTicks(string time, long fractionTicks)
    {
        var parsed = EventParser.Parse(Click(time));

        Assert.True(parsed.IsSuccess, parsed.Error?.ToString());
        var at = parsed.Event!.OccurredAt;
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 13, 59, 41, TimeSpan.Zero).AddTicks(fractionTicks), at);
    }

    [Fact]
    public void OccurredAt_NineNines_RoundsUpIntoTheNextSecond()
    {
        var parsed = EventParser.Parse(Click("2026-11-23T13:59:41.999999999+01:00"));

        Assert.Equal(new DateTimeOffset(2026, 11, 23, 12, 59, 42, TimeSpan.Zero), parsed.Event!.OccurredAt);
    }

    [Fact]
    public void Message_StartingWithAUtf8ByteOrderMark_IsParsedAsWithout()
    {
        var json = Click("2026-11-23T13:59:41Z");

        var parsed = EventParser.Parse([0xEF, 0xBB, 0xBF, .. json]);

        Assert.True(parsed.IsSuccess, parsed.Error?.ToString());
        Assert.Equal("u", ((Click)parsed.Event!).UserId);
    }

    /// <summary>
    /// Generated timestamps, valid and not (fraction lengths 0–12, with and without offsets, lower-case t/z, missing seconds,
    /// out-of-range fields, spaces): the click schema's occurred_at and the parser accept exactly the same ones. Years stay
    /// in 1971..2198 and offsets within ±14:00, where the two are meant to agree (contracts/README says what only the parser checks).
    /// </summary>
    [Fact]
    public async Task Parser_And_ClickSchema_AgreeOnGeneratedTimestamps()
    {
        var schema = await ContractFiles.SchemaAsync(Schemas.Click);
        var gen =
            from year in Gen.Choose(1971, 2198)
            from month in Gen.Choose(0, 13)
            from day in Gen.Choose(0, 32)
            from hour in Gen.Choose(0, 24)
            from minute in Gen.Choose(0, 60)
            from second in Gen.Choose(0, 60)
            from digits in Gen.Choose(-1, 12)
            from fraction in Gen.Choose(0, int.MaxValue)
            from zone in Gen.Elements("Z", "z", "+01:00", "-05:30", "+14:00", "-14:00", "+0100", "", "+01", " Z")
            from separator in Gen.Elements("T", "T", "T", "t", " ")
            select Format(year, month, day, hour, minute, second, digits, fraction, zone, separator);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2_000), Prop.ForAll(gen.ToArbitrary(), time =>
        {
            var json = Encoding.UTF8.GetString(Click(time));
            var schemaAccepts = schema.Validate(json).Count == 0;
            var parserAccepts = EventParser.Parse(Encoding.UTF8.GetBytes(json)).IsSuccess;
            if (schemaAccepts != parserAccepts)
            {
                throw new InvalidOperationException($"{time}: schema {(schemaAccepts ? "accepts" : "refuses")}, parser {(parserAccepts ? "accepts" : "refuses")}");
            }
        }));
    }

    private static string Format(int year, int month, int day, int hour, int minute, int second, int digits, int fraction, string zone, string separator)
    {
        // Days beyond 28 only where the month has them, so "valid pattern, impossible date" (Feb 30) is not generated:
        // the pattern cannot see calendars, and format validation is optional in JSON Schema.
        var d = month is >= 1 and <= 12 && day > DateTime.DaysInMonth(2001, month) ? 28 : day;
        var f = digits switch
        {
            < 0 => "",
            0 => ".",
            _ => "." + fraction.ToString("D10", CultureInfo.InvariantCulture).PadRight(12, '7')[..digits],
        };
        return string.Create(CultureInfo.InvariantCulture, $"{year:D4}-{month:D2}-{d:D2}{separator}{hour:D2}:{minute:D2}:{second:D2}{f}{zone}");
    }

    private static byte[] Click(string time) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["schema"] = Schemas.Click,
        ["event_id"] = "e",
        ["occurred_at"] = time,
        ["user_id"] = "u",
        ["item_id"] = "i",
    }.ToJsonString());
}
