using System.Text;
using StreamRec.Contracts;

namespace StreamRec.Core.Tests.Contracts;

/// <summary>Dead-letter reasons are read by the people who produced the message: a stable code, then the field in plain words.</summary>
public sealed class DeadLetterReasonTests
{
    private static readonly string[] Internals = ["StreamRec.", "System.", "Path:", "nullability", "could not be converted", "JSON deserialization", "LineNumber"];

    public static IEnumerable<TheoryDataRow<string>> Cases() => Malformed.Names();

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryParserReason_StartsWithItsCode_AndCarriesNoDotNetInternals(string name)
    {
        var c = Malformed.ByName(name);

        var reason = EventParser.Parse(Encoding.UTF8.GetBytes(c.Json())).Error!.ToString();

        Assert.StartsWith(c.Expected + ": ", reason, StringComparison.Ordinal);
        Assert.Contains(c.Expected.ToString(), DeadLetterCodes.All);
        Assert.All(Internals, i => Assert.DoesNotContain(i, reason, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"schema":"streamrec.click/v1","event_id":17,"occurred_at":"2026-11-23T13:59:41Z","user_id":"u","item_id":"i"}""", "WrongType: event_id must be a string")]
    [InlineData("""{"schema":"streamrec.click/v1","event_id":"e","occurred_at":"2026-11-23T13:59:41Z","user_id":"u"}""", "MissingField: item_id is required")]
    [InlineData("""{"schema":"streamrec.click/v1","event_id":"e","occurred_at":"2026-11-23T13:59:41Z","user_id":null,"item_id":"i"}""", "MissingField: user_id is required and must not be null")]
    [InlineData("""{"schema":"streamrec.click/v1","event_id":"e","occurred_at":"yesterday","user_id":"u","item_id":"i"}""", "WrongType: occurred_at must be an RFC 3339 date-time with an offset, e.g. 2026-11-23T13:59:41Z or 2026-11-23T14:59:41.250+01:00")]
    [InlineData("""{"schema":"streamrec.review/v1","event_id":"e","occurred_at":"2026-11-23T13:59:41Z","user_id":"u","item_id":"i","rating":"5"}""", "WrongType: rating must be a number")]
    [InlineData("""{"schema":"streamrec.item-upserted/v1","event_id":"e","occurred_at":"2026-11-23T13:59:41Z","item_id":"i","title":"t","tags":["a",3]}""", "WrongType: tags[1] must be a string")]
    [InlineData("""{"schema":"streamrec.click/v1","event_id":"e","occurred_at":"2026-11-23T13:59:41Z","user_id":"u","item_id":"i","context":{"position":3}}""", "WrongType: context.position must be a string")]
    [InlineData("""{"schema":"streamrec.item-retired/v1","event_id":"e","occurred_at":"2026-11-23T13:59:41Z","item_id":"i","version":1.5}""", "WrongType: version must be a whole number")]
    [InlineData("""{"schema":"streamrec.click/v1","event_id":"","occurred_at":"2026-11-23T13:59:41Z","user_id":"u","item_id":"i"}""", "InvalidValue: event_id is empty")]
    [InlineData("""{"schema":"streamrec.click/v2"}""", "UnknownSchema: unknown schema 'streamrec.click/v2'")]
    [InlineData("""[1]""", "MalformedJson: expected a JSON object, got Array")]
    public void Reason_IsPinned(string json, string expected)
    {
        var reason = EventParser.Parse(Encoding.UTF8.GetBytes(json)).Error!.ToString();

        Assert.StartsWith(expected, reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TooLarge_And_InvalidUtf8_And_TextTooLong_HaveTheirCodes()
    {
        Assert.StartsWith("TooLarge: ", EventParser.Parse(new byte[100], new ParseLimits { MaxMessageBytes = 10 }).Error!.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("InvalidUtf8: ", EventParser.Parse([0xC3, 0x28]).Error!.ToString(), StringComparison.Ordinal);
        var longTitle = $$"""{"schema":"streamrec.item-upserted/v1","event_id":"e","occurred_at":"2026-11-23T13:59:41Z","item_id":"i","title":"{{new string('t', 1_001)}}"}""";
        Assert.Equal("TextTooLong: title is 1001 characters, the limit is 1000", EventParser.Parse(Encoding.UTF8.GetBytes(longTitle)).Error!.ToString());
    }

    [Fact]
    public void Codes_AreTheParserKindsPlusTheServicesOwn_InTheReadmeOrder()
    {
        Assert.Equal(Enum.GetNames<ParseErrorKind>(), DeadLetterCodes.All.Take(8));
        Assert.Equal(["WrongTopic", "KeyMismatch", "FutureTimestamp", "ItemNotIndexed", "HandlerError"], DeadLetterCodes.All.Skip(8));
    }
}
