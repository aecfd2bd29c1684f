using System.Text;
using FsCheck;
using FsCheck.Fluent;
using StreamRec.Contracts;

namespace StreamRec.Core.Tests.Contracts;

/// <summary>
/// The parser faces whatever producers send: it must answer every input with an event or a <see cref="ParseError"/>,
/// never an exception, and whatever it accepts must survive a serialize/parse round trip unchanged.
/// </summary>
public sealed class EventParserPropertyTests
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(1_000);

    private static readonly string[] ExampleLines = Schemas.All.SelectMany(ContractFiles.Examples).ToArray();

    /// <summary>Bits of JSON that reach the typed paths of the deserializer: wrong types, edge numbers, escapes.</summary>
    private static readonly string[] Tokens =
    [
        "null", "true", "false", "0", "-1", "1.5", "1e400", "-0", "9223372036854775808", "\"\"", "\" \"", "\"x\"", "[]", "{}",
        "[null]", "{\"a\":null}", "\"\\ud800\"", "\"\\udc00x\"", "\"\\u0000\"", "\"\\u001f\"", "\"2026-11-23T13:59:41Z\"",
        "\"1969-12-31T23:59:59Z\"", "\"9999-12-31T23:59:59-01:00\"", "\"2026-11-23\"", "\"streamrec.click/v1\"",
        "\"streamrec.review/v1\"", "\"streamrec.click/v2\"", "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]", "\"" + new string('x', 300) + "\"",
    ];

    [Fact]
    public void Parse_ArbitraryBytes_NeverThrows() =>
        Check.One(Quick, Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes => Answers(EventParser.Parse(bytes))));

    [Fact]
    public void Parse_ArbitraryStrings_NeverThrows() =>
        Check.One(Quick, Prop.ForAll(ArbMap.Default.ArbFor<string>(), s => s is null || Answers(EventParser.Parse(Encoding.UTF8.GetBytes(s)))));

    [Fact]
    public void Parse_ArbitraryStringsEscapedIntoEveryField_NeverThrows_AndRoundTrips()
    {
        var gen =
            from line in Gen.Elements(ExampleLines)
            from text in ArbMap.Default.GeneratorFor<string>()
            from fieldIndex in Gen.Choose(0, 63)
            select (line, text: text ?? "", fieldIndex);

        Check.One(Quick, Prop.ForAll(gen.ToArbitrary(), t =>
        {
            // \uXXXX for every UTF-16 unit, so lone surrogates and control characters reach the parser as escapes.
            var escaped = "\"" + string.Concat(t.text.Select(c => $"\\u{(int)c:x4}")) + "\"";
            return ParsesOrRefusesCleanly(ReplaceValue(t.line, t.fieldIndex, escaped));
        }));
    }

    [Fact]
    public void Parse_ExampleLinesWithAFieldReplacedByAnyToken_NeverThrows_AndRoundTrips()
    {
        var gen =
            from line in Gen.Elements(ExampleLines)
            from token in Gen.Elements(Tokens)
            from fieldIndex in Gen.Choose(0, 63)
            select ReplaceValue(line, fieldIndex, token);

        Check.One(Quick, Prop.ForAll(gen.ToArbitrary(), ParsesOrRefusesCleanly));
    }

    [Fact]
    public void Parse_ExampleLinesWithRandomByteEdits_NeverThrows_AndRoundTrips()
    {
        var edit = Gen.Zip(Gen.Choose(0, 2), Gen.Zip(Gen.Choose(0, 4_000), Gen.Choose(0, 255)));
        var gen =
            from line in Gen.Elements(ExampleLines)
            from edits in Gen.ListOf(edit, 3)
            select Apply(Encoding.UTF8.GetBytes(line), edits);

        Check.One(Quick, Prop.ForAll(gen.ToArbitrary(), bytes => ParsesOrRefusesCleanly(Encoding.UTF8.GetString(bytes), bytes)));
    }

    [Fact]
    public async Task SerializeThenParse_OfGeneratedClicksAndReviews_RoundTrips_AndPassesTheSchema()
    {
        var clickSchema = await ContractFiles.SchemaAsync(Schemas.Click);
        var reviewSchema = await ContractFiles.SchemaAsync(Schemas.Review);
        var id = Gen.Elements("u", "user-42", "Zoë", "😀", "a b", new string('x', 256), "movie/1?x=2&y=\"3\"");
        var gen =
            from userId in id
            from itemId in id
            // From a day after the epoch: the schemas check the year as written, so 1970-01-01T00:00Z written at
            // -05:00 (1969-12-31T19:00-05:00) is an edge the parser accepts and the schema pattern does not.
            from seconds in Gen.Choose(86_400, int.MaxValue)
            from offsetMinutes in Gen.Choose(-14 * 60, 14 * 60)
            from halfStars in Gen.Choose(-1, 10)
            from text in ArbMap.Default.GeneratorFor<string>()
            select (IStreamRecEvent)(halfStars < 0
                ? new Click { EventId = $"c{seconds}", OccurredAt = At(seconds, offsetMinutes), UserId = userId, ItemId = itemId }
                : new Review
                {
                    EventId = $"r{seconds}",
                    OccurredAt = At(seconds, offsetMinutes),
                    UserId = userId,
                    ItemId = itemId,
                    Rating = halfStars / 2.0,
                    Text = ValidUtf16(text),
                });

        // Fewer runs: schema validation costs about a millisecond a message.
        Check.One(Quick.WithMaxTest(300), Prop.ForAll(gen.ToArbitrary(), e =>
        {
            var bytes = EventParser.Serialize(e);
            var parsed = EventParser.Parse(bytes);
            Assert.True(parsed.IsSuccess, parsed.Error?.ToString());
            EventAssert.Equal(e, parsed.Event);
            Assert.Empty((e is Click ? clickSchema : reviewSchema).Validate(Encoding.UTF8.GetString(bytes)));
        }));
    }

    private static bool Answers(ParseResult result) => result.IsSuccess ? result.Error is null : result.Error is not null;

    private static bool ParsesOrRefusesCleanly(string json) => ParsesOrRefusesCleanly(json, Encoding.UTF8.GetBytes(json));

    private static bool ParsesOrRefusesCleanly(string label, byte[] bytes)
    {
        var result = EventParser.Parse(bytes);
        if (!Answers(result))
        {
            return false;
        }

        if (result.IsSuccess)
        {
            var again = EventParser.Parse(EventParser.Serialize(result.Event!));
            Assert.True(again.IsSuccess, $"{again.Error} after re-serializing {label}");
            EventAssert.Equal(result.Event!, again.Event);
        }

        return true;
    }

    /// <summary>Replaces the value of the (index mod count)-th top-level field of a one-line JSON object.</summary>
    private static string ReplaceValue(string line, int index, string token)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject();
        var names = node.Select(p => p.Key).ToArray();
        var name = names[index % names.Length];
        node[name] = 0;
        var marker = node.ToJsonString();
        var needle = $"\"{name}\":0";
        var at = marker.IndexOf(needle, StringComparison.Ordinal);
        return string.Concat(marker.AsSpan(0, at), $"\"{name}\":", token, marker.AsSpan(at + needle.Length));
    }

    private static byte[] Apply(byte[] bytes, IEnumerable<(int Op, (int Position, int Value) Arg)> edits)
    {
        var list = bytes.ToList();
        foreach (var (op, (position, value)) in edits)
        {
            var at = list.Count == 0 ? 0 : position % list.Count;
            switch (op)
            {
                case 0 when list.Count > 0:
                    list[at] = (byte)value;
                    break;
                case 1:
                    list.Insert(at, (byte)value);
                    break;
                case 2 when list.Count > 0:
                    list.RemoveRange(at, Math.Min(1 + value % 8, list.Count - at));
                    break;
            }
        }

        return [.. list];
    }

    private static DateTimeOffset At(int seconds, int offsetMinutes) =>
        DateTimeOffset.UnixEpoch.AddSeconds(seconds).ToOffset(TimeSpan.FromMinutes(offsetMinutes));

    private static string? ValidUtf16(string? s) =>
        s is null ? null : Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(s));
}
